"""Near-duplicates: datasketch-identical sketches, exact and sketched paths, and the F131 / F113 rules."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_support import corpus_file, corpus_records

from toolkit import dedup, lint, minhash
from toolkit.config import Settings
from toolkit.engine import Linter
from toolkit.rules import RULES, load_all

load_all()
WORDS = [f"w{i}" for i in range(5000)]


def prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def reword(rng: random.Random, text: str, changes: int) -> str:
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def chat(user: str, assistant: str, system: str | None = None) -> dict:
    msgs = [{"role": "system", "content": system}] if system else []
    return {"messages": [*msgs, {"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# -- the sketches are datasketch's ---------------------------------------------------------


def corpus_texts() -> list[str]:
    texts = ["Hello world, this is a TEST of the café 😀 中文字符测试", "one", "two words", "", "!!! ...",
             "x" * 5000 + " y z"]
    for name in ("foundry_orca_dpo_validation.jsonl", "cookbook_drone_training.jsonl",
                 "foundry_chartqa_vision_validation.jsonl", "aoaisearchdemo_prompt_completion_train.jsonl"):
        texts += [dedup.example_text(r) for r in corpus_records(name)]
    return texts


def test_signatures_equal_datasketch_minhash():
    texts = corpus_texts()
    hashes, owners = minhash.shingle_hashes(texts)
    sig = minhash.signatures(hashes, owners, len(texts), minhash.params(0.8))
    for i in range(len(texts)):
        mine = hashes[owners == i]
        reference = MinHash(num_perm=minhash.NUM_PERM, seed=minhash.SEED, hashfunc=lambda h: h)
        if mine.size:
            reference.update_batch(mine.tolist())
        assert np.array_equal(reference.hashvalues, sig[i]), texts[i][:60]


def test_numpy_shingles_are_the_python_shingles():
    """Same words, same 3-grams: the exact path and the sketch path compare the same sets."""
    texts = corpus_texts()
    hashes, owners = minhash.shingle_hashes(texts)
    for i, text in enumerate(texts):
        assert len(set(hashes[owners == i].tolist())) == len(dedup.shingles(text))


def test_words_are_ascii_runs_or_single_non_ascii_characters():
    assert dedup.shingles("Café, CAFÉ!") == {("caf", "é", "caf")} | {("é", "caf", "é")}
    assert dedup.shingles("中文字") == {("中", "文", "字")}
    assert dedup.shingles("Hi there") == {("hi", "there")}
    assert dedup.shingles("...") == set()


def test_lsh_bands_come_from_datasketch():
    from datasketch import MinHashLSH

    for threshold in (0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95):
        lsh = MinHashLSH(threshold=threshold, num_perm=64, weights=minhash.LSH_WEIGHTS)
        p = minhash.params(threshold)
        assert (p.bands, p.rows) == (lsh.b, lsh.r), threshold


def test_permutations_are_datasketchs_without_importing_it():
    a, b = MinHash(num_perm=minhash.NUM_PERM, seed=minhash.SEED, scheme="affine32").permutations
    p = minhash.params(0.8)
    assert p.a.dtype == p.b.dtype == np.uint32
    assert np.array_equal(p.a, a) and np.array_equal(p.b, b)


# -- finding pairs -------------------------------------------------------------------------


def test_example_text_of_every_format():
    assert dedup.example_text(chat("q", "a", system="s")) == "q\na"
    dpo = {"input": {"messages": [{"role": "user", "content": "q"}]},
           "preferred_output": [{"role": "assistant", "content": "good"}],
           "non_preferred_output": [{"role": "assistant", "content": "bad"}]}
    assert dedup.example_text(dpo) == "q\ngood\nbad"
    assert dedup.example_text({"prompt": "p", "completion": "c"}) == "p\nc"
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url"}]}]}
    assert dedup.example_text(parts) == "look"
    for odd in (None, 5, [], {"messages": None}, {"messages": [None, {"role": "user", "content": 5}]}):
        assert dedup.example_text(odd) == ""


def test_exact_path_finds_rewordings_not_different_texts():
    rng = random.Random(1)
    near = dedup.NearDuplicates()
    base = prose(rng, 60)
    near.add_text(1, base)
    near.add_text(2, reword(rng, base, 1))       # one word changed: about 0.9
    near.add_text(3, prose(rng, 60))             # unrelated
    near.add_text(4, base.upper() + " !!!")      # same words
    near.add_text(5, "")                         # no words: never a duplicate
    assert near.exact
    pairs = {(p.first, p.second): p.similarity for p in near.pairs()}
    assert set(pairs) == {(1, 2), (1, 4), (2, 4)}
    assert pairs[(1, 4)] == 1.0 and 0.8 <= pairs[(1, 2)] < 1.0


def test_sketch_path_finds_planted_pairs_and_estimates_similarity():
    rng = random.Random(7)
    texts = [prose(rng, rng.randint(40, 200)) for _ in range(2000)]
    planted = {}
    for _ in range(60):
        i = rng.randrange(2000)
        texts.append(reword(rng, texts[i], rng.choice([0, 1, 2])))
        planted[len(texts) - 1] = i
    near = dedup.NearDuplicates()
    for key, text in enumerate(texts):
        near.add_text(key, text)
    assert not near.exact
    found = {(p.first, p.second): p.similarity for p in near.pairs()}
    hits = [(i, j) for j, i in planted.items() if (min(i, j), max(i, j)) in found]
    assert len(hits) >= 0.9 * len(planted)
    for (a, b), sim in found.items():  # no false pairs, and estimates near the exact value
        exact = dedup.jaccard(dedup.shingles(texts[a]), dedup.shingles(texts[b]))
        assert exact >= 0.6 and abs(sim - exact) < 0.2


def test_cross_pairs_in_both_modes():
    rng = random.Random(3)
    train = [prose(rng, 80) for _ in range(300)]
    for size in (10, 400):  # validation compared exactly's boilerplate / sketched
        val = [prose(rng, 80) for _ in range(size)]
        val[5] = reword(rng, train[17], 1)
        a, b = dedup.NearDuplicates(), dedup.NearDuplicates()
        for k, t in enumerate(train):
            a.add_text(k, t)
        for k, t in enumerate(val):
            b.add_text(k, t)
        assert [(p.first, p.second) for p in a.pairs_with(b)] == [(17, 5)]
    small_a, small_b = dedup.NearDuplicates(), dedup.NearDuplicates()
    small_a.add_text(1, train[0])
    small_b.add_text(9, reword(rng, train[0], 1))
    assert [(p.first, p.second) for p in small_a.pairs_with(small_b)] == [(1, 9)]


def test_boilerplate_shared_by_most_examples_is_left_out():
    """A task template in every prompt does not make examples near-duplicates (the RFT countdown file)."""
    template = "You are an expert in arithmetic problem solving. Combine all the numbers exactly once " * 3
    near = dedup.NearDuplicates()
    rng = random.Random(5)
    for k in range(30):
        near.add_text(k, f"{template} target {rng.randint(1, 999)} numbers {rng.sample(range(100), 4)}")
    near.add_text(30, f"{template} target 5 numbers [1, 2, 3, 4]")
    near.add_text(31, f"{template} target 5 numbers [1, 2, 3, 4] please")
    assert [(p.first, p.second) for p in near.pairs()] == [(30, 31)]


# -- the rules, through the engine ---------------------------------------------------------


def codes(result, *rules: str) -> list[tuple[int | None, str]]:
    return [(d.line, d.rule) for d in result.diagnostics if d.rule in rules]


def test_f131_reports_each_near_copy_once_and_leaves_exact_copies_to_f130(tmp_path):
    rng = random.Random(11)
    records = [chat(prose(rng, 30), prose(rng, 50)) for _ in range(12)]
    records.append(chat(records[2]["messages"][0]["content"], records[2]["messages"][1]["content"], system="Be kind"))
    records.append(records[4])  # byte-identical
    records.append(chat(reword(rng, records[6]["messages"][0]["content"], 1), records[6]["messages"][1]["content"]))
    path = write(tmp_path / "train.jsonl", records)
    result = lint(path)
    assert codes(result, "F130", "F131") == [(13, "F131"), (14, "F130"), (15, "F131")]
    [same] = [d for d in result.diagnostics if d.line == 13 and d.rule == "F131"]
    assert same.message.startswith("line 13 has the same words in its user and assistant text as line 3;")
    [close] = [d for d in result.diagnostics if d.line == 15 and d.rule == "F131"]
    assert close.message.startswith("line 15 is ") and "similar" in close.message and "line 7" in close.message
    assert RULES["F131"].severity.value == "warning"


def test_f131_on_rft_rows_names_the_user_text_they_have() -> None:
    """An RFT row has no assistant turn: "same words in its user and assistant text" named text that is not there."""
    from toolkit.engine import Linter

    rng = random.Random(5)
    questions = [prose(rng, 30) for _ in range(3)]
    rows = [{"messages": [{"role": "user", "content": q}], "answer": "A"}
            for q in [*questions, questions[0].replace(" ", "  ")]]  # the same words, other spacing: not F130
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    result = Linter(Settings(provider="openai", method="reinforcement")).lint_bytes(data, name="rft.jsonl")
    [same] = [d for d in result.diagnostics if d.rule == "F131"]
    assert same.message.startswith("line 4 has the same words in its user text as line 1;")


def test_f131_on_a_file_large_enough_to_be_sketched(tmp_path):
    rng = random.Random(12)
    records = [chat(prose(rng, 40), prose(rng, 80)) for _ in range(600)]
    records.append(chat(records[100]["messages"][0]["content"], reword(rng, records[100]["messages"][1]["content"], 1)))
    result = lint(write(tmp_path / "big.jsonl", records))
    assert codes(result, "F131") == [(601, "F131")]


def test_f113_reports_near_copies_in_the_validation_file(tmp_path):
    rng = random.Random(13)
    train = [chat(prose(rng, 30), prose(rng, 50)) for _ in range(20)]
    val = [chat(prose(rng, 30), prose(rng, 50)) for _ in range(5)]
    val[1] = train[3]                                                    # exact: F112
    val[3] = chat(reword(rng, train[8]["messages"][0]["content"], 1), train[8]["messages"][1]["content"])
    t, v = write(tmp_path / "train.jsonl", train), write(tmp_path / "val.jsonl", val)
    result = lint(t, validation=v)
    assert codes(result, "F112", "F113") == [(4, "F112"), (9, "F113")]
    [leak] = [d for d in result.diagnostics if d.rule == "F113"]
    assert "line 4 of the validation file val.jsonl" in leak.message


def test_disabled_rules_gather_nothing(tmp_path):
    path = write(tmp_path / "train.jsonl", [chat("a b c", "d e f")] * 2)
    linter = Linter(Settings(ignore=("F131", "F113", "F092", "C215", "F080", "L030", "C130")))
    _, summary = linter.lint_file(path)
    assert summary.collected == {}
    _, summary = Linter(Settings()).lint_file(path)
    assert set(summary.collected) == {"near-duplicates", "foreign-formats", "image-examples", "completion-style",
                                      "system-prompts"}
    _, summary = Linter(Settings(ignore=("F131", "F113", "F092", "C215", "L030", "C130"))).lint_file(path)
    assert set(summary.collected) == {"image-examples"}  # F080 still counts the examples with images


def test_corpus_near_duplicates():
    """The medical MCQ file holds copies that differ only in spacing; the countdown template is not flagged."""
    result = lint(corpus_file("foundry_rft_medmcq_validation.jsonl"))
    lines = {line for line, _ in codes(result, "F131")}
    assert {2052, 2976} <= lines
    assert codes(lint(corpus_file("foundry_rft_countdown_train_25.jsonl")), "F131") == []


@pytest.mark.parametrize("name", ["cookbook_drone_training.jsonl", "foundry_orca_dpo_validation.jsonl",
                                  "aoaisearchdemo_prompt_completion_train.jsonl", "foundry_gsm8k_chat_validation.jsonl"])
def test_corpus_files_without_near_duplicates(name):
    assert codes(lint(corpus_file(name)), "F131") == []


def test_f131_same_question_about_other_images_or_numbers_or_with_other_answers_is_not_a_near_copy(tmp_path):
    rng = random.Random(5)
    question = prose(rng, 40)

    def vision(url: str, answer: str) -> dict:
        return {"messages": [{"role": "user", "content": [{"type": "text", "text": question},
                                                          {"type": "image_url", "image_url": {"url": url}}]},
                             {"role": "assistant", "content": answer}]}
    answer = prose(rng, 20)
    records = [vision(f"https://example.com/chart{i}.png", answer) for i in range(3)]  # other images, same answer
    records += [vision("data:image/png;base64,iVBORw0KGgo" + "A" * i, answer) for i in range(1, 3)]
    template = "Using the numbers {} create an equation that equals {}. " + prose(rng, 40)
    records += [chat(template.format("[3, 5, 7]", 15), "Step by step: 3 + 5 + 7"),
                chat(template.format("[4, 9, 2]", 22), "Step by step: 4 + 9 + 2")]  # other numbers
    records += [chat(question, prose(rng, 20)), chat(question, prose(rng, 20))]  # same prompt, other answers
    records += [chat(prose(rng, 30), "ok") for _ in range(3)]
    assert codes(lint(write(tmp_path / "t.jsonl", records)), "F131") == []
    # the same image and answer, the question reworded: still a near-copy
    records.append(vision("https://example.com/chart0.png", answer))
    records[-1]["messages"][0]["content"][0]["text"] = reword(rng, question, 1)
    assert codes(lint(write(tmp_path / "t2.jsonl", records)), "F131") == [(len(records), "F131")]


def test_f131_sketched_files_also_keep_numbers_images_and_answers_apart(tmp_path):
    rng = random.Random(8)
    text = prose(rng, 60)
    records = [chat(f"{text} Solve {i} + {i * 7}.", f"{text} The answer is {i * 8}.") for i in range(150)]
    records += [chat(text, prose(rng, 30)) for _ in range(150)]  # same prompt, other answers
    records += [chat(prose(rng, 40), prose(rng, 40)) for _ in range(20)]
    records.append(chat(f"{text}  Solve 3 + 21 .", f"{text} The answer is  24."))  # a near copy of line 4
    found = codes(lint(write(tmp_path / "big.jsonl", records)), "F131")
    assert found == [(len(records), "F131")]


_PIECES = st.sampled_from(["word", "Σ", "ΟΔΟΣ", "İstanbul", "日本語", "😀", "a1", "\n", " ", "", "x y", "ß", "-", "\x00"])


@given(st.lists(st.tuples(st.lists(_PIECES, max_size=8).map("".join), st.lists(_PIECES, max_size=8).map("".join)),
                min_size=1, max_size=6))
@settings(deadline=None)
def test_answer_shingles_taken_from_the_text_equal_their_own(pairs: list[tuple[str, str]]) -> None:
    """Hashing a text once and reading its answer's 3-grams from it gives the answer's own 3-grams."""
    texts = ["\n".join(t for t in (p, a) if t) for p, a in pairs]
    answers = [a or "zqxnoanswerzqx" for _, a in pairs]

    def per_text(hashes: Any, owners: Any) -> list[tuple[int, int]]:
        return sorted(zip(owners.tolist(), hashes.tolist(), strict=True))

    (hashes, owners, in_tail), (others, other_owners) = minhash.shingle_hashes_with_tails(texts, answers)
    assert per_text(hashes, owners) == per_text(*minhash.shingle_hashes(texts))
    tails = sorted([*zip(owners[in_tail].tolist(), hashes[in_tail].tolist(), strict=True),
                    *zip(other_owners.tolist(), others.tolist(), strict=True)])
    assert tails == per_text(*minhash.shingle_hashes(answers))


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=40), st.integers(0, 2**32 - 1))
@settings(deadline=None)
def test_text_and_tail_signatures_are_each_parts_own(marks: list[tuple[bool, bool]], seed: int) -> None:
    """Permuting each 3-gram once for both signatures gives each one's own :func:`minhash.signatures`."""
    rng = np.random.default_rng(seed)
    n = 4
    hashes = rng.integers(0, 2**32, len(marks), dtype=np.uint32)
    owners = np.sort(rng.integers(0, n, len(marks)))
    in_text = np.array([t for t, _ in marks], dtype=bool)
    in_tail = np.array([a for _, a in marks], dtype=bool)
    others = rng.integers(0, 2**32, 3, dtype=np.uint32), np.array([1, 1, 3])
    p = minhash.params(0.8)
    text, tail = minhash.text_and_tail_signatures(hashes, owners, in_text, in_tail, others, n, p)
    assert np.array_equal(text, minhash.signatures(hashes[in_text], owners[in_text], n, p))
    tail_hashes = np.concatenate([hashes[in_tail], others[0]])
    tail_owners = np.concatenate([owners[in_tail], others[1]])
    order = np.argsort(tail_owners, kind="stable")
    assert np.array_equal(tail, minhash.signatures(tail_hashes[order], tail_owners[order], n, p))


def test_a_collection_prepared_for_a_split_sketches_as_it_reads() -> None:
    """A file split between two processes keeps both cores busy: each part sketches without a worker thread, to the
    same sketches."""
    rng = random.Random(4)
    texts = [prose(rng, 60) for _ in range(2000)]
    threaded, inline = dedup.NearDuplicates(), dedup.NearDuplicates()
    inline.prepare()
    for i, text in enumerate(texts):
        threaded.add_text(i, text, answer=text[-40:])
        inline.add_text(i, text, answer=text[-40:])
        assert inline._worker is None
    assert threaded._worker is not None
    for mine, theirs in zip(inline._sketched().arrays(), threaded._sketched().arrays(), strict=True):
        assert np.array_equal(mine, theirs)


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.,- a_b\n\u0663\u00e9\u4e00\u00b2\uff11"), max_size=60))
def test_numbers_are_found_by_the_digit_scan_as_by_the_word_boundary_scan(text: str) -> None:
    assert dedup.numbers_in(text) == dedup._NUMBER.findall(text)


def _python_word_hashes(encoded: list[bytes]) -> tuple[list[int], list[int], list[int]]:
    """The words of the joined texts one by one (a run of ASCII letters and digits, or one non-ASCII character:
    its lead byte and continuation bytes), each hashed as fmix64(sum((byte_k + 1) * _P ** k)) with Python ints."""
    mask = (1 << 64) - 1

    def fmix64(h: int) -> int:
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & mask
        h ^= h >> 33
        h = (h * 0xC4CEB9FE1A85EC53) & mask
        return h ^ (h >> 33)

    def kind(byte: int) -> int:
        return 1 if chr(byte).isascii() and chr(byte).isalnum() else 2 if byte >= 0xC0 else 3 if byte >= 0x80 else 0

    words: list[list[int]] = []
    firsts: list[int] = []
    owners: list[int] = []
    at = 0
    for text, data in enumerate(encoded):
        previous = 0
        for pos, byte in enumerate(data):
            k = kind(byte)
            if k == 2 or (k == 1 and previous != 1):
                words.append([])
                firsts.append(at + pos)
                owners.append(text)
            if k and words:
                words[-1].append(byte)
            previous = k
        at += len(data) + 1  # the texts are joined with a byte 0
    hashes = [fmix64(sum((b + 1) * minhash._P ** i for i, b in enumerate(w)) & mask) for w in words]
    return hashes, firsts, owners


@given(st.lists(st.lists(_PIECES, max_size=10).map("".join), min_size=1, max_size=5))
@settings(deadline=None)
def test_word_hashes_equal_the_word_by_word_hashes(texts: list[str]) -> None:
    """The numpy word hashes (every byte weighted by the power of its position, divided back by its word's start)
    equal each word hashed on its own."""
    encoded = [t.lower().encode("utf-8", "surrogatepass") for t in texts]
    found = minhash._word_hashes(encoded)
    hashes, firsts, owners = _python_word_hashes(encoded)
    if found is None:
        assert hashes == []
        return
    words, first, text_of = found
    assert (words.tolist(), first.tolist(), text_of.tolist()) == (hashes, firsts, owners)
    assert first.dtype == np.int32 and text_of.dtype == np.int64 and words.dtype == np.uint64


def test_word_hashes_of_a_batch_longer_than_the_powers_held() -> None:
    """The tables of powers grow with the batch (a long example in a batch of its own)."""
    minhash._POWERS = None
    small = minhash._word_hashes([b"abc def"])
    long_text = ("word " * 40_000 + "tail end").encode()
    found = minhash._word_hashes([b"abc def", long_text])
    assert small is not None and found is not None
    assert found[0][:2].tolist() == small[0].tolist()
    assert found[0][-2:].tolist() == _python_word_hashes([b"tail end"])[0]


_CASED = st.sampled_from(["word", "Σ", "ΟΔΟΣ ", "İ", "\u212a", "ẞ", "ﬃ", "ǅ", "日本", "😀", "\ud800", "a1", "\n", " ", "-"])


@given(st.lists(_CASED, max_size=10).map("".join), st.lists(_CASED, max_size=10).map("".join))
@settings(deadline=None)
def test_a_tails_size_lower_cased_is_read_from_its_text_lower_cased(head: str, tail: str) -> None:
    """The UTF-8 size of a tail lower-cased, read from its text lower-cased (ASCII texts, texts whose characters
    lower-case one to one, final sigmas, characters that lower-case to several or to ASCII), equals its own."""
    text = head + tail
    lowered = text.lower()
    encoded = lowered.encode("utf-8", "surrogatepass")
    assert minhash._lowered_size(tail, text, lowered, encoded) == len(tail.lower().encode("utf-8", "surrogatepass"))


def test_the_distinct_key_of_a_text_without_numbers_or_images_is_the_digest_of_nothing() -> None:
    """The key that most examples share is a constant: the digest that the images and numbers, none, would give."""
    import hashlib

    digest = int.from_bytes(hashlib.blake2b(b"\x01", digest_size=8).digest(), "little", signed=True)
    assert dedup.distinct_key("no numbers here", []) == digest
    assert dedup.distinct_key("a text with 2 numbers, 3", []) != digest
    assert dedup.distinct_key("", ["https://example.com/a.png"]) != digest
