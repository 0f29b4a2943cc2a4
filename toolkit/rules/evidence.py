"""What each rule stands on: how sure it is, and public pages a user can open to check it.

Rules name their topic with ``source=`` (an id such as ``C-15``); this table turns the topic into
the kind of evidence and the public sources (provider docs, the OpenAPI spec, public issues).
A rule whose evidence differs from its topic's says so with ``evidence=`` when it registers.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCUMENTED = "documented"  # a provider's guide or API spec says it
OBSERVED = "observed"  # a real server error (or refusal) was reported publicly
INFERRED = "inferred"  # follows from how training works, or a tool's convention; no provider statement

MEANING = {
    DOCUMENTED: "a provider's documentation or API specification states it",
    OBSERVED: "a real server error or refusal was reported publicly",
    INFERRED: "inferred from how training works or from common tooling; no provider states it",
}

_OAI = "https://developers.openai.com/api/docs/guides/"
SFT = _OAI + "supervised-fine-tuning"
VISION = _OAI + "vision-fine-tuning"
DPO = _OAI + "direct-preference-optimization"
RFT = _OAI + "reinforcement-fine-tuning"
GRADERS = _OAI + "graders"
BEST = _OAI + "fine-tuning-best-practices"
DEPRECATIONS = "https://developers.openai.com/api/docs/deprecations"
SPEC = "https://github.com/openai/openai-openapi"
COOKBOOK = "https://github.com/openai/openai-cookbook/blob/main/examples/Chat_finetuning_data_prep.ipynb"
_AZ = "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/"
AZ_FT = _AZ + "fine-tuning"
AZ_DPO = _AZ + "fine-tuning-direct-preference-optimization"
AZ_RFT = _AZ + "reinforcement-fine-tuning"
AZ_FN = _AZ + "fine-tuning-functions"
AZ_TS = _AZ + "fine-tuning-troubleshoot"
AZ_VISION = _AZ + "fine-tuning-vision"
RFC8259 = "https://www.rfc-editor.org/rfc/rfc8259"


@dataclass(frozen=True)
class Evidence:
    kind: str
    sources: tuple[str, ...]


TOPICS: dict[str, Evidence] = {
    "F-01": Evidence(OBSERVED, (SFT, "https://github.com/openai/openai-openapi/issues/24",
                                "https://github.com/OkGoDoIt/OpenAI-API-dotnet/issues/59")),
    "F-02": Evidence(INFERRED, (COOKBOOK,)),
    "F-03": Evidence(DOCUMENTED, (AZ_FT,)),
    "F-04": Evidence(DOCUMENTED, (SPEC,)),
    "F-05": Evidence(DOCUMENTED, (SPEC, AZ_FT)),
    "F-06": Evidence(OBSERVED, (SFT, AZ_FT, "https://github.com/openai-php/client")),
    "F-07": Evidence(DOCUMENTED, (SFT, AZ_TS)),
    "F-08": Evidence(DOCUMENTED, (RFT, VISION)),
    "F-09": Evidence(OBSERVED, (SFT, DPO)),
    "F-10": Evidence(OBSERVED, ("https://github.com/johny-b/llmcomp/issues/59",)),
    "F-11": Evidence(DOCUMENTED, (SPEC, RFT, AZ_RFT)),
    "F-13": Evidence(INFERRED, (SPEC,)),
    "C-01": Evidence(OBSERVED, (SFT, SPEC, COOKBOOK)),
    "C-02": Evidence(OBSERVED, (SFT, SPEC)),
    "C-03": Evidence(OBSERVED, (SPEC, COOKBOOK)),
    "C-04": Evidence(DOCUMENTED, (SPEC, COOKBOOK)),
    "C-05": Evidence(OBSERVED, (SPEC, "https://community.openai.com/t/preparing-data-to-fine-tune-function-calling-model/499313")),
    "C-06": Evidence(DOCUMENTED, (SPEC,)),
    "C-07": Evidence(INFERRED, (COOKBOOK,)),
    "C-08": Evidence(OBSERVED, ("https://community.openai.com/t/fine-tuning-with-the-result-of-a-function-call-tool-role/965584",)),
    "C-09": Evidence(DOCUMENTED, (SPEC,)),
    "C-10": Evidence(DOCUMENTED, (SFT, BEST, AZ_FT, SPEC)),
    "C-11": Evidence(INFERRED, (COOKBOOK,)),
    "C-12": Evidence(INFERRED, (SFT,)),
    "C-13": Evidence(DOCUMENTED, (AZ_TS, COOKBOOK)),
    "C-14": Evidence(DOCUMENTED, (SPEC, SFT)),
    "C-15": Evidence(INFERRED, (SPEC, SFT)),
    "C-16": Evidence(DOCUMENTED, (SPEC, AZ_FN)),
    "C-17": Evidence(DOCUMENTED, (SPEC, SFT)),
    "C-18": Evidence(DOCUMENTED, (SPEC, AZ_FN)),
    "C-19": Evidence(DOCUMENTED, (SPEC,)),
    "C-20": Evidence(DOCUMENTED, (BEST, SFT, AZ_FT)),
    "C-21": Evidence(DOCUMENTED, (VISION, AZ_VISION)),
    "P-01": Evidence(DOCUMENTED, (DPO, AZ_DPO, SPEC)),
    "P-02": Evidence(DOCUMENTED, (DPO, AZ_DPO, SPEC)),
    "P-03": Evidence(DOCUMENTED, (DPO,)),
    "P-04": Evidence(INFERRED, (DPO,)),
    "P-05": Evidence(DOCUMENTED, (DPO,)),
    "P-06": Evidence(INFERRED, (SPEC,)),
    "R-01": Evidence(DOCUMENTED, (RFT, SPEC)),
    "R-02": Evidence(DOCUMENTED, (RFT, AZ_RFT, SPEC)),
    "R-04": Evidence(DOCUMENTED, (AZ_RFT, RFT)),
    "R-05": Evidence(DOCUMENTED, (RFT, GRADERS)),
    "R-08": Evidence(DOCUMENTED, (GRADERS, AZ_RFT, SPEC)),
    "L-01": Evidence(DOCUMENTED, (SPEC,)),
    "L-02": Evidence(DOCUMENTED, (DEPRECATIONS,)),
    "L-03": Evidence(DOCUMENTED, ("https://github.com/openai/openai-cookbook",)),
    "§9": Evidence(DOCUMENTED, (DEPRECATIONS, SFT, AZ_FT)),
    "RFC 8259": Evidence(DOCUMENTED, (RFC8259,)),
    "schemas/": Evidence(DOCUMENTED, (SPEC,)),
    "data hygiene": Evidence(INFERRED, ()),
}


def of(source: str, kind: str = "", extra: tuple[str, ...] = ()) -> Evidence:
    """The evidence of a rule on topic ``source`` (``kind`` and ``extra`` sources override and add)."""
    base = TOPICS.get(source, Evidence(INFERRED, ()))
    sources = tuple(dict.fromkeys((*extra, *base.sources)))
    return Evidence(kind or base.kind, sources)
