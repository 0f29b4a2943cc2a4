"""toolkit.split / `tunesmith split`: deterministic, byte-exact and leak-free (with planted near-duplicates)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_support import corpus_file

from toolkit import lint, split
from toolkit.cli.main import main
from toolkit.dedup import NearDuplicates
from toolkit.errors import InputError, UsageError

WORDS = [f"w{i}" for i in range(3000)]


def chat(user: str, assistant: str, system: str | None = None) -> dict:
    msgs = [{"role": "system", "content": system}] if system else []
    return {"messages": [*msgs, {"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def reword(rng: random.Random, text: str) -> str:
    words = text.split()
    words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def records_of(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines(keepends=True) if line.strip()]


def planted_file(rng: random.Random, path: Path, n_base: int) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """Unique examples plus near-copies (one word changed), exact copies and re-spaced copies, shuffled.

    Returns the pairs that must land on the same side, and all lines.
    """
    base = [chat(sentence(rng, rng.randint(40, 70)), sentence(rng, rng.randint(40, 70))) for _ in range(n_base)]
    lines = [json.dumps(r).encode() + b"\n" for r in base]
    together = []
    for _ in range(rng.randint(1, max(1, n_base // 3))):
        i = rng.randrange(n_base)
        kind = rng.choice(["near", "exact", "spacing"])
        if kind == "near":
            copy = chat(reword(rng, base[i]["messages"][0]["content"]), base[i]["messages"][1]["content"])
            line = json.dumps(copy).encode() + b"\n"
        elif kind == "exact":
            line = lines[i]
        else:
            line = json.dumps(base[i], separators=(",", ":")).encode() + b"\n"
        lines.append(line)
        together.append((lines[i], line))
    rng.shuffle(lines)
    path.write_bytes(b"".join(lines))
    return together, lines


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), data_seed=st.integers(0, 2**32 - 1), n_base=st.integers(4, 60),
       share=st.sampled_from([0.1, 0.2, 0.34, 0.5]))
def test_split_is_deterministic_byte_exact_and_leak_free(tmp_path_factory, seed, data_seed, n_base, share):
    folder = tmp_path_factory.mktemp("split")
    together, lines = planted_file(random.Random(data_seed), folder / "data.jsonl", n_base)
    one, two = folder / "one", folder / "two"
    one.mkdir()
    two.mkdir()
    first = split.split(folder / "data.jsonl", validation=share, seed=seed, out_dir=one)
    second = split.split(folder / "data.jsonl", validation=share, seed=seed, out_dir=two)
    train, val = Path(first.train_path), Path(first.validation_path)
    # deterministic
    assert train.read_bytes() == (two / "data_train.jsonl").read_bytes()
    assert val.read_bytes() == (two / "data_validation.jsonl").read_bytes()
    assert second.plan.sides == first.plan.sides
    # every line, byte for byte, exactly once
    assert Counter(records_of(train) + records_of(val)) == Counter(lines)
    # planted copies never straddle the two files
    train_lines, val_lines = set(records_of(train)), set(records_of(val))
    for a, b in together:
        assert (a in train_lines) == (b in train_lines) and (a in val_lines) == (b in val_lines)
    # and the near-duplicate detector finds nothing across them
    left, right = NearDuplicates(), NearDuplicates()
    for k, line in enumerate(records_of(train)):
        left.add(k, json.loads(line))
    for k, line in enumerate(records_of(val)):
        right.add(k, json.loads(line))
    assert left.pairs_with(right) == []
    # about the share asked for, never more, never empty
    target = max(1, round(len(lines) * share))
    assert 0 < first.validation_examples <= target


def test_large_file_split_has_no_leak_that_lint_can_see(tmp_path):
    rng = random.Random(4)
    planted_file(rng, tmp_path / "big.jsonl", 700)  # > 256 examples: the sketched path
    result = split.split(tmp_path / "big.jsonl", validation=0.1, seed=3)
    report = lint(result.train_path, validation=result.validation_path)
    assert [d for d in report.diagnostics if d.rule in ("F112", "F113")] == []
    assert result.validation_examples == round(len(records_of(tmp_path / "big.jsonl")) * 0.1)


def test_seed_changes_the_split(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(chat(f"question {i} " * 5, f"answer {i}")) + "\n" for i in range(50)))
    sides = {s: split.assign(path, validation=0.2, seed=s).validation_lines for s in range(4)}
    assert len({tuple(v) for v in sides.values()}) > 1
    assert all(len(v) == 10 for v in sides.values())


def test_group_by_system_and_user(tmp_path):
    path = tmp_path / "d.jsonl"
    records = [chat(f"q{i} " * 5, f"a{i} " * 5, system=f"persona {i % 4}") for i in range(40)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    plan = split.assign(path, validation=0.25, seed=1, group_by="system")
    by_persona = {}
    for line, side in plan.sides.items():
        by_persona.setdefault(records[line - 1]["messages"][0]["content"], set()).add(side)
    assert all(len(s) == 1 for s in by_persona.values()) and plan.groups == 4
    assert len(plan.validation_lines) == 10
    records = [chat(f"same question {i % 5}", f"answer {i} " * 6) for i in range(30)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    plan = split.assign(path, validation=0.2, seed=0, group_by="user")
    assert plan.groups == 5
    with pytest.raises(UsageError, match="group-by"):
        split.assign(path, group_by="assistant")


def test_lines_are_copied_byte_for_byte(tmp_path):
    lines = [b'{"messages": [{"role": "user", "content": "caf\\u00e9 %d"}, {"role": "assistant", "content": "x"}]}\r\n'
             % i for i in range(9)]
    lines.append(b'{ "messages" : [ {"role":"user","content":"last"}, {"role":"assistant","content":"y"} ] }')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines[:5]) + b"\n   \n" + b"".join(lines[5:]))
    result = split.split(path, validation=3, seed=0)
    train, val = Path(result.train_path).read_bytes(), Path(result.validation_path).read_bytes()
    assert train.startswith(b"\xef\xbb\xbf") and val.startswith(b"\xef\xbb\xbf")
    got = records_of(Path(result.train_path)) + records_of(Path(result.validation_path))
    got = [g.removeprefix(b"\xef\xbb\xbf") for g in got]
    assert Counter(got) == Counter(lines[:-1] + [lines[-1] + b"\n"])
    assert (result.train_examples, result.validation_examples) == (7, 3)


def test_bad_input_gets_clear_errors(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(chat("a", "b")) + "\n{not json\n" + json.dumps(chat("c", "d")) + "\n")
    with pytest.raises(InputError, match=r"d.jsonl:2: not valid JSON.*tunesmith fix"):
        split.assign(path)
    path.write_text(json.dumps(chat("a", "b")) + "\n")
    with pytest.raises(InputError, match="at least 2"):
        split.assign(path)
    path.write_text("".join(json.dumps(chat(f"q{i}", f"a{i}")) + "\n" for i in range(5)))
    with pytest.raises(UsageError, match="none for training"):
        split.assign(path, validation=5)
    with pytest.raises(UsageError, match="fraction"):
        split.assign(path, validation=-0.1)
    same = "".join(json.dumps(chat("the very same question here", f"answer {i}"), separators=(",", ":")) + "\n"
                   for i in range(5))
    path.write_text(same)
    with pytest.raises(InputError, match="larger than"):
        split.assign(path, validation=0.2, group_by="user")
    with pytest.raises(InputError, match="no such file"):
        split.assign(tmp_path / "missing.jsonl")


def test_groups_too_large_get_advice_for_the_grouping_chosen(tmp_path):
    """It advised "group by hash" to users already grouping by hash."""
    path = tmp_path / "d.jsonl"
    copies = [chat(f"question {i // 3}", f"answer {i // 3}") for i in range(9)]  # three copies of each of three
    path.write_text("".join(json.dumps(r) + "\n" for r in copies))
    with pytest.raises(InputError) as raised:
        split.assign(path, validation=1)
    assert str(raised.value) == (
        f"{path}: every group of examples is larger than the 1 validation example asked for (the smallest has 3; "
        "copies and near-duplicates are kept together): ask for at least 3 validation examples (--validation 3), or "
        "remove the copies and near-duplicates that `tunesmith lint` reports (F130, F131)")
    assert "group by" not in str(raised.value)
    shared = [chat("the very same question here", f"answer {i} " + "different words " * i) for i in range(5)]
    path.write_text("".join(json.dumps(r) + "\n" for r in shared))
    with pytest.raises(InputError) as raised:
        split.assign(path, validation=0.2, group_by="user")
    assert str(raised.value).endswith(
        "(the smallest has 5; examples with the same first user message, copies and near-duplicates are kept "
        "together): group by content only (--group-by hash, the default)")


def test_outputs_are_not_overwritten_without_force(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(chat(f"q{i} " * 4, f"a{i}")) + "\n" for i in range(20)))
    assert main(["split", str(path), "--validation", "0.1", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'd_train.jsonl'} (18 examples)" in out and "(2 examples)" in out and "seed 7" in out
    assert main(["split", str(path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["split", str(path), "--force", "-o", str(tmp_path)]) == 0


def test_an_output_dir_that_is_a_file_is_named_as_such(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(chat(f"q{i} " * 4, f"a{i}")) + "\n" for i in range(12)))
    assert main(["split", str(path), "-o", str(path)]) == 2  # it said "no such folder" about the existing file
    assert capsys.readouterr().err == (f"tunesmith: error: {path}: is not a folder; -o/--output-dir takes the folder "
                                       "to write the two files in\n")
    assert main(["split", str(path), "-o", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"tunesmith: error: {tmp_path / 'nope'}: no such folder\n"


def test_one_validation_example_is_counted_in_the_singular(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(chat(f"q{i} " * 4, f"a{i}")) + "\n" for i in range(12)))
    assert main(["split", str(path), "--validation", "1"]) == 0
    assert f"{tmp_path / 'd_validation.jsonl'} (1 example)\n" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["cookbook_drone_training.jsonl", "foundry_rft_medmcq_validation.jsonl",
                                  "ganachan_autograding_validation_set_crlf.jsonl", "foundry_orca_dpo_validation.jsonl"])
def test_corpus_files_split_without_leakage(tmp_path, name):
    src = corpus_file(name)
    result = split.split(src, validation=0.1, seed=0, out_dir=tmp_path)
    got = records_of(Path(result.train_path)) + records_of(Path(result.validation_path))
    want = [line if line.endswith(b"\n") else line + b"\n" for line in records_of(src)]
    assert Counter(got) == Counter(want)
    report = lint(result.train_path, validation=result.validation_path)
    assert [d for d in report.diagnostics if d.rule in ("F112", "F113")] == []


def test_the_rft_limits_judge_the_file_format_as_lint_does(tmp_path: Path) -> None:
    """A file of RFT rows whose first row happens to be a chat example is an RFT file for lint (its first records
    decide): split's limit notes judge it alike, not by the first row alone."""
    rows = tmp_path / "rft.jsonl"
    rft = (json.dumps({"messages": [{"role": "user", "content": f"What is {i} squared?"}], "answer": str(i * i)})
           for i in range(1200))
    rows.write_text(json.dumps(chat("Hi", "Hello!")) + "\n" + "".join(r + "\n" for r in rft), "utf-8")
    assert lint(str(rows)).files[0].format == "reinforcement"
    result = next(r for seed in range(100)  # a seed that keeps the chat row first in the training side
                  if Path((r := split.split(str(rows), validation=1100, seed=seed, overwrite=True)).train_path)
                  .read_text("utf-8").startswith('{"messages": [{"role": "user", "content": "Hi"}'))
    assert split.limit_notes(result, "openai") == [
        "validation: 1,100 examples, but OpenAI takes at most 1,000 in an RFT validation file (lint F080): "
        "ask for --validation 1000"]


def test_file_names_are_written_with_their_control_characters_escaped(tmp_path: Path, capsys) -> None:
    """An ESC in a file name drove the terminal in split's, stats' and convert's reports (lint's escaped it)."""
    name = tmp_path / "a\x1b[31mb.jsonl"
    name.write_bytes((Path(__file__).parent.parent / "samples" / "elle_single_turn.jsonl").read_bytes())
    assert main(["split", str(name), "--validation", "3"]) == 0
    assert main(["stats", str(name)]) == 0
    table = tmp_path / "q\x1b[2Ja.csv"
    table.write_text("question,answer\n" + "".join(f"What is element {i}?,Element {i}\n" for i in range(12)), "utf-8")
    main(["convert", str(table), str(tmp_path / "out\x07.jsonl"), "--from", "csv", "--map", "question=user",
          "--map", "answer=assistant"])  # its lint's findings (few examples) decide the exit code
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "a\\x1b[31mb_train.jsonl" in out and "a\\x1b[31mb.jsonl: 14 examples" in out and "out\\x07.jsonl" in err
