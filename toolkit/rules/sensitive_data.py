"""Secrets and personal data in the text of an example (D: data hygiene)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import sensitive
from ..diagnostics import Severity
from ..reader import Record
from . import hints
from .context import Context
from .registry import Finding, record_rule

W = Severity.WARNING
_LEAK = "training data can come back in the fine-tuned model's answers"


def _findings(rec: Record, kind: str, advice: str) -> Iterator[Finding]:
    if not hints.of(rec).sensitive(kind):
        return
    for pointer, match in sensitive.scan(rec.value, kind):
        yield Finding(pointer, f"{match.label} ({match.masked}) at character {match.start + 1} of this string; "
                      f"{_LEAK}: {advice}")


@record_rule("D010", "secret-in-text", W, "text holds what looks like an API key, token or private key",
             source="data hygiene")
def secret_in_text(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A string holds what looks like a credential: an OpenAI-style key (`sk-...`, `sk-proj-...`),
    an AWS access key id (`AKIA...`), a GitHub token (`ghp_...`, `github_pat_...`), a Slack,
    Google or Stripe key, a JSON Web Token, a bearer token, or a PEM private key. A model can
    repeat what it was trained on, and the training file itself is uploaded to the provider.
    Revoke the key and replace it with a placeholder such as `sk-...`. Keys need their vendor's
    prefix and a random-looking body, so placeholders (`sk-xxxx`, `Bearer YOUR_TOKEN`, AWS's
    documented `...EXAMPLE` keys) are not reported."""
    yield from _findings(rec, sensitive.SECRET, "revoke the key and replace it with a placeholder")


@record_rule("D020", "email-address", W, "text holds an e-mail address", source="data hygiene")
def email_address(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A string holds an e-mail address. If it belongs to a real person, it is personal data that a
    model trained on it can reveal to anyone. Replace it with a placeholder (`name@example.com`)
    unless the model is meant to give it out (a public support address). Addresses on reserved
    example domains (example.com, .test, .invalid) and file names like `icon@2x.png` are skipped."""
    yield from _findings(rec, sensitive.EMAIL, "replace it with a placeholder such as name@example.com unless the "
                         "model should give it out")


@record_rule("D030", "phone-number", W, "text holds a phone number", source="data hygiene")
def phone_number(rec: Record, ctx: Context) -> Iterator[Finding]:
    """A string holds a phone number: one with a `+` country code (`+44 20 7946 0958`) or in the North
    American layout (`(415) 555-2671`, `415-555-2671`). A real person's number is personal data a
    trained model can reveal. Replace it with a placeholder unless the model should give it out.
    Other layouts (bare digit runs, national formats without `+`) are not reported: they are too
    easily confused with ids, amounts and dates."""
    yield from _findings(rec, sensitive.PHONE, "replace it with a placeholder unless the model should give it out")
