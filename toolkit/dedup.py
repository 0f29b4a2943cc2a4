"""Near-duplicate examples: records whose user and assistant text is (almost) the same.

>>> near = NearDuplicates()
>>> for line, record in records: near.add(line, record)
>>> near.pairs()            # [Pair(first=3, second=17, similarity=0.92), ...]

Similarity is the Jaccard similarity of the word 3-grams of an example's user and assistant
text (see :mod:`toolkit.minhash` for what a word is); the answer (assistant text) must be as
similar on its own, and two examples whose images (URLs or embedded data) or numbers differ are
never near-duplicates: the same question about another image, or a template filled with other
numbers, is another task. Boilerplate is left out: 3-grams
that at least half of the first examples share (a task template repeated in every prompt
would otherwise make every pair look alike). Up to ``EXACT_LIMIT`` examples are compared
exactly, pair by pair, without loading numpy; beyond that, MinHash sketches and LSH find the
candidates and the sketches estimate their similarity. Texts are sketched in batches on a
worker thread as they arrive, so memory stays at about 200 bytes per example.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

from . import formats

if TYPE_CHECKING:  # both imported only for files big enough to sketch (start-up of lint)
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

THRESHOLD = 0.8
EXACT_LIMIT = 256  # examples compared exactly, pair by pair; also the sample boilerplate is learnt from
BOILERPLATE_SHARE = 0.5  # a 3-gram in at least this share of the sample is boilerplate ...
BOILERPLATE_MIN_SAMPLE = 20  # ... when the sample has at least this many examples
BATCH_BYTES = 1 << 18  # text sketched at once
MAX_TEXT = 1 << 17  # characters of one example compared (a 500-page example is judged by its first 50 pages)
MAX_QUEUED = 2  # batches waiting for the worker thread
_WORD = re.compile(r"[a-z0-9]+|[^\x00-\x7f]")
_TEXT_ROLES = ("user", "assistant")


@dataclass(frozen=True)
class Pair:
    """Two examples (by key, usually the line) whose text is at least ``THRESHOLD`` similar."""

    first: int
    second: int
    similarity: float


_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")  # numbers on their own, not digits inside words
# The same matches, found faster: a pattern that starts with \b is tried at every position, one that starts
# with a digit only where a digit is (a fast scan); the look-behind then asks for the \b before it (no word
# character before the first digit, which is itself one)
_NUMBER_SCAN = re.compile(r"\d(?<!\w\d)\d*(?:[.,]\d+)*\b")
_EMPTY_ANSWER = "zqxnoanswerzqx"  # stands for "no answer" so that two answerless examples compare equal


def _texts(messages: list[Any], out: list[str], answers: list[str], images: list[str]) -> None:
    for m in messages:
        if type(m) is dict and m.get("role") in _TEXT_ROLES:
            into = answers if m.get("role") == "assistant" else out
            content = m.get("content")
            if type(content) is str:
                into.append(content)
            elif type(content) is list:
                for p in content:
                    if type(p) is not dict:
                        continue
                    if type(p.get("text")) is str:
                        into.append(p["text"])
                    elif p.get("type") == "image_url" and type(p.get("image_url")) is dict \
                            and type(p["image_url"].get("url")) is str:
                        images.append(p["image_url"]["url"])


def example_parts(value: Any) -> tuple[str, str, list[str]]:
    """(prompt text, answer text, image URLs) of a record of any format (prompt / completion for legacy ones)."""
    prompt: list[str] = []
    answers: list[str] = []
    images: list[str] = []
    if type(value) is not dict:
        return "", "", images
    msgs = value.get("messages")
    if type(msgs) is list:
        _texts(msgs, prompt, answers, images)
    else:
        inp = value.get("input")
        if type(inp) is dict and type(inp.get("messages")) is list:
            _texts(inp["messages"], prompt, answers, images)
        for side in formats.PREFERENCE_OUTPUTS:
            if type(value.get(side)) is list:
                _texts(value[side], answers, answers, images)
        if type(value.get("prompt")) is str:
            prompt.append(value["prompt"])
        if type(value.get("completion")) is str:
            answers.append(value["completion"])
    return "\n".join(prompt), "\n".join(answers), images


def example_text(value: Any) -> str:
    """The user and assistant text of a record of any format (prompt and completion for legacy ones)."""
    prompt, answer, _ = example_parts(value)
    return "\n".join(t for t in (prompt, answer) if t)


def numbers_in(text: str) -> list[str]:
    """``_NUMBER.findall(text)``: the numbers written on their own in ``text``, in order."""
    return _NUMBER_SCAN.findall(text)


_PLAIN_KEY = -5973614517115033600  # distinct_key of a text without numbers or images (the digest of b"\x01")


def distinct_key(text: str, images: list[str]) -> int:
    """A digest of what makes examples different tasks even when their words agree: images and numbers."""
    numbers = numbers_in(text)
    if not numbers and not images:
        return _PLAIN_KEY  # half the examples of a typical file: no digest to compute
    import hashlib

    numbers.sort()
    data = "\x00".join(sorted(images)) + "\x01" + "\x00".join(numbers)
    return int.from_bytes(hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little",
                          signed=True)


def shingles(text: str) -> set[tuple[str, ...]]:
    """Word 3-grams of the lower-cased text (one shingle for a text of one or two words)."""
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:], words[2:]))


def jaccard(a: set[Any], b: set[Any]) -> float:
    """|a & b| / |a | b| (0 for two empty sets)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _frequent(sets: list[set[Any]] | list[np.ndarray]) -> set[Any]:
    """The shingles in at least ``BOILERPLATE_SHARE`` of ``sets`` (none for a small sample)."""
    if len(sets) < BOILERPLATE_MIN_SAMPLE:
        return set()
    counts: Counter[Any] = Counter()
    for s in sets:
        counts.update(set(s.tolist()) if not isinstance(s, set) else s)
    floor = BOILERPLATE_SHARE * len(sets)
    return {shingle for shingle, n in counts.items() if n >= floor}


def _without(s: set[Any], boilerplate: set[Any]) -> set[Any]:
    """``s`` minus the boilerplate, unless nothing would be left."""
    rest = s - boilerplate
    return rest if rest else s


class _Sketches:
    """Keys, low 8 bits of the MinHash values and LSH band hashes of the examples sketched so far."""

    def __init__(self, threshold: float, sample: list[str], boilerplate: np.ndarray | None = None) -> None:
        import numpy as np

        from . import minhash

        self.params = minhash.params(threshold)
        if boilerplate is None:
            hashes, owners = minhash.shingle_hashes(sample)
            per_text = np.split(hashes, np.searchsorted(owners, np.arange(1, len(sample))))
            boilerplate = np.array(sorted(_frequent(per_text)), dtype=np.uint32)
        self.boilerplate = boilerplate
        self.keys: list[np.ndarray] = []
        self.sig8: list[np.ndarray] = []
        self.bands: list[np.ndarray] = []
        self.answer8: list[np.ndarray] = []
        self.distinct: list[np.ndarray] = []

    def add(self, batch: list[tuple[int, str, str, int]]) -> None:
        import numpy as np

        from . import minhash

        (hashes, owners, in_tail), other_tails = minhash.shingle_hashes_with_tails(
            [t for _, t, _, _ in batch], [a or _EMPTY_ANSWER for _, _, a, _ in batch])  # the answer ends the text
        in_text = np.ones(hashes.size, dtype=bool)
        if self.boilerplate.size:
            drop = np.isin(hashes, self.boilerplate)
            left = np.bincount(owners[~drop], minlength=len(batch))
            drop &= left[owners] > 0  # a text that is all boilerplate keeps its 3-grams
            in_text = ~drop
        sig, answer = minhash.text_and_tail_signatures(hashes, owners, in_text, in_tail, other_tails, len(batch),
                                                       self.params)
        keep = np.zeros(len(batch), dtype=bool)
        keep[owners] = True  # a text without any word is never anyone's duplicate
        self.keys.append(np.array([k for k, _, _, _ in batch], dtype=np.int64)[keep])
        self.sig8.append(minhash.low_bits(sig[keep]))
        self.bands.append(minhash.band_hashes(sig[keep], self.params))
        self.answer8.append(minhash.low_bits(answer[keep]))
        self.distinct.append(np.array([d for _, _, _, d in batch], dtype=np.int64)[keep])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """keys, combined 8-bit signatures, band hashes, answer 8-bit signatures, distinct keys."""
        import numpy as np

        from . import minhash

        if not self.keys:
            return (np.zeros(0, np.int64), np.zeros((0, minhash.NUM_PERM), np.uint8),
                    np.zeros((0, self.params.bands), np.uint32), np.zeros((0, minhash.NUM_PERM), np.uint8),
                    np.zeros(0, np.int64))
        for name in ("keys", "sig8", "bands", "answer8", "distinct"):
            setattr(self, name, [np.concatenate(getattr(self, name))])
        return self.keys[0], self.sig8[0], self.bands[0], self.answer8[0], self.distinct[0]


class NearDuplicates:
    """Collects examples one at a time and finds the near-duplicate pairs among them (or with another).

    Batches are sketched on one worker thread (numpy releases the GIL), so the caller keeps
    reading and linting on the other core; at most ``MAX_QUEUED`` batches wait, so memory
    stays flat. When a file is read in two parts by two processes (see :meth:`prepare`), each
    part is sketched by its own process as it is read: both cores are busy already, and a thread
    would only compete for them (~6 % more CPU time in all on a 2-core machine).
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._pending: list[tuple[int, str, str, int]] = []  # key, prompt + answer, answer, distinct key
        self._pending_bytes = 0
        self._sketches: _Sketches | None = None
        self._count = 0
        self._worker: ThreadPoolExecutor | None = None
        self._queued: deque[Future[None]] = deque()
        self._receive: Callable[[], np.ndarray] | None = None  # a later part's way to the boilerplate
        self.threaded = True  # batches are sketched on a worker thread (else as they are flushed)

    def __len__(self) -> int:
        return self._count

    @property
    def exact(self) -> bool:
        """True while every example is still held as text and compared exactly."""
        return self._sketches is None and self._receive is None

    # -- one file read in parts (by several processes), merged as if read at once --------

    def handoff(self) -> np.ndarray | None:
        """The boilerplate learnt from the first examples, once known: what the collection of a later
        part of the same file needs (see :meth:`receive`)."""
        return None if self._sketches is None else self._sketches.boilerplate

    def receive(self, boilerplate: Callable[[], np.ndarray]) -> None:
        """Collect a later part of a file: sketch from the start, with the boilerplate that ``boilerplate()``
        returns (waiting, if need be, for the first part's :meth:`handoff`), as it reads (no worker thread)."""
        self._receive = boilerplate
        self.threaded = False

    def prepare(self) -> None:
        """Load what sketching needs (numpy, ~0.13 s of CPU, and the LSH shape): before a file is split between
        processes, both parts sketch, and a fork inherits it instead of loading it again. Each process then sketches
        as it reads (no worker thread)."""
        from . import minhash

        minhash.params(self.threshold)
        self.threaded = False

    def merge(self, later: NearDuplicates, skip: set[int]) -> None:
        """Add the examples of ``later`` (the collection of the file's next part, keys after this one's)
        but those keyed in ``skip``, as if they had been added here. Both must be sketching."""
        import numpy as np

        mine, theirs = self._sketched(), later._sketched()
        keys, sig8, bands, answer8, distinct = theirs.arrays()
        keep = ~np.isin(keys, np.fromiter(skip, np.int64, len(skip)))
        for name, rows in (("keys", keys), ("sig8", sig8), ("bands", bands), ("answer8", answer8),
                           ("distinct", distinct)):
            getattr(mine, name).append(rows[keep])
        self._count += later._count - len(skip)

    def __getstate__(self) -> dict[str, Any]:
        """Every example sketched (arrays only: no thread, no texts) when sent to another process."""
        if not self.exact or self._pending:
            self._sketched()
        return {**self.__dict__, "_worker": None, "_queued": deque(), "_receive": None}

    def add(self, key: int, value: Any) -> None:
        """Add one record (its user and assistant text, its images and numbers) under ``key``."""
        prompt, answer, images = example_parts(value)
        text = f"{prompt}\n{answer}" if prompt and answer else prompt or answer  # example_text's join, inline
        self.add_text(key, text, answer=answer, distinct=distinct_key(text, images))

    def add_text(self, key: int, text: str, *, answer: str = "", distinct: int = 0) -> None:
        """Add one text under ``key`` (only its first ``MAX_TEXT`` characters count); ``answer`` must be as
        similar on its own, and examples with different ``distinct`` keys are never near-duplicates."""
        text = text[:MAX_TEXT]
        answer = answer[:MAX_TEXT]
        self._count += 1
        self._pending.append((key, text, answer, distinct))
        self._pending_bytes += len(text)
        sketching = self._sketches is not None or self._receive is not None
        if self._pending_bytes >= BATCH_BYTES if sketching else len(self._pending) > EXACT_LIMIT:
            self._flush()

    def _flush(self, boilerplate: np.ndarray | None = None) -> _Sketches:
        """Sketch the pending texts, on the worker thread when threaded (the first ones also teach the boilerplate)."""
        if self._sketches is None:
            if boilerplate is None and self._receive is not None:
                boilerplate = self._receive()
            self._sketches = _Sketches(self.threshold, [t for _, t, _, _ in self._pending[:EXACT_LIMIT]], boilerplate)
        if self._pending and not self.threaded:
            self._sketches.add(self._pending)
        elif self._pending:
            if self._worker is None:
                from concurrent.futures import ThreadPoolExecutor

                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tunesmith-sketch")
            self._queued.append(self._worker.submit(self._sketches.add, self._pending))
            while len(self._queued) > MAX_QUEUED:
                self._queued.popleft().result()
        self._pending, self._pending_bytes = [], 0
        return self._sketches

    def _sketched(self, boilerplate: np.ndarray | None = None) -> _Sketches:
        """Every example sketched (waits for the worker); ``boilerplate`` if not sketching yet."""
        sketches = self._flush(boilerplate)
        while self._queued:
            self._queued.popleft().result()
        if self._worker is not None:
            self._worker.shutdown()
            self._worker = None
        return sketches

    def _sets(self, boilerplate: set[Any] | None = None) -> tuple[list[tuple[int, set[Any], set[Any], int]], set[Any]]:
        """Each example's 3-grams without the boilerplate (learnt here unless given), its answer's
        3-grams and its distinct key; and the boilerplate."""
        sets = [(k, shingles(t), shingles(a or _EMPTY_ANSWER), d) for k, t, a, d in self._pending]
        if boilerplate is None:
            boilerplate = _frequent([s for _, s, _, _ in sets])
        return [(k, _without(s, boilerplate), a, d) for k, s, a, d in sets], boilerplate

    def _close(self, a: tuple[int, set[Any], set[Any], int], b: tuple[int, set[Any], set[Any], int]) -> float | None:
        """The similarity of two exactly compared examples when they are near-duplicates, else None."""
        t = self.threshold
        if a[3] != b[3] or not _close_sizes(a[1], b[1], t) or (s := jaccard(a[1], b[1])) < t:
            return None
        return s if jaccard(a[2], b[2]) >= t else None

    def pairs(self) -> list[Pair]:
        """Every pair of added examples at least ``threshold`` similar (first key added before second)."""
        if self.exact:
            return [Pair(a[0], b[0], s) for a, b in combinations(self._sets()[0], 2)
                    if (s := self._close(a, b)) is not None]
        from . import minhash

        keys, sig8, bands, answers, distinct = self._sketched().arrays()
        cand = minhash.candidates(bands)
        if not len(cand):
            return []
        i, j = cand[:, 0], cand[:, 1]
        sims = minhash.similarity(sig8[i], sig8[j])
        ok = (sims >= self.threshold) & (distinct[i] == distinct[j]) & (
            minhash.similarity(answers[i], answers[j]) >= self.threshold)
        return [Pair(int(keys[a]), int(keys[b]), float(s)) for (a, b), s in zip(cand[ok], sims[ok])]

    def pairs_with(self, other: NearDuplicates) -> list[Pair]:
        """Pairs (key here, key in ``other``) at least ``threshold`` similar.

        The boilerplate learnt here is left out of ``other`` too, unless ``other`` is big
        enough to have been sketched with its own (files drawn from the same data share it).
        """
        if self.exact and other.exact:
            mine, boilerplate = self._sets()
            theirs, _ = other._sets(boilerplate)
            return [Pair(a[0], b[0], s) for a in mine for b in theirs if (s := self._close(a, b)) is not None]
        from . import minhash

        sketches = self._sketched()
        keys_a, sig_a, bands_a, ans_a, dis_a = sketches.arrays()
        keys_b, sig_b, bands_b, ans_b, dis_b = other._sketched(sketches.boilerplate).arrays()
        cand = minhash.cross_candidates(bands_a, bands_b)
        if not len(cand):
            return []
        i, j = cand[:, 0], cand[:, 1]
        sims = minhash.similarity(sig_a[i], sig_b[j])
        ok = (sims >= self.threshold) & (dis_a[i] == dis_b[j]) & (
            minhash.similarity(ans_a[i], ans_b[j]) >= self.threshold)
        return [Pair(int(keys_a[a]), int(keys_b[b]), float(s)) for (a, b), s in zip(cand[ok], sims[ok])]


def _close_sizes(a: set[Any], b: set[Any], threshold: float) -> bool:
    """Whether two sets are similar enough in size to reach ``threshold`` (J <= min/max)."""
    return bool(a) and bool(b) and min(len(a), len(b)) >= threshold * max(len(a), len(b))
