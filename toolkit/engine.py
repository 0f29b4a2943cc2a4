"""The lint engine: read bytes -> records -> rules -> diagnostics (no I/O besides reading).

``lint(path)`` is the simple case; :class:`Linter` keeps settings for many files. What a run
finds is data in :mod:`.results`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import catalog, folders, formats, jsonpos, repairs, schemas, tail_worker
from .atomic import same_file
from .config import Settings, load_settings
from .diagnostics import Diagnostic, Fix, Severity
from .errors import InputError, UsageError
from .reader import ArrayElement, JsonlReader, ParseProblem, Record, check_input, has_file_name, head_format, lookahead, printable
from .results import MAX_PER_RULE, FileResult, Findings, LintResult
from .rules import RULES, load_all
from .rules.context import Context, FileSummary
from .rules.registry import COLLECTORS, Collector, Finding, Rule

# what `tunesmith fix --write` repairs besides the record repairs (F032 only with --add-bom): see toolkit.fix
LINE_FIXES = {"F011": "write each element on its own line", "F012": "join the record into one line",
              "F020": "remove the blank line", "F031": "remove the byte-order mark", "F033": "end lines with LF"}
_VALIDATION_NAME = ("val", "valid", "validation", "test", "eval", "dev", "holdout", "heldout")


@dataclass(frozen=True)
class RulePlan:
    """The rules that run on one file, resolved once per file (selection, per-file ignores, provider)."""

    # by (record format, schema-valid): each rule with its check; structural ones only on invalid records
    record: dict[tuple[str, bool], list[tuple[Rule, Callable[[Record, Context], Iterable[Finding]]]]]
    reader: frozenset[str]  # the parse-problem codes to report
    file: list[Rule]
    collectors: list[Collector]
    mixed: Rule | None  # F090, when enabled
    schema: Rule | None  # S001, when enabled
    tokens: Rule | None  # C200, when enabled
    # by record format: the error rules turned off for this file, run on schema-invalid records only so that S001
    # stays quiet where one of them would explain the failure (`--ignore C020` must not turn C020 into S001)
    ignored: dict[str, list[tuple[Rule, Callable[[Record, Context], Iterable[Finding]]]]]


def expand_paths(paths: Sequence[str | os.PathLike[str]], *, warn: folders.Warn | None = None) -> list[str]:
    """The files to lint: each path itself, or for a folder its ``*.jsonl`` files (sorted, hidden ones left out,
    symbolic links followed; what is skipped, such as a link loop, is said through ``warn``: by default a Python
    warning, see :func:`toolkit.folders.jsonl_files`)."""
    out: list[str] = []
    for p in (os.fspath(path) for path in paths):
        if not os.path.isdir(p):
            out.append(p)
            continue
        found = folders.jsonl_files(p, warn or _python_warning)
        if not found:
            raise InputError(f"{p}: is a folder without .jsonl files; pass the files to check")
        out.extend(found)
    return out


def _python_warning(message: str) -> None:
    warnings.warn(message, stacklevel=4)


def looks_like_validation(path: str) -> bool:
    """A file named like ``*_val.jsonl`` or ``validation_set.jsonl`` is treated as a validation file."""
    stem = Path(path).stem.lower()
    parts = [p for p in stem.replace("-", "_").replace(".", "_").split("_") if p]
    return any(p in _VALIDATION_NAME for p in parts)


class Linter:
    """Lint files for one target (provider, model, method) with one set of settings."""

    def __init__(self, settings: Settings | None = None, *, grader: dict[str, Any] | None = None,
                 today: dt.date | None = None) -> None:
        load_all()
        self.settings = settings or Settings()
        self.grader = grader
        self.today = today  # None: the real date (tests pin it for the shutdown rules)
        self.cap = MAX_PER_RULE  # findings listed per rule and file (the editor lists them all)
        self._decoded: tuple[bytes | None, str] = (None, "")  # the text of the record being diagnosed (see _diag)
        self.model = catalog.resolve(self.settings.provider, self.settings.model)
        self.severity = {code: self.settings.severity_of(rule) for code, rule in RULES.items()}
        if self.settings.method and self.settings.method not in formats.METHODS:
            raise UsageError(f"unknown method {self.settings.method!r}; choose one of: {', '.join(formats.METHODS)}")

    # -- public --------------------------------------------------------------------------

    def lint(self, path: str | os.PathLike[str], *, validation: str | os.PathLike[str] | None = None,
             training: bool = False) -> LintResult:
        """Lint one training file (and its validation file, with the cross-file rules); ``training``: ``path`` is
        the training file whatever its name (the lint gate of a job: ``train holdout.jsonl`` trains on it)."""
        if validation is not None and os.path.exists(path) and same_file(path, validation):
            raise UsageError(f"{printable(os.fspath(validation))}: the validation file is the training file itself "
                             "(every example would be in both): give a held-out file (`tunesmith split` makes one)")
        # with a validation file the roles are known; alone, a file's name may say it is a validation set
        train_res, train_sum = self.lint_file(path, role="train" if validation is not None or training else None)
        files = [train_res]
        if validation is not None:
            val_res, val_sum = self.lint_file(validation, role="validation")
            files.append(val_res)
            self._cross(train_res, train_sum, val_sum)
        else:
            self._cross(train_res, train_sum, None)
        return self.result_of(files)

    def lint_many(self, paths: Sequence[str | os.PathLike[str]]) -> LintResult:
        """Lint several independent files (each on its own, as pre-commit passes them).

        A folder stands for every ``*.jsonl`` file below it.
        """
        files = []
        for p in expand_paths(paths):
            res, summary = self.lint_file(p)
            self._cross(res, summary, None)
            files.append(res)
        return self.result_of(files)

    def result_of(self, files: list[FileResult]) -> LintResult:
        """A run's result from the results of its files."""
        model = (files[0].model if files else None) or self.model.full_name
        return LintResult(files, self.settings.provider, model, self.settings.method)

    def lint_file(self, path: str | os.PathLike[str], *, role: str | None = None) -> tuple[FileResult, FileSummary]:
        """Lint a single file; ``role`` is ``train`` or ``validation`` (guessed from the name if None)."""
        spath = os.fspath(path)
        check_input(spath)
        role = role or ("validation" if looks_like_validation(spath) else "train")
        return self._lint_stream(self._reader(spath), spath, role, named=has_file_name(spath))

    def _reader(self, source: str | BinaryIO, name: str | None = None) -> JsonlReader:
        return JsonlReader(source, name=name, max_line_bytes=self.settings.max_line_bytes)

    def lint_bytes(self, data: bytes, *, name: str = "<memory>", role: str = "train") -> FileResult:
        """Lint JSONL held in memory (the editor uses this for unsaved content)."""
        import io

        return self.lint_stream(io.BytesIO(data), name=name, role=role)

    def lint_stream(self, stream: BinaryIO, *, name: str = "<stdin>", role: str = "train") -> FileResult:
        """Lint JSONL read from a binary stream (``tunesmith lint -`` reads standard input)."""
        res, summary = self._lint_stream(self._reader(stream, name), name, role)
        self._cross(res, summary, None)
        return res

    # -- engine --------------------------------------------------------------------------

    def _context(self, file_format: str, role: str) -> Context:
        s = self.settings
        method = s.method or formats.FORMAT_METHOD[file_format]
        model = catalog.for_method(s.provider, s.model, method)
        return Context(provider=catalog.provider(s.provider), model=model, method=method, file_format=file_format,
                       role=role, model_explicit=bool(s.model), method_explicit=bool(s.method), grader=self.grader,
                       today=self.today or dt.date.today())

    def plan(self, path: str, ctx: Context) -> RulePlan:
        """The rules enabled for ``path`` and the target in ``ctx``."""
        enabled = {code for code, r in RULES.items() if r.applies_to(ctx.provider) and self.settings.enabled(r, path)}
        chosen = [r for r in RULES.values() if r.code in enabled]
        records = [r for r in chosen if r.kind == "record"]
        return RulePlan(
            record={(fmt, valid): [(r, r.checker) for r in records if fmt in r.formats and not (valid and r.structural)]
                    for fmt in formats.FORMAT_METHOD for valid in (True, False)},
            reader=frozenset(r.code for r in chosen if r.kind == "reader"),
            file=[r for r in chosen if r.kind == "file"],
            collectors=[c for c in COLLECTORS.values() if any(code in enabled for code in c.rules)],
            mixed=RULES["F090"] if "F090" in enabled else None,
            schema=RULES["S001"] if "S001" in enabled else None,
            tokens=RULES["C200"] if "C200" in enabled else None,
            ignored={fmt: [(r, r.checker) for r in RULES.values()
                           if r.kind == "record" and r.severity is Severity.ERROR and fmt in r.formats
                           and r.code not in enabled and r.applies_to(ctx.provider)]
                     for fmt in formats.FORMAT_METHOD})

    def _lint_stream(self, reader: JsonlReader, path: str, role: str, *,
                     named: bool = True) -> tuple[FileResult, FileSummary]:
        found = Findings(self.cap)
        head, items = lookahead(reader)
        detected = head_format(head)
        file_format = formats.METHOD_FORMAT[self.settings.method] if self.settings.method else detected
        ctx = self._context(file_format, role)
        ctx.detected_format = detected
        ctx.foreign = formats.decide_foreign([i.value for i in head if isinstance(i, Record)])
        summary = FileSummary(path=path, role=role, format=file_format, facts=reader.facts, named=named)
        plan = self.plan(path, ctx)
        summary.collected = {c.name: c.create() for c in plan.collectors}
        first_lines = _first_lines(head)
        part = tail_worker.start_tail(self, reader, ctx, first_lines, summary.collected,  # the last part: other core
                                      tokens=plan.tokens is not None)
        self._check(itertools.chain(head, items), path, ctx, plan, summary, summary.first_line, found, part)
        if part is not None:
            later = part.result(overran=reader.overran)
            if later is not None:
                found.merge(later[0])
                _merge_summary(summary, later[1], plan)
            elif not reader.overran:  # the worker could not do its part: read it here
                rest = JsonlReader(reader.source, name=reader.name, start=part.offset, first_line=part.first_line,
                                   max_line_bytes=reader.max_line_bytes)
                rest.facts = summary.facts
                self._check((i for i in rest if not isinstance(i, ArrayElement)), path, ctx, plan, summary,
                            summary.first_line, found, None)
        file_diags = [d for rule in plan.file for d in self._diags_from(rule, (summary, ctx), path)]
        if found.per_rule["F092"] or any(d.rule == "F092" for d in file_diags):
            file_diags = [d for d in file_diags if d.rule != "F040"]  # its convert writes a .jsonl: no rename needed
        found.extend(file_diags)
        fmt = file_format if summary.records or any(isinstance(i, Record) and formats.detect(i.value) for i in head) \
            else None
        result = FileResult(path, fmt, summary.records, [], role, ctx.model.full_name, examples=summary.examples)
        found.close(result)
        return result, summary

    def lint_part(self, reader: JsonlReader, ctx: Context, first_lines: dict[str, int],
                  receive: Callable[[str], Any]) -> tuple[Findings, FileSummary]:
        """The record and parse diagnostics of a file's part, from ``reader``'s start on, and the facts gathered
        there (for :func:`_merge_summary`); ``receive(name)`` gives what collector ``name`` needs from the
        file's first part (see :class:`~toolkit.rules.registry.Collector`)."""
        path = reader.name
        plan = self.plan(path, ctx)
        summary = FileSummary(path=path, role=ctx.role, format=ctx.file_format, facts=reader.facts)
        summary.collected = {c.name: c.create() for c in plan.collectors}
        for name, obj in summary.collected.items():
            if hasattr(obj, "receive"):
                obj.receive(lambda name=name: receive(name))
        found = Findings(self.cap)
        self._check((i for i in reader if not isinstance(i, ArrayElement)), path, ctx, plan, summary, first_lines,
                    found, None)
        return found, summary

    def _check(self, items: Iterable[Record | ParseProblem], path: str, ctx: Context, plan: RulePlan,
               summary: FileSummary, first_lines: dict[str, int], found: Findings,
               part: tail_worker.Tail | None) -> None:
        """Check every item: parse problems, file facts and collectors, record rules (handing off, to a
        worker reading a later part, what its collectors need once known)."""
        collectors = [(c, summary.collected[c.name]) for c in plan.collectors]
        handoffs = bool(part is not None and part.waiting)
        unrewritable = 0  # the line of the last parse problem that keeps fix from writing its record again
        for item in items:
            if isinstance(item, ParseProblem):
                if item.code in repairs.UNREWRITABLE:
                    unrewritable = item.line
                foreign = self._foreign_array(path, item, plan) if item.code == "F011" else None
                if foreign is not None:
                    found.add(foreign)
                elif item.code in plan.reader:
                    found.add(self._parse_diag(path, item))
                else:
                    continue
                summary.arrays += item.code == "F011"  # reported (F011 or F092): F060 then stays quiet
                continue
            summary.records += 1
            summary.examples += item.example
            fmt, copy = _gather(item, summary)
            for kind, collector in collectors:
                if copy and kind.skip_copies:
                    continue
                try:
                    collector.add(item)
                except Exception as exc:  # a bug of ours: say so for this record, keep the rest of the run
                    found.add(self._internal(path, item.line, RULES[kind.rules[0]], exc))
            found.extend(self._diagnose(item, fmt, path, ctx, first_lines, plan, unrewritable != item.line))
            self._decoded = (None, "")
            if handoffs and part is not None:
                handoffs = part.hand_off()

    def _diagnose(self, rec: Record, fmt: str | None, path: str, ctx: Context, first_lines: dict[str, int],
                  plan: RulePlan, rewritable: bool) -> Iterator[Diagnostic]:
        """Every finding of the record rules (and S001, F090) on one record (``rewritable``: no parse problem keeps
        `tunesmith fix` from writing it again, so its repairs are offered)."""
        value = rec.value
        if ctx.foreign is not None and formats.foreign(value) is not None:
            return  # another trainer's format: F092 says so once for the file
        own = fmt if fmt is not None and not formats.same_family(fmt, ctx.file_format) else ctx.file_format
        if own != ctx.file_format:
            if own == ctx.detected_format and ctx.method_explicit:
                return  # the whole file is in another format than --method: F091 says it once
            if plan.mixed is not None:
                yield self._diag(rec, path, plan.mixed, Finding(
                    None, f"this record is in the {own} format but the file is {ctx.file_format}"
                    f" (first {ctx.file_format} record: line {first_lines.get(ctx.file_format, '?')}); "
                    "one file must hold one format"))
            return
        try:
            valid = schemas.is_valid(own, value)
        except Exception as exc:  # a bug of ours: one diagnostic for this record, the run goes on
            yield self._internal(path, rec.line, RULES["S001"], exc)
            valid = True
        structural = False  # a structural rule already explains why the schema fails
        error_pointers: list[str] = list(rec.nulled)  # F014 already reports each NaN or Infinity (read as null)
        for rule, check in plan.record[own, valid]:
            try:
                for finding in check(rec, ctx):
                    if rec.nulled and _within(finding.pointer, rec.nulled):
                        continue  # about the null a NaN or Infinity was read as, not about what the user wrote
                    if rule.severity is Severity.ERROR:
                        structural = structural or rule.structural
                        error_pointers.append(finding.pointer or "")
                    if rule.code in repairs.REPAIRS and not rewritable:
                        finding = dataclasses.replace(finding, fix=None)
                    elif finding.fix is None and rule.code in repairs.REPAIRS:
                        finding = _with_repair(finding, rule.code, value, own, self._written_text(rec.raw))
                    yield self._diag(rec, path, rule, finding)
            except Exception as exc:  # a bug of ours: one diagnostic for this record, the run goes on
                yield self._internal(path, rec.line, rule, exc)
        schema_rule = plan.schema
        if valid or schema_rule is None:
            return
        for rule, check in plan.ignored[own] if not structural else ():
            try:
                pointers = [finding.pointer or "" for finding in check(rec, ctx)]
            except Exception:  # a rule turned off reports nothing, not even its own failure
                continue
            structural = structural or (rule.structural and bool(pointers))
            error_pointers.extend(pointers)
        if structural:
            return
        try:
            err = schemas.first_error(own, value)
        except Exception as exc:
            yield self._internal(path, rec.line, schema_rule, exc)
            return
        if err is None:
            return
        pointer, message = err
        if any(_related(pointer, p) for p in error_pointers):
            return  # e.g. C101 already reports the bad weight the schema rejects
        yield self._diag(rec, path, schema_rule, Finding(
            pointer or None, f"does not match schemas/{schemas.SCHEMA_FILES[own]}: {message}"))

    def _cross(self, result: FileResult, train: FileSummary, validation: FileSummary | None) -> None:
        ctx = self._context(train.format, train.role)
        rules = [r for r in RULES.values()
                 if r.kind == "cross" and r.applies_to(ctx.provider) and self.settings.enabled(r, train.path)]
        if not rules:
            return
        found = Findings()
        for rule in rules:
            found.extend(self._diags_from(rule, (train, validation, ctx), train.path))
        extra = FileResult(result.path, result.format, 0)
        found.close(extra)
        result.diagnostics.extend(extra.diagnostics)
        result.diagnostics.sort(key=Diagnostic.sort_key)
        result.hidden.update(extra.hidden)
        result.hidden_fixable += extra.hidden_fixable

    # -- diagnostics ---------------------------------------------------------------------

    def _foreign_array(self, path: str, p: ParseProblem, plan: RulePlan) -> Diagnostic | None:
        """F092 instead of F011 for a JSON array of another trainer's records (judged by its first element, as
        `tunesmith fix` does, which leaves it alone): splitting it into lines would not make it trainable, and
        `tunesmith convert` reads the array as it is."""
        name = formats.array_foreign(p.first)
        rule = RULES["F092"]
        if name is None or rule not in plan.file:
            return None
        fmt = formats.FOREIGN[name]
        span = f" over lines {p.line}-{p.end_line}" if p.end_line else ""
        return Diagnostic(path, p.line, p.column, None, rule.code, rule.name, self.severity[rule.code],
                          f"a JSON array of {fmt.title} records ({fmt.shape}){span}; OpenAI and Azure fine-tuning "
                          "read only their own formats (chat messages, DPO, RFT), one JSON object per line: "
                          f"{formats.convert_advice(fmt, path)}", end_line=p.end_line)

    def _parse_diag(self, path: str, p: ParseProblem) -> Diagnostic:
        rule = RULES[p.code]
        fixable = p.code in LINE_FIXES and not (p.code == "F011" and "values" in p.message)  # arrays of records only
        return Diagnostic(path, p.line, p.column, p.pointer, rule.code, rule.name,
                          self.severity[rule.code], p.message, end_line=p.end_line,
                          fix=Fix(LINE_FIXES[p.code]) if fixable else None)

    def _text(self, raw: bytes) -> str:
        """The record's line as text (bad bytes replaced), decoded once for all the findings of a record: a line can
        be 100 MB."""
        if self._decoded[0] is not raw:
            self._decoded = (raw, raw.decode("utf-8", "replace"))
        return self._decoded[1]

    def _written_text(self, raw: bytes) -> str | None:
        """The record's line as written, None when its bytes are not UTF-8 (from the same single decoding unless the
        text holds U+FFFD, which a replaced byte and a written one both give)."""
        text = self._text(raw)
        if "\ufffd" not in text:
            return text
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def _diag(self, rec: Record, path: str, rule: Rule, f: Finding) -> Diagnostic:
        line, column = rec.line, None
        if f.pointer is not None:
            pos = jsonpos.line_column(self._text(rec.raw), f.pointer)
            if pos is not None:
                line, column = rec.line + pos[0], pos[1]
        elif rec.end_line is None:
            column = 1
        return Diagnostic(path, line, column, f.pointer, rule.code, rule.name, self.severity[rule.code],
                          f.message or rule.message, end_line=rec.end_line, fix=f.fix)

    def _diags_from(self, rule: Rule, args: tuple[Any, ...], path: str) -> Iterator[Diagnostic]:
        """The diagnostics of a file or cross-file rule run on ``args``; a rule that fails becomes one diagnostic
        saying so."""
        try:
            for f in rule.checker(*args):
                fix = f.fix or (Fix(LINE_FIXES[rule.code]) if rule.code in LINE_FIXES else None)
                yield Diagnostic(path, f.line, 1 if f.line else None, f.pointer, rule.code, rule.name,
                                 self.severity[rule.code], f.message or rule.message, fix=fix)
        except Exception as exc:
            yield self._internal(path, None, rule, exc)

    def _internal(self, path: str, line: int | None, rule: Rule, exc: Exception) -> Diagnostic:
        """A rule that raised: one warning naming the rule and the place, so the run goes on."""
        where = "this record" if line is not None else "this file"
        return Diagnostic(path, line, 1 if line else None, None, rule.code, rule.name, Severity.WARNING,
                          f"internal: rule {rule.code} failed on {where} ({type(exc).__name__}: "
                          f"{printable(str(exc))[:200]}); the rest was checked: please report this")


def _with_repair(finding: Finding, code: str, value: Any, file_format: str, text: str | None) -> Finding:
    """``finding`` with the :class:`Fix` `tunesmith fix` would make for it (the repair at its pointer), if any
    (``text``: the record's JSON text, None when its bytes are not UTF-8)."""
    at = finding.pointer or ""
    for change in repairs.find(value, file_format, rules={code}, text=text):
        where = change.description.split(":", 1)[0]  # a repair's description starts with its pointer
        if not at or not where.startswith("/") or _related(where, at):
            return dataclasses.replace(finding, fix=Fix(change.description))
    return finding


def _first_lines(head: list[Record | ParseProblem]) -> dict[str, int]:
    """The first line of each format among the records read ahead."""
    out: dict[str, int] = {}
    for item in head:
        if isinstance(item, Record) and (fmt := formats.detect(item.value)) is not None:
            out.setdefault(fmt, item.line)
    return out


def _gather(rec: Record, summary: FileSummary) -> tuple[str | None, bool]:
    """Add one record to the engine's facts (formats, copies; rules gather theirs with collectors).

    Return the record's format and whether it copies an earlier line byte for byte.
    """
    fmt = formats.detect(rec.value)
    if fmt is not None and fmt not in summary.first_line:
        summary.first_line[fmt] = rec.line
    summary.formats[fmt or "unknown"] += 1
    digest = hashlib.blake2b(rec.raw.strip(), digest_size=16).digest()
    first = summary.digests.setdefault(digest, rec.line)
    if first != rec.line:
        summary.duplicates.append((rec.line, first))
    return fmt, first != rec.line


def _merge_summary(summary: FileSummary, later: FileSummary, plan: RulePlan) -> None:
    """Add the facts of the file's next part, gathered by another process, as if one pass had read both."""
    summary.facts.merge(later.facts)
    summary.records += later.records
    summary.examples += later.examples
    summary.arrays += later.arrays
    summary.formats.update(later.formats)
    for fmt, line in later.first_line.items():
        summary.first_line.setdefault(fmt, line)
    copies: dict[int, int] = {}  # later lines that copy a line of the first part: that line
    for digest, line in later.digests.items():
        first = summary.digests.setdefault(digest, line)
        if first != line:
            copies[line] = first
    summary.duplicates.extend(sorted([*copies.items(),
                                      *((line, copies.get(first, first)) for line, first in later.duplicates)]))
    for kind in plan.collectors:
        summary.collected[kind.name].merge(later.collected[kind.name], set(copies) if kind.skip_copies else set())


def _within(pointer: str | None, places: tuple[str, ...]) -> bool:
    """Whether ``pointer`` is one of ``places`` or inside one of them."""
    return pointer is not None and any(pointer == p or pointer.startswith(p + "/") for p in places)


def _related(a: str, b: str) -> bool:
    """Whether one JSON pointer is the other or inside it (the whole record relates only to itself)."""
    if not a or not b:
        return a == b
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def lint(path: str | os.PathLike[str], *, validation: str | os.PathLike[str] | None = None,
         provider: str | None = None, model: str | None = None, method: str | None = None,
         settings: Settings | None = None, grader: dict[str, Any] | None = None,
         training: bool = False) -> LintResult:
    """Lint one JSONL file (plus an optional validation file) and return every diagnostic.

    Settings come from ``settings``, else from the nearest ``pyproject.toml`` with a
    ``[tool.tunesmith]`` table; the keyword arguments override both. ``training``: ``path`` is a training file even
    when its name reads like a validation set's (``holdout.jsonl``).
    """
    base = settings if settings is not None else load_settings(start=Path(os.fspath(path)).resolve().parent)
    merged = base.merged(provider=provider, model=model, method=method)
    return Linter(merged, grader=grader).lint(path, validation=validation, training=training)
