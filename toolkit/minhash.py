"""MinHash sketches of many texts at once, and near-duplicate candidates by LSH banding.

The sketches are datasketch's: ``MinHash(num_perm=64, seed=1)`` with its ``affine32``
scheme (each shingle's 32-bit hash is mixed with MurmurHash3's finalizer, then permuted as
``a * h + b`` mod 2^32, and the minimum kept per permutation), and the LSH bands and rows
come from ``MinHashLSH``'s optimiser for the threshold. What this module adds is speed and
memory: shingles are hashed for a whole batch of texts with numpy (no Python call per
shingle), and the index is two small arrays per example (32-bit band hashes and the low 8
bits of each signature value, "b-bit MinHash": about 110 bytes) rather than ``MinHashLSH``'s
dict of sets (about 1.75 kB per example).
``tests/test_dedup.py`` checks that the sketches equal datasketch's own, value for value.

Shingles are word 3-grams of the lower-cased text, where a word is a run of ASCII letters
and digits or one non-ASCII character (so Chinese or Japanese text gets character 3-grams);
a text of one or two words is one shingle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

NUM_PERM = 64
SEED = 1
# LSH weights: a missed near-duplicate costs more than checking a false candidate
# (candidates are verified against the signatures), so false negatives weigh 0.9.
LSH_WEIGHTS = (0.1, 0.9)
_P = 0x100000001B3  # FNV-1a 64-bit prime: multiplier of the per-word polynomial hash
_C = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)  # word positions in a 3-gram


@dataclass(frozen=True)
class Params:
    """The permutations (datasketch's) and the LSH bands x rows for one threshold."""

    a: np.ndarray
    b: np.ndarray
    bands: int
    rows: int
    band_keys: np.ndarray


@lru_cache(maxsize=8)
def params(threshold: float) -> Params:
    """datasketch's permutations for ``NUM_PERM``/``SEED`` and its optimal bands for ``threshold``.

    Computed here with numpy alone (datasketch would bring scipy into the lint install);
    ``tests/test_dedup.py`` checks both against datasketch's ``MinHash`` and ``MinHashLSH``.
    """
    import numpy as np

    gen = np.random.RandomState(SEED)  # the draws of MinHash(seed=SEED, scheme="affine32"), in its order
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)  # odd: a bijection
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    bands, rows = _lsh_shape(threshold)
    keys = np.random.RandomState(SEED).randint(1, 1 << 62, size=rows, dtype=np.uint64) | np.uint64(1)
    return Params(a, b, bands, rows, keys)


def _lsh_shape(threshold: float) -> tuple[int, int]:
    """Bands x rows minimising MinHashLSH's weighted false positive and false negative probabilities.

    The probabilities are integrals of polynomials of degree rows x bands <= NUM_PERM, which
    Gauss-Legendre quadrature with NUM_PERM nodes computes exactly (datasketch uses scipy's quad).
    """
    import numpy as np

    nodes, node_weights = np.polynomial.legendre.leggauss(NUM_PERM)

    def integral(lo: float, hi: float, bands: int, rows: int, positive: bool) -> float:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        candidate = 1 - (1 - s**rows) ** bands
        return (hi - lo) / 2 * float(np.dot(node_weights, candidate if positive else 1 - candidate))

    fp_weight, fn_weight = LSH_WEIGHTS
    best, shape = float("inf"), (0, 0)
    for bands in range(1, NUM_PERM + 1):
        for rows in range(1, NUM_PERM // bands + 1):
            error = (integral(0.0, threshold, bands, rows, True) * fp_weight
                     + integral(threshold, 1.0, bands, rows, False) * fn_weight)
            if error < best:
                best, shape = error, (bands, rows)
    return shape


def _fmix64(h: np.ndarray) -> np.ndarray:
    import numpy as np

    h = h ^ (h >> np.uint64(33))  # a new array: the steps after it work in place
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _fmix32(h: np.ndarray) -> np.ndarray:
    import numpy as np

    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    h = h ^ (h >> np.uint32(16))
    return h


@lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """Byte classes: 1 ASCII letter/digit, 2 first byte of a non-ASCII character, 3 continuation byte, 0 other."""
    import numpy as np

    lut = np.zeros(256, dtype=np.uint8)
    for ch in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
        lut[ch] = 1
    lut[0xC0:] = 2
    lut[0x80:0xC0] = 3
    return lut


@lru_cache(maxsize=1)
def _class_table() -> bytes:
    """:func:`_classes` as a ``bytes.translate`` table (a translation is a few times faster than a numpy lookup)."""
    return bytes(_classes().tolist())


def shingle_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every shingle of ``texts`` and the index of the text each belongs to (sorted)."""
    import numpy as np

    found = _word_hashes([t.lower().encode("utf-8", "surrogatepass") for t in texts])
    if found is None:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    words, _, text_of = found
    hashes, owners, _ = _three_grams(words, text_of)
    return hashes, owners


def shingle_hashes_with_tails(texts: Sequence[str], tails: Sequence[str]
                              ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``shingle_hashes(texts)`` with a mark on the 3-grams that are also their tail's, and the 3-grams of the other
    tails (by tail index), hashing each text's bytes once: the tails' own 3-grams are the marked ones and the others.

    A tail that its text ends with, after a newline (a newline separates words), and that has at
    least three words has exactly the 3-grams of the text's last words: those are marked in the
    text's. Other tails are hashed on their own.
    """
    import numpy as np

    lowered = [t.lower() for t in texts]
    encoded = [t.encode("utf-8", "surrogatepass") for t in lowered]
    found = _word_hashes(encoded)
    if found is None:
        return (np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, bool)), shingle_hashes(tails)
    words, first, text_of = found
    # where each derivable tail starts in the joined bytes (-1: hash it on its own)
    starts = np.full(len(texts), -1, dtype=np.int64)
    at = 0
    for k, (text, tail, low, enc) in enumerate(zip(texts, tails, lowered, encoded, strict=True)):
        if tail and len(text) > len(tail) and text.endswith(tail) and text[-len(tail) - 1] == "\n":
            starts[k] = at + len(enc) - _lowered_size(tail, text, low, enc)
        at += len(enc) + 1
    start_of_word = starts[text_of]
    is_tail = (first >= start_of_word) & (start_of_word >= 0)
    derived = np.bincount(text_of[is_tail], minlength=len(texts)) >= 3
    text_grams = _three_grams(words, text_of, is_tail & derived[text_of])
    rest = np.flatnonzero(~derived)
    rest_hashes, rest_owners = shingle_hashes([tails[int(k)] for k in rest])
    return text_grams, (rest_hashes, rest[rest_owners] if rest.size else np.zeros(0, np.int64))


def _lowered_size(tail: str, text: str, lowered: str, encoded: bytes) -> int:
    """``len(tail.lower().encode("utf-8", "surrogatepass"))`` for a ``tail`` that ``text`` ends with, from the text
    lower-cased (``lowered``) and encoded: an ASCII text's tail is as long in bytes as in characters; when
    lower-casing kept every character one character (the length stays), the tail's lower case is the lowered text's
    last characters (``str.lower`` changes the final sigma by its context, but not its length in UTF-8)."""
    if len(encoded) == len(text):
        return len(tail)
    if len(lowered) == len(text):
        return len(lowered[len(lowered) - len(tail):].encode("utf-8", "surrogatepass"))
    return len(tail.lower().encode("utf-8", "surrogatepass"))


def _word_hashes(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every word's 64-bit hash, the byte where it starts in the joined texts and its text's index (None: no word).

    A word's hash is ``fmix64(sum((byte_k + 1) * _P**k))`` over its bytes k = 0, 1, ...: computed as
    ``_P**-s * sum((byte_i + 1) * _P**i)`` over the positions i of the joined texts (s: the word's start; _P is odd,
    so invertible mod 2^64), where every byte outside a word weighs 0. A word runs from its start to the next
    one's, and UTF-8 puts no byte outside a word between (a continuation byte only follows a lead byte): each
    byte weighs in its own word's sum, with no per-byte gather or repeat.
    """
    import numpy as np

    joined = b"\0".join(encoded)
    if not joined:
        return None
    data = np.frombuffer(joined, dtype=np.uint8)
    cls = np.frombuffer(joined.translate(_class_table()), dtype=np.uint8)
    alnum = cls == 1
    starts = cls == 2  # the first byte of a non-ASCII character, or of a run of ASCII letters and digits
    starts[0] |= alnum[0]
    starts[1:] |= alnum[1:] & ~alnum[:-1]
    first = np.flatnonzero(starts)  # byte position where each word starts
    if not first.size:
        return None
    powers, inverse = _powers(data.size)
    values = _weights().take(data)
    np.multiply(values, powers[:data.size], out=values)
    sums = np.add.reduceat(values, first)
    sums *= inverse.take(first)
    words = _fmix64(sums)
    text_starts = np.cumsum([0] + [len(e) + 1 for e in encoded[:-1]])
    per_text = np.diff(np.searchsorted(first, text_starts), append=first.size)  # words of each text
    text_of = np.repeat(np.arange(len(encoded), dtype=np.int64), per_text)  # text index of every word
    return words, first.astype(np.int32), text_of  # batches are far below 2 GB


@lru_cache(maxsize=1)
def _weights() -> np.ndarray:
    """What each byte weighs in its word's hash: the byte plus one inside a word (any class but 0), else 0."""
    import numpy as np

    cls = _classes()
    return np.where(cls != 0, np.arange(1, 257, dtype=np.uint64), np.uint64(0))


_POWERS: tuple[np.ndarray, np.ndarray] | None = None  # _P ** i and _P ** -i mod 2^64, i = 0, 1, ... (grown as needed)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``_P ** i`` and ``_P ** -i`` (mod 2^64) for i < at least ``n``. One tuple, read and replaced whole: each
    collector's sketching thread gets both tables of the same length."""
    import numpy as np

    global _POWERS
    found = _POWERS
    if found is not None and found[0].size >= n:
        return found
    size = -(-n // (1 << 18)) << 18  # a batch's bytes, rounded up: at most ~16 bytes more per byte of the largest
    tables = []
    for base in (_P, pow(_P, -1, 1 << 64)):
        table = np.ones(size, dtype=np.uint64)
        table[1:] = np.cumprod(np.full(size - 1, base, dtype=np.uint64))
        tables.append(table)
    _POWERS = tables[0], tables[1]
    return _POWERS


def _three_grams(words: np.ndarray, text_of: np.ndarray, marked: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 3-gram hashes of each text's words, the text of each, and whether each starts at a ``marked`` word (a text
    of one or two words has one shingle of all its words, never marked)."""
    import numpy as np

    c1, c2, c3 = (np.uint64(c) for c in _C)
    n = words.size
    if n >= 3:
        tri = words[:-2] * c1 + words[1:-1] * c2 + words[2:] * c3
        ok = text_of[:-2] == text_of[2:]
        grams, owners = tri[ok], text_of[:-2][ok]
        flags = marked[:-2][ok] if marked is not None else np.zeros(grams.size, bool)
    else:
        grams, owners, flags = np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, bool)
    # texts of one or two words: one shingle of all their words
    counts = np.bincount(text_of)
    short = np.flatnonzero((counts > 0) & (counts < 3))
    if short.size:
        firsts = np.searchsorted(text_of, short)
        two = counts[short] == 2
        second = np.where(two, words[np.minimum(firsts + 1, n - 1)], np.uint64(0))
        grams = np.concatenate([grams, words[firsts] * c1 + second * c2])
        owners = np.concatenate([owners, short])
        flags = np.concatenate([flags, np.zeros(short.size, bool)])
        order = np.argsort(owners, kind="stable")
        grams, owners, flags = grams[order], owners[order], flags[order]
    grams = _fmix64(grams)
    folded = ((grams >> np.uint64(32)) ^ grams).astype(np.uint32)
    return folded, owners.astype(np.int64), flags


def signatures(hashes: np.ndarray, owners: np.ndarray, n_texts: int, p: Params) -> np.ndarray:
    """MinHash signatures (``n_texts`` x NUM_PERM, uint32) from shingle hashes, as datasketch computes them.

    One permutation at a time over all shingles (contiguous uint32 arithmetic), then the
    minimum per text with ``minimum.reduceat``. A text without shingles keeps the empty
    value 2^32-1 everywhere (datasketch's empty MinHash).
    """
    import numpy as np

    sig = np.full((n_texts, NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    if not hashes.size:
        return sig
    mixed = _fmix32(hashes)
    cuts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    who = owners[cuts]
    buf = np.empty_like(mixed)
    for k in range(NUM_PERM):
        np.multiply(mixed, p.a[k], out=buf)
        buf += p.b[k]
        sig[who, k] = np.minimum.reduceat(buf, cuts)
    return sig


def text_and_tail_signatures(hashes: np.ndarray, owners: np.ndarray, in_text: np.ndarray, in_tail: np.ndarray,
                             other_tails: tuple[np.ndarray, np.ndarray], n_texts: int, p: Params
                             ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`signatures` of the 3-grams ``in_text`` and of the tails' 3-grams (those ``in_tail``, then the hashes
    and owners of ``other_tails``), permuting each 3-gram once: one in both counts in a part whose minimum both
    signatures take (a minimum over parts is the minimum over their union)."""
    import numpy as np

    both = in_text & in_tail
    parts = [(hashes[both], owners[both]), (hashes[in_text & ~in_tail], owners[in_text & ~in_tail]),
             (hashes[in_tail & ~in_text], owners[in_tail & ~in_text]), other_tails]
    sig = signatures(np.concatenate([h for h, _ in parts]),
                     np.concatenate([o + k * n_texts for k, (_, o) in enumerate(parts)]),
                     len(parts) * n_texts, p).reshape(len(parts), n_texts, NUM_PERM)
    return np.minimum(sig[0], sig[1]), np.minimum(np.minimum(sig[0], sig[2]), sig[3])


def band_hashes(sig: np.ndarray, p: Params) -> np.ndarray:
    """One 32-bit hash per LSH band (``len(sig)`` x bands): equal band values give equal hashes.

    Unequal bands collide by chance about n^2 / 2^33 times per band (one for 100,000 examples);
    such candidates are dropped when their signatures are compared.
    """
    import numpy as np

    out = np.empty((sig.shape[0], p.bands), dtype=np.uint32)
    for i in range(p.bands):
        part = sig[:, i * p.rows:(i + 1) * p.rows].astype(np.uint64)
        out[:, i] = _fmix64((part * p.band_keys[None, :]).sum(axis=1, dtype=np.uint64) + np.uint64(i))
    return out


def low_bits(sig: np.ndarray) -> np.ndarray:
    """The low 8 bits of each signature value: what :func:`similarity` needs (b-bit MinHash)."""
    import numpy as np

    return (sig & np.uint32(0xFF)).astype(np.uint8)


def candidates(bands: np.ndarray) -> np.ndarray:
    """Pairs (i, j), i < j, of rows that share a band: in each bucket every row is paired with the
    bucket's first row and with the row before it (all pairs for buckets of up to 8 rows)."""
    import numpy as np

    found = []
    for col in bands.T:
        order = np.argsort(col, kind="stable")
        same = col[order][1:] == col[order][:-1]
        if not same.any():
            continue
        pos = np.arange(1, order.size)
        run_start = np.maximum.accumulate(np.where(same, 0, pos))
        p = pos[same]
        found.append(np.stack([order[run_start[same]], order[p]], axis=1))
        found.append(np.stack([order[p - 1], order[p]], axis=1))
        found.extend(_small_buckets(order, same))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def _small_buckets(order: np.ndarray, same: np.ndarray) -> list[np.ndarray]:
    import numpy as np

    edges = np.flatnonzero(np.diff(np.r_[0, same.astype(np.int8), 0]))
    out = []
    for lo, hi in zip(edges[::2], edges[1::2]):
        if 3 <= hi - lo + 1 <= 8:
            members = order[lo:hi + 1]
            i, j = np.triu_indices(members.size, k=1)
            out.append(np.stack([members[i], members[j]], axis=1))
    return out


def similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of rows of :func:`low_bits` signatures, pair by pair.

    The share of equal values, less the 1/256 chance that two different values share their
    low 8 bits (Li and König, b-bit minwise hashing), clipped to 0..1.
    """
    import numpy as np

    equal = (left == right).mean(axis=1) if len(left) else np.zeros(0)
    return np.clip((equal - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)


def cross_candidates(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Pairs (i, j) of a row of ``left`` and a row of ``right`` that share a band (each right row is
    paired with the first left row of the bucket, and with every left row when the bucket holds up to 8)."""
    import numpy as np

    n = len(left)
    both = np.concatenate([left, right])
    found: set[tuple[int, int]] = set()
    for col in both.T:
        order = np.argsort(col, kind="stable")
        sorted_col = col[order]
        bounds = np.flatnonzero(np.r_[True, sorted_col[1:] != sorted_col[:-1], True])
        sizes = np.diff(bounds)
        mixed = np.flatnonzero(sizes > 1)
        for k in mixed:
            members = order[bounds[k]:bounds[k + 1]]
            lefts = members[members < n]
            rights = members[members >= n] - n
            if not lefts.size or not rights.size:
                continue
            chosen = lefts if lefts.size <= 8 else lefts[:1]
            found.update((int(i), int(j)) for i in chosen for j in rights)
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.array(sorted(found), dtype=np.int64)
