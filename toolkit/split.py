"""Split a JSONL file into training and validation files without leakage between them.

>>> result = split("data.jsonl", validation=0.1, seed=0)
>>> result.train_path, result.validation_path      # data_train.jsonl, data_validation.jsonl

Examples are grouped first: exact copies (the same JSON content), near-duplicates (as F131
finds them: word 3-grams at least 80 % similar) and, with ``group_by="system"`` or
``"user"``, examples that share their system prompt or first user message. Groups are joined
with union-find and then assigned whole, in the order of a seeded hash, so a group never
straddles the two files and the same input and seed always give the same split. Each record's
raw line is copied byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import catalog, formats
from .atomic import atomic_writer, same_file
from .dedup import NearDuplicates
from .errors import InputError, UsageError
from .plural import plural
from .reader import BOM, JsonlReader, ParseProblem, check_input, head_format, lookahead

GROUP_BY = ("hash", "system", "user")
TRAIN, VALIDATION = "train", "validation"
_FATAL = frozenset({"F010", "F011", "F012", "F013", "F017", "F030"})  # lines that are not one record each


@dataclass
class SplitPlan:
    """Which side each record goes to (by line), and how the groups came out."""

    path: str
    sides: dict[int, str]
    groups: int
    near_pairs: int
    seed: int
    group_by: str

    @property
    def train_lines(self) -> list[int]:
        return [line for line, side in self.sides.items() if side == TRAIN]

    @property
    def validation_lines(self) -> list[int]:
        return [line for line, side in self.sides.items() if side == VALIDATION]


@dataclass
class SplitResult:
    """The written files and the plan behind them."""

    plan: SplitPlan
    train_path: str
    validation_path: str
    train_examples: int = field(default=0)
    validation_examples: int = field(default=0)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _first_text(value: dict[str, Any], roles: tuple[str, ...]) -> str | None:
    msgs = value.get("messages")
    if not isinstance(msgs, list):
        inp = value.get("input")
        msgs = inp.get("messages") if isinstance(inp, dict) else None
    for m in msgs if isinstance(msgs, list) else ():
        if isinstance(m, dict) and m.get("role") in roles:
            content = m.get("content")
            return content if isinstance(content, str) else json.dumps(content, sort_keys=True)
    return None


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _content(value: Any) -> bytes:
    """The same digest for the same JSON content, however it is spaced or ordered."""
    return _digest(json.dumps(value, sort_keys=True, ensure_ascii=False))


def _group_key(value: dict[str, Any], group_by: str) -> bytes | None:
    if group_by == "system":
        text = _first_text(value, ("system", "developer"))
    elif group_by == "user":
        text = _first_text(value, ("user",))
    else:
        return None
    return _digest(text) if text is not None else None


def _target(n: int, validation: float) -> int:
    if validation <= 0:
        raise UsageError(f"--validation {validation}: give a fraction between 0 and 1 (e.g. 0.1) or a count")
    if validation < 1:
        return max(1, round(n * validation))
    if not float(validation).is_integer():
        raise UsageError(f"--validation {validation}: a count of examples must be a whole number")
    return int(validation)


def assign(path: str | os.PathLike[str], *, validation: float = 0.1, seed: int = 0,
           group_by: str = "hash") -> SplitPlan:
    """Decide the side of every record (reads the file once; nothing is written)."""
    spath = os.fspath(path)
    if group_by not in GROUP_BY:
        raise UsageError(f"--group-by {group_by!r}: choose one of {', '.join(GROUP_BY)}")
    check_input(spath, twice="split")
    lines: list[int] = []
    contents: list[bytes] = []
    keys: dict[bytes, int] = {}
    near = NearDuplicates()
    unions: list[tuple[int, int]] = []
    for item in JsonlReader(spath):
        if isinstance(item, ParseProblem):
            if item.code in _FATAL:
                raise InputError(f"{spath}:{item.line}: {item.message}; run `tunesmith lint` and `tunesmith fix` "
                                 "before splitting")
            continue
        i = len(lines)
        lines.append(item.line)
        content = _content(item.value)
        contents.append(content)
        for key in (content, _group_key(item.value, group_by) if isinstance(item.value, dict) else None):
            if key is not None:
                first = keys.setdefault(key, i)
                if first != i:
                    unions.append((first, i))
        near.add(i, item.value)
    n = len(lines)
    if n < 2:
        raise InputError(f"{spath}: {plural(n, 'example')}; a split needs at least 2")
    target = _target(n, validation)
    if target >= n:
        raise UsageError(f"--validation {validation}: {target} of {n} examples would leave none for training")
    uf = _UnionFind(n)
    pairs = near.pairs()
    for a, b in unions:
        uf.union(a, b)
    for p in pairs:
        uf.union(p.first, p.second)
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(uf.find(i), []).append(i)
    salt = str(seed).encode()
    order = sorted(members, key=lambda root: hashlib.blake2b(salt + contents[root], digest_size=8).digest())
    sides = dict.fromkeys(lines, TRAIN)
    taken = 0
    for root in order:
        group = members[root]
        if taken + len(group) <= target:
            for i in group:
                sides[lines[i]] = VALIDATION
            taken += len(group)
        if taken == target:
            break
    if taken == 0:
        raise _groups_too_large(spath, target, n, min(map(len, members.values())), group_by)
    return SplitPlan(spath, sides, len(members), len(pairs), seed, group_by)


def _groups_too_large(path: str, target: int, n: int, smallest: int, group_by: str) -> InputError:
    """No group fits in the validation share: what the user can do, for the grouping they chose."""
    ways = [f"ask for at least {smallest} validation examples (--validation {smallest})"] if smallest < n else []
    if group_by == "hash":  # the groups are copies and near-duplicates of one another
        ways.append("remove the copies and near-duplicates that `tunesmith lint` reports (F130, F131)")
        joined = "copies and near-duplicates are kept together"
    else:
        ways.append("group by content only (--group-by hash, the default)")
        joined = f"examples with the same {_SHARED[group_by]}, copies and near-duplicates are kept together"
    return InputError(f"{path}: every group of examples is larger than the {plural(target, 'validation example')} asked for "
                      f"(the smallest has {smallest}; {joined}): {', or '.join(ways)}")


_SHARED = {"system": "system prompt", "user": "first user message"}


def split(path: str | os.PathLike[str], *, validation: float = 0.1, seed: int = 0, group_by: str = "hash",
          out_dir: str | os.PathLike[str] | None = None, overwrite: bool = False) -> SplitResult:
    """Write ``<stem>_train.jsonl`` and ``<stem>_validation.jsonl`` (next to the input unless ``out_dir``).

    Both files are written atomically (:mod:`toolkit.atomic`).
    """
    plan = assign(path, validation=validation, seed=seed, group_by=group_by)
    src = Path(plan.path)
    folder = Path(out_dir) if out_dir is not None else src.parent
    if not folder.is_dir():  # `-o /dev/null` or `-o train.jsonl` exist: "no such folder" misled
        raise InputError(f"{folder}: " + ("is not a folder; -o/--output-dir takes the folder to write the two files in"
                                          if folder.exists() else "no such folder"))
    targets = {TRAIN: folder / f"{src.stem}_train.jsonl", VALIDATION: folder / f"{src.stem}_validation.jsonl"}
    for t in targets.values():
        if t.exists() and not overwrite:
            raise UsageError(f"{t} exists; remove it or pass --force to overwrite it")
        if same_file(t, src):  # a symlink or a hard link to the input too
            raise UsageError(f"{t} is the input file; choose another output folder")
    counts = {TRAIN: 0, VALIDATION: 0}
    with atomic_writer(targets[TRAIN]) as train, atomic_writer(targets[VALIDATION]) as val, open(src, "rb") as fh:
        outs = {TRAIN: train, VALIDATION: val}
        for line, raw in enumerate(fh, 1):
            if line == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
                for out in outs.values():
                    out.write(BOM)
            side = plan.sides.get(line)
            if side is not None:
                outs[side].write(raw if raw.endswith(b"\n") else raw + b"\n")
                counts[side] += 1
    return SplitResult(plan, str(targets[TRAIN]), str(targets[VALIDATION]), counts[TRAIN], counts[VALIDATION])


def limit_notes(result: SplitResult, provider: str, method: str | None = None) -> list[str]:
    """What the provider's per-file limits (the catalog's) say about the two sides: an RFT file over its maximum.

    ``method`` defaults to the one the file's format implies (as lint decides it).
    """
    if method is None:
        method = formats.method_of(head_format(lookahead(JsonlReader(result.train_path))[0]))
    if method != "reinforcement":
        return []
    prov = catalog.provider(provider)
    notes = []
    for role, count, limit in ((TRAIN, result.train_examples, prov.rft_max_train_examples),
                               (VALIDATION, result.validation_examples, prov.rft_max_validation_examples)):
        if limit and count > limit:
            notes.append(f"{role}: {count:,} examples, but {prov.title} takes at most {limit:,} in an RFT {role} file "
                         f"(lint F080)" + (f": ask for --validation {limit}" if role == VALIDATION else ""))
    return notes
