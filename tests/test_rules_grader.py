"""Grader rules R050, R051, R080: row keys the templates read, output_json, and the grader config's shape."""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

import pytest
from family_support import assert_findings_sane, context, hits, lint, lint_path, messages, rft, run_record_rule, summary
from rules_support import ODD_RECORDS, corpus_file

from toolkit.rules import RULES
from toolkit.rules.grader import grader_parts, grader_problems, item_refs

STRING_CHECK = {"type": "string_check", "name": "g", "input": "{{ sample.output_text }}",
                "reference": "{{ item.answer }}", "operation": "eq"}


def row(**keys: Any) -> str:
    return json.dumps({"messages": [{"role": "user", "content": "q"}], **keys})


def rft_lint(rows: list[str], grader: Any, **target: Any):
    return lint(rows, method="reinforcement", grader=grader, **target)


# -- R050 -------------------------------------------------------------------------------------

def test_r050_row_without_the_key_the_grader_reads() -> None:
    result = rft_lint([row(answer="4"), row(label="4")], STRING_CHECK)  # Appendix A R-05
    assert hits(result, "R050") == [(2, None)]
    assert messages(result, "R050") == [
        'the grader reads {{ item.answer }} but this row has no "answer" key; grading fails on it '
        "(invalid_variable_error): add it or fix the template"]


def test_r050_nested_and_indexed_references() -> None:
    grader = {**STRING_CHECK, "reference": "{{ item.ref.answers.0 }}", "input": "{{item.ref.kind}}"}
    rows = [row(ref={"answers": ["4"], "kind": "x"}), row(ref={"answers": [], "kind": "x"}), row(ref="4")]
    result = rft_lint(rows, grader)
    assert hits(result, "R050") == [(2, "/ref/answers"), (3, "/ref"), (3, "/ref")]
    assert 'no "0" inside "ref.answers"' in messages(result, "R050")[0]


def test_r050_needs_a_grader_and_an_rft_file() -> None:
    assert hits(rft_lint([row()], None), "R050") == []
    assert hits(lint([row()], method="supervised", grader=STRING_CHECK), "R050") == []


def test_r050_reads_graders_inside_multi_and_method_wrappers() -> None:
    multi = {"type": "multi", "name": "m", "calculate_output": "a + b",
             "graders": {"a": STRING_CHECK, "b": {**STRING_CHECK, "reference": "{{item.other}}"}}}
    wrapped = {"type": "reinforcement", "reinforcement": {"grader": multi, "response_format": None}}
    assert item_refs(wrapped) == (("answer",), ("other",))
    assert hits(rft_lint([row(answer="1")], wrapped), "R050") == [(1, None)]
    assert item_refs({"type": "python", "name": "p", "source": "x = '{{ item.nope }}'"}) == ()


def test_r050_on_the_corpus_countdown_and_medmcq_files() -> None:
    countdown = corpus_file("foundry_rft_countdown_train_25.jsonl")
    grader = {"type": "python", "name": "countdown", "source": "def grade(sample, item):\n    return 1.0\n",
              "image_tag": "2025-05-08"}
    grader_with_refs = {"type": "multi", "name": "m", "calculate_output": "t",
                        "graders": {"t": {**STRING_CHECK, "reference": "{{item.target}} {{item.nums}}"}}}
    for g in (grader, grader_with_refs):
        diags = lint_path(countdown, provider="azure", grader=g)
        assert hits(diags, "R050") == [] and hits(diags, "R080") == []
    medmcq = corpus_file("foundry_rft_medmcq_validation.jsonl")
    head = b"".join(islice(medmcq.open("rb"), 5))
    result = lint(head, provider="azure", method="reinforcement", role="validation",
                  grader={**STRING_CHECK, "reference": "{{item.reference_answer}}"})
    assert hits(result, "R050") == [(n, None) for n in range(1, 6)]


# -- R051 -------------------------------------------------------------------------------------

def test_r051_output_json_needs_a_json_schema_response_format() -> None:
    grader = {**STRING_CHECK, "input": "{{ sample.output_json.answer }}"}
    assert hits(rft_lint([rft(1)], grader), "R051") == [(None, None)]
    assert hits(rft_lint([rft(1)], {"grader": grader, "response_format": {"type": "text"}}), "R051") == [(None, None)]
    ok = {"grader": grader, "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}}
    assert hits(rft_lint([rft(1)], ok), "R051") == []
    assert hits(rft_lint([rft(1)], STRING_CHECK), "R051") == []


# -- R080 -------------------------------------------------------------------------------------

PY_OK = {"type": "python", "name": "p", "source": "def grade(sample, item):\n    return 1.0\n"}
SCORE = {"type": "score_model", "name": "s", "model": "gpt-4o-2024-08-06",
         "input": [{"role": "user", "content": "Grade {{sample.output_text}} against {{item.answer}}"}]}
VALID_GRADERS = [
    STRING_CHECK,
    {"type": "text_similarity", "name": "t", "input": "{{sample.output_text}}", "reference": "{{item.answer}}",
     "evaluation_metric": "fuzzy_match"},
    PY_OK,
    SCORE,
    {**SCORE, "model": "o3-mini-2025-01-31", "range": [0, 10], "sampling_params": {"reasoning_effort": "low"}},
    {"type": "multi", "name": "m", "calculate_output": "0.5 * a + 0.5 * max(b, 0)",
     "graders": {"a": STRING_CHECK, "b": {"type": "label_model", "name": "l", "model": "gpt-4o-2024-08-06",
                                          "input": [{"role": "user", "content": "x"}], "labels": ["good", "bad"],
                                          "passing_labels": ["good"]}}},
    {"grader": STRING_CHECK, "response_format": None},
]
INVALID_GRADERS = [  # (grader, words the message must contain); Appendix A R-08 first
    ({"type": "string_check", "name": "g", "input": "{{sample.output_text}}", "reference": "{{item.label}}",
      "operation": "equals"}, 'grader.operation is "equals"; use one of: eq, ne, like, ilike'),
    ({"type": "text_similarity", "name": "t", "input": "{{sample.output_text}}", "reference": "{{item.a}}",
      "evaluation_metric": "cosine"}, '"cosine" is available for evals only'),
    ({**STRING_CHECK, "operation": "neq"}, '"ne" in the API'),
    ({"type": "string_check", "name": "g"}, "lacks input, reference, operation"),
    ({"type": "exact_match", "name": "g"}, 'grader.type is "exact_match"'),
    ({"type": "label_model", "name": "l"}, "only inside a multi grader"),
    ([STRING_CHECK], "grader is an array"),
    ({"name": "g"}, "grader.type is missing"),
    ({**STRING_CHECK, "name": 5}, "grader.name must be a string"),
    ({**STRING_CHECK, "input": ["{{sample.output_text}}"]}, "grader.input must be a string"),
    ({**STRING_CHECK, "reference": "{{ row.answer }}"}, "unknown namespace"),
    ({**STRING_CHECK, "input": "{{ sample.output }}"}, "unknown sample field"),
    ({**PY_OK, "source": "def grade(sample, item) return 1"}, "does not compile"),
    ({**PY_OK, "source": "def score(sample, item):\n    return 1.0\n"}, "defines no grade(sample, item)"),
    ({**PY_OK, "source": "def grade(s, i):\n    return 1\n" + "#" * 262_144}, "under 256 kB"),
    ({**PY_OK, "source": 5}, "source must be a string"),
    ({**SCORE, "range": [1, 0]}, "range must be two numbers"),
    ({**SCORE, "input": "grade it"}, "input must be a non-empty array of messages"),
    ({**SCORE, "model": "o3-mini-2025-01-31", "sampling_params": {"temperature": 0.2}}, "temperature changes"),
    ({**SCORE, "sampling_params": {"reasoning_effort": "high"}}, "not supported for non-reasoning models"),
    ({"type": "multi", "name": "m", "graders": {"a": STRING_CHECK}, "calculate_output": "a + accuracy"},
     "uses accuracy, which name no grader"),
    ({"type": "multi", "name": "m", "graders": {"a": {"type": "string_check", "name": "x"}},
      "calculate_output": "a"}, "grader.graders.a (string_check) lacks input"),
    ({"type": "multi", "name": "m", "graders": {"a": {"type": "label_model", "name": "l", "model": "gpt-4o-2024-08-06",
                                                     "input": [{"role": "user", "content": "x"}],
                                                     "labels": ["a"], "passing_labels": ["b"]}},
      "calculate_output": "a"}, "'b' are not in labels"),
    ({"type": "multi", "name": "m", "graders": 5, "calculate_output": "a"}, "graders must be an object"),
]


@pytest.mark.parametrize("grader", VALID_GRADERS)
def test_r080_valid_graders_pass(grader: dict) -> None:
    assert hits(rft_lint([rft(1)], grader), "R080") == []


@pytest.mark.parametrize(("grader", "says"), INVALID_GRADERS)
def test_r080_invalid_grader(grader: Any, says: str) -> None:
    result = rft_lint([rft(1)], grader)
    assert (None, None) in hits(result, "R080")
    assert any(says in m for m in messages(result, "R080")), messages(result, "R080")


def test_r081_grader_models_come_from_the_provider_catalog() -> None:
    gpt41 = {**SCORE, "model": "gpt-4.1-2025-04-14"}
    assert hits(rft_lint([rft(1)], gpt41), "R081") == []
    assert "documents (gpt-4o-2024-08-06, o3-mini-2025-01-31)" in \
        messages(rft_lint([rft(1)], gpt41, provider="azure"), "R081")[0]


def test_r080_reports_each_template_problem_once_in_a_multi() -> None:
    multi = {"type": "multi", "name": "m", "calculate_output": "a",
             "graders": {"a": {**STRING_CHECK, "reference": "{{ foo.bar }}"}}}
    assert len([m for m in messages(rft_lint([rft(1)], multi), "R080") if "namespace" in m]) == 1


def test_r080_without_grader_is_silent() -> None:
    assert hits(rft_lint([rft(1)], None), "R080") == []


def test_grader_parts_unwraps_method_objects() -> None:
    assert grader_parts(STRING_CHECK) == (STRING_CHECK, None)
    assert grader_parts({"grader": STRING_CHECK, "response_format": {"type": "json_schema"}}) == (
        STRING_CHECK, {"type": "json_schema"})
    assert grader_parts({"type": "reinforcement", "reinforcement": {"grader": STRING_CHECK}}) == (STRING_CHECK, None)


ODD_GRADERS: list[Any] = [None, 5, "x", [], {}, {"type": None}, {"type": ["multi"]}, {"grader": None},
                          {"reinforcement": []}, {"type": "multi", "graders": [None, 5, {"type": "multi"}]},
                          {"type": "multi", "graders": {"a": None}, "calculate_output": None},
                          {"type": "score_model", "input": [None], "range": [None, "x"], "sampling_params": []},
                          {"type": "score_model", "model": 5, "sampling_params": {"temperature": "x"}},
                          {"type": "label_model"}, {"type": "python", "source": "\x00"},
                          {"type": "string_check", "input": "{{}} {{ item. }} {{ item..a }} {{ sample }}"},
                          {"{{ item.a }}": "{{ item }}"}]


@pytest.mark.parametrize("grader", ODD_GRADERS)
def test_grader_rules_never_raise(grader: Any) -> None:
    for provider in ("openai", "azure"):
        ctx = context("reinforcement", provider, grader=grader)
        for code in ("R051", "R080"):
            assert_findings_sane(list(RULES[code].checker(summary("reinforcement"), ctx)))
        for value in ODD_RECORDS:
            assert_findings_sane(run_record_rule("R050", value, ctx))
    assert all(isinstance(p, str) for p in grader_problems(grader, ("gpt-4o-2024-08-06",)))


# -- R081 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("provider", "model"), [("azure", "o3-mini"), ("azure", "o3-mini-2025-01-31"),
                                                   ("openai", "o3-mini"), ("openai", "gpt-4.1-2025-04-14")])
def test_r081_grader_models_given_by_alias_or_snapshot_pass(provider: str, model: str) -> None:
    # Microsoft's RFT Countdown demo trained on Azure with "model": "o3-mini"
    result = rft_lint([rft(1)], {**SCORE, "model": model}, provider=provider)
    assert not [d for d in result.diagnostics if d.rule in ("R080", "R081")], result.diagnostics


def test_r081_an_unknown_grader_model_is_a_warning_not_an_error() -> None:
    grader = {"type": "multi", "name": "m", "calculate_output": "a", "graders": {"a": {**SCORE, "model": "gpt-9"}}}
    result = rft_lint([rft(1)], grader, provider="azure")
    [found] = [d for d in result.diagnostics if d.rule == "R081"]
    assert found.severity.value == "warning" and "grader.graders.a.model 'gpt-9'" in found.message
    assert not [d for d in result.diagnostics if d.rule == "R080"]
