"""The editor's analysis reused: Statistics summed from the per-entry counts give what ``tunesmith stats``
gives, the metrics give what ``tunesmith lint`` counts, and the caches by content hash (parsed entries,
full analyses) give the same results as starting afresh."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_support import corpus_file

from toolkit import stats
from toolkit.config import Settings
from toolkit.edit import Analysis, Dataset, analysis, ops, table
from toolkit.edit import dataset as dataset_module
from toolkit.edit.records import PREVIEW, preview, shown
from toolkit.engine import Linter
from toolkit.engine import lint as lint_file
from toolkit.errors import UsageError

LINT = sys.modules[Linter.__module__]  # toolkit.engine (the package's "lint" is the function)
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ONE_PER_LINE = ["elle_dpo.jsonl", "elle_multi_turn.jsonl", "elle_single_turn.jsonl", "elle_tools.jsonl",
                "elle_validation.jsonl"]
SYSTEM = "Elle is a factual chatbot that answers questions about elements in the periodic table with a limerick."


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Each test starts with nothing parsed or analysed (the caches live for the whole process)."""
    dataset_module._PARSED.clear()
    analysis._KEPT.clear()


def _analysed(path: Path, settings: Settings | None = None) -> tuple[Dataset, Analysis]:
    ds = Dataset.open(path)
    an = Analysis(settings or Settings())
    an.run_full(ds)
    return ds, an


def _chat(n: int) -> dict[str, object]:
    return {"messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": f"Tell me about element number {n}."},
                         {"role": "assistant", "content": f"Element {n} is one of a kind, " * (1 + n % 5)}]}


def _with_broken_lines(tmp_path: Path) -> Path:
    """Records one per line, with lines that are not records between them (no record spans two lines)."""
    lines = [json.dumps(_chat(n)) for n in range(12)]
    lines[2:2] = ['{"messages": [{"role": "user", "content": "cut off', "", '"just a string"',
                  '[{"messages": []}]', "   "]
    lines.append(json.dumps({"messages": [{"role": "user", "content": "no answer"}]}))
    path = tmp_path / "broken_lines.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _facts(ds: Dataset, an: Analysis) -> list[object]:
    """Every entry's facts, its findings without the file name."""
    return [replace(f, diagnostics=tuple(replace(d, path="") for d in f.diagnostics)) if f else None
            for f in (an.get(e) for e in ds.entries)]


def _lint_counts(path: Path) -> tuple[int, int, int]:
    result = lint_file(path).files[0]
    return result.records, result.errors, result.warnings


# -- statistics and lint counts from the analysis ------------------------------------------------------------------


@pytest.mark.parametrize("name", ONE_PER_LINE)
def test_statistics_equal_tunesmith_stats_on_the_samples(name: str) -> None:
    ds, an = _analysed(SAMPLES / name)
    assert an.complete(ds)
    assert an.statistics(ds).to_dict() == stats.compute(SAMPLES / name).to_dict()


@pytest.mark.parametrize("model", ["gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14"])
def test_statistics_for_another_model_equal_tunesmith_stats_model(model: str) -> None:
    """The Train page's numbers for its base model: the kept counts, that model's limit and prices."""
    ds, an = _analysed(SAMPLES / "elle_multi_turn.jsonl")
    assert an.statistics(ds, model=model).to_dict() == stats.compute(SAMPLES / "elle_multi_turn.jsonl",
                                                                      model=model).to_dict()


def test_statistics_of_an_example_over_the_context_equal_tunesmith_stats() -> None:
    """Trained tokens are counted after the cut of an example over the context, in the editor as in stats."""
    toy = corpus_file("cookbook_toy_chat_fine_tuning.jsonl")
    ds, an = _analysed(toy, Settings(model="gpt-3.5-turbo-0613"))
    mine = an.statistics(ds)
    assert mine.to_dict() == stats.compute(toy, model="gpt-3.5-turbo-0613").to_dict()
    assert mine.over_limit == 1 and mine.trained_tokens <= mine.billed_tokens


def test_statistics_for_a_model_with_another_tokenizer_say_so() -> None:
    ds, an = _analysed(SAMPLES / "elle_multi_turn.jsonl")  # counted with o200k_base
    with pytest.raises(UsageError, match=r"gpt-3\.5-turbo-0125 counts tokens with cl100k_base, the editor counted "
                                         r"this file with o200k_base .*choose gpt-3\.5-turbo-0125 as the model"):
        an.statistics(ds, model="gpt-3.5-turbo-0125")


def test_statistics_equal_tunesmith_stats_with_broken_lines(tmp_path: Path) -> None:
    path = _with_broken_lines(tmp_path)
    ds, an = _analysed(path)
    mine, cli = an.statistics(ds), stats.compute(path)
    assert mine.to_dict() == cli.to_dict()
    assert (mine.examples, mine.unreadable, mine.unreadable_lines) == (13, 3, [3, 5, 6])  # blank lines do not count
    assert mine.examples == _lint_counts(path)[0] == ds.records


@pytest.mark.parametrize("name", [*ONE_PER_LINE, "elle_broken.jsonl"])
def test_totals_are_what_lint_reports(name: str) -> None:
    ds, an = _analysed(SAMPLES / name)
    totals = an.totals(ds)
    assert (totals.records, totals.errors, totals.warnings) == _lint_counts(SAMPLES / name)


def test_file_level_findings_count_in_the_totals() -> None:
    ds, an = _analysed(SAMPLES / "elle_single_turn.jsonl")
    assert [d.rule for d in an.file_diagnostics] == ["F070"]  # too few examples: a warning about the whole file
    assert all(f is not None and f.warnings == 0 for f in map(an.get, ds.entries))
    assert an.totals(ds).warnings == 1


def test_statistics_count_the_examples_stats_and_lint_count() -> None:
    """A pretty-printed record and a line with invalid UTF-8 are records for lint (and the editor), but no examples
    until repaired: the editor's Statistics count the examples `tunesmith stats` and lint's summary count."""
    ds, an = _analysed(SAMPLES / "elle_broken.jsonl")
    summary = an.statistics(ds)
    cli = stats.compute(SAMPLES / "elle_broken.jsonl")
    linted = lint_file(SAMPLES / "elle_broken.jsonl").files[0]
    assert summary.examples == cli.examples == linted.example_count == 41 and ds.records == linted.records == 43
    assert (summary.unreadable, summary.unreadable_lines) == (cli.unreadable, cli.unreadable_lines)
    assert summary.total_tokens == cli.total_tokens


def test_rows_keep_every_finding_beyond_what_lint_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LINT, "MAX_PER_RULE", 3)  # lint lists 3 per rule, and counts the others
    path = tmp_path / "humans.jsonl"
    records = [{"messages": [{"role": "human", "content": f"question {n}"}, {"role": "assistant", "content": "ok"}]}
               for n in range(8)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    listed = lint_file(path).files[0]
    assert sum(d.rule == "C030" and d.line is not None for d in listed.diagnostics) == 3  # + "and 5 more"
    ds, an = _analysed(path)
    assert all((f := an.get(e)) is not None and any(d.rule == "C030" for d in f.diagnostics) for e in ds.entries)
    totals = an.totals(ds)
    assert (totals.errors, totals.warnings) == (listed.errors, listed.warnings)


def test_not_complete_while_entries_wait() -> None:
    ds = Dataset.open(SAMPLES / "elle_multi_turn.jsonl")
    an = Analysis(Settings())
    assert not an.complete(ds)
    an.run_full(ds)
    ds.change(0, ops.set_value("/messages/1/content", "Tell me about boron."), "edit")
    assert not an.complete(ds)
    assert an.update(ds) == 1 and an.complete(ds)


# -- caches by content hash -----------------------------------------------------------------------------------------


def test_a_kept_analysis_is_reused_and_equals_a_fresh_one(monkeypatch: pytest.MonkeyPatch) -> None:
    ds, an = _analysed(SAMPLES / "elle_broken.jsonl")
    first = [an.get(e) for e in ds.entries]

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysed again")

    monkeypatch.setattr(analysis, "analyse", fail)
    again = Dataset.open(SAMPLES / "elle_broken.jsonl")
    for other in (Analysis(Settings()), Analysis(Settings())):
        assert other.recall(again)
        assert [other.get(e) for e in again.entries] == first
        assert other.file_diagnostics == an.file_diagnostics and other.totals(again) == an.totals(ds)
    other = Analysis(Settings())
    other.run_full(again)  # the full run finds the kept result too
    assert [other.get(e) for e in again.entries] == first
    assert not Analysis(Settings(provider="azure")).recall(again)  # other settings: not the same analysis


def test_edits_are_analysed_alone_and_match_a_fresh_analysis(tmp_path: Path) -> None:
    path = _with_broken_lines(tmp_path)
    ds, an = _analysed(path)
    ds.change(8, ops.set_value("/messages/1/content", "Tell me about neon, " * 40), "longer question")
    ds.set_text(2, json.dumps(_chat(99)), "fix the cut-off line")
    assert an.update(ds) == 2
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_bytes(ds.content())
    dataset_module._PARSED.clear()
    analysis._KEPT.clear()
    ds2, an2 = _analysed(fresh)
    assert _facts(ds, an) == _facts(ds2, an2)
    assert an.statistics(ds).to_dict() == {**an2.statistics(ds2).to_dict(), "path": str(path)}
    assert an.statistics(ds).to_dict() == {**stats.compute(fresh).to_dict(), "path": str(path)}


def test_reopening_the_same_content_parses_nothing_and_saves_byte_for_byte(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "broken.jsonl"
    shutil.copyfile(SAMPLES / "elle_broken.jsonl", path)
    first = Dataset.open(path)
    monkeypatch.setattr(dataset_module, "parse_entries", lambda body: pytest.fail("parsed again"))
    second = Dataset.open(path)
    assert [e.raw for e in second.entries] == [e.raw for e in first.entries]
    second.change(3, ops.set_value("/messages/1/content", "Tell me about argon."), "edit")
    assert first.entries[3].raw == (SAMPLES / "elle_broken.jsonl").read_bytes().split(b"\n")[3] + b"\n"  # shared
    second.save()
    before, after = (SAMPLES / "elle_broken.jsonl").read_bytes().split(b"\n"), path.read_bytes().split(b"\n")
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [3]
    monkeypatch.undo()
    path.write_bytes(path.read_bytes() + b"\n")  # other content: parsed anew
    assert len(Dataset.open(path)) == len(first) + 1


# -- the table's summary and widths -----------------------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from("ab \n\t\u3000é\ud800"), max_size=3000))
def test_preview_reads_only_the_start_and_says_the_same(text: str) -> None:
    whole = " ".join(shown(text).split())
    expected = whole[:PREVIEW - 1] + "…" if len(whole) > PREVIEW else whole
    assert preview(text) == expected


def test_every_column_fits_a_1280_pixel_window() -> None:
    plain = list(table.COLUMNS)
    assert list(table.widths(plain)) == plain and sum(table.widths(plain).values()) <= 780
    assert sum(table.widths([*plain, "review"]).values()) <= 780
