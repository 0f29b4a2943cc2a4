"""Settings: ``[tool.tunesmith]`` in pyproject.toml, overridden by command-line flags."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import catalog
from .diagnostics import Severity
from .errors import UsageError
from .formats import METHODS
from .reader import MAX_LINE_BYTES
from .rules.registry import RULES, Rule

_KEYS = {"provider", "model", "method", "select", "ignore", "extend-select", "severity", "per-file-ignores", "strict",
         "max-line-mb"}


@dataclass(frozen=True)
class Target:
    """What the data is for: the provider, the model (None: the provider's default) and the method (None: detected).

    Every command resolves it once, from ``[tool.tunesmith]`` and its flags (:attr:`Settings.target`).
    """

    provider: str = catalog.DEFAULT_PROVIDER
    model: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything that changes what ``lint`` reports."""

    provider: str = catalog.DEFAULT_PROVIDER
    model: str | None = None
    method: str | None = None
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    strict: bool = False
    config_path: Path | None = None
    provider_origin: str = ""  # where the provider came from, for messages: "--provider", the config file, "" default
    max_line_bytes: int = MAX_LINE_BYTES  # a longer line is one F018 finding, read past in bounded memory

    @property
    def target(self) -> Target:
        """The provider, model and method these settings (config file plus flags) name."""
        return Target(self.provider, self.model, self.method)

    def merged(self, **overrides: Any) -> Settings:
        """A copy with the given (non-None) values replaced, as CLI flags do (a provider given so says so)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "provider" in given and "provider_origin" not in given:
            given["provider_origin"] = "--provider"
        return replace(self, **given)

    def provider_named(self) -> str:
        """The provider and where it came from, for a message: ``--provider azure``, ``provider azure (from
        path/pyproject.toml [tool.tunesmith])`` or ``provider openai (the default: ...)``."""
        if self.provider_origin == "--provider":
            return f"--provider {self.provider}"
        origin = self.provider_origin or "the default: no --provider was given and no [tool.tunesmith] names one"
        return f"provider {self.provider} ({origin})"

    def enabled(self, rule: Rule, path: str | None = None) -> bool:
        """Whether ``rule`` runs (for ``path``, honouring per-file ignores)."""
        return self.turned_off_by(rule, path) is None

    def turned_off_by(self, rule: Rule, path: str | None = None) -> str | None:
        """The setting that turns ``rule`` off (for ``path``), as written in ``[tool.tunesmith]``: ``ignore =
        ["F0"]``, ``select = ["C"]`` or ``per-file-ignores "data/*" = ["F033"]``; None when the rule runs."""
        if not any(_matches(sel, rule) for sel in self.select):
            return f"select = {json.dumps(list(self.select))}"
        if ignored := [sel for sel in self.ignore if _matches(sel, rule)]:
            return f"ignore = {json.dumps(ignored)}"
        if path is not None:
            for pattern, codes in self.per_file_ignores.items():
                if _path_matches(path, pattern, self.root) and (hit := [c for c in codes if _matches(c, rule)]):
                    return f"per-file-ignores {json.dumps(pattern)} = {json.dumps(hit)}"
        return None

    @property
    def root(self) -> Path | None:
        """The folder per-file-ignore patterns are relative to (the config file's)."""
        return self.config_path.parent if self.config_path else None

    def severity_of(self, rule: Rule) -> Severity:
        return self.severity.get(rule.code, rule.severity)


def _matches(selector: str, rule: Rule) -> bool:
    sel = selector.strip()
    return sel.upper() == "ALL" or rule.code.startswith(sel.upper()) or sel == rule.name


def _path_matches(path: str, pattern: str, root: Path | None) -> bool:
    p = Path(path)
    candidates = [p.as_posix(), p.name]
    if root is not None:
        try:
            candidates.append(p.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
    return any(fnmatch.fnmatch(c, pattern) for c in candidates)


def check_selectors(selectors: Iterable[str], what: str) -> tuple[str, ...]:
    """Reject selectors that match no rule (a typo would silently select nothing)."""
    from .rules import load_all

    load_all()  # every rule is registered before a selector is judged
    out = tuple(s.strip() for s in selectors if s.strip())
    for sel in out:
        if not any(_matches(sel, r) for r in RULES.values()):
            raise UsageError(f"{what}: {sel!r} matches no rule code, prefix or name (see `tunesmith rules`)")
    return out


def parse_severity(value: str, where: str) -> Severity:
    try:
        return Severity(value.lower())
    except ValueError:
        raise UsageError(f"{where}: severity must be error, warning or info, not {value!r}") from None


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.tunesmith]`` table, from ``start`` upward.

    A pyproject.toml on the way that cannot be read as TOML is a :class:`UsageError` (its file, line and
    column): it may hold the settings, and skipping it would silently apply others (or the defaults).
    """
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "tunesmith" in _tool(read_toml(candidate, found=True)):
            return candidate
    return None


_PARSED: dict[str, tuple[bytes, dict[str, Any]]] = {}  # path -> the bytes last parsed there and their document


def read_toml(path: Path, *, found: bool = False) -> dict[str, Any]:
    """The TOML document in ``path`` (do not modify it: the same bytes are parsed once per process; `tunesmith
    lint` looks for its pyproject.toml once per folder and reads it again for the settings); a
    :class:`UsageError` naming the file, the line and column and what to do when it cannot be read (``found``:
    the file was found as the nearest pyproject.toml, not given)."""
    fix = ("fix it: it is the nearest pyproject.toml, where tunesmith reads its settings ([tool.tunesmith])"
           if found else "fix it: tunesmith reads its settings ([tool.tunesmith]) from it")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the configuration file ({exc.strerror}); {fix}") from None
    parsed = _PARSED.get(str(path))
    if parsed is not None and parsed[0] == data:
        return parsed[1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UsageError(f"{path}:{line}:{column}: not valid TOML: byte 0x{data[exc.start]:02x} is not UTF-8 "
                         f"(TOML files are UTF-8 text); {fix}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        what, line, column = _toml_problem(str(exc), text)
        lines = text.split("\n")
        shown = lines[line - 1].strip() if line <= len(lines) else ""
        quoted = f" in `{shown[:80]}`" if shown else ""
        raise UsageError(f"{path}:{line}:{column}: not valid TOML: {what}{quoted}; {fix}") from None
    _PARSED[str(path)] = data, document
    return document


def _toml_problem(message: str, text: str) -> tuple[str, int, int]:
    """What tomllib's ``message`` about ``text`` says is wrong, and its line and column (1-based)."""
    found = re.fullmatch(r"(?s)(.*?)\s*\(at (?:line (\d+), column (\d+)|end of document)\)", message)
    if found is None:
        return message, 1, 1
    what = found.group(1)[:1].lower() + found.group(1)[1:]
    if found.group(2) is None:  # at the end of the document: its last line
        return what, text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
    return what, int(found.group(2)), int(found.group(3))


def load_settings(path: Path | None = None, *, start: Path | None = None) -> Settings:
    """Read settings from ``path`` (a pyproject.toml), or the nearest one above ``start``."""
    given = path is not None
    if path is None:
        path = find_pyproject(start or Path.cwd())
        if path is None:
            return Settings()
    data = read_toml(path)
    if given and "tunesmith" not in _tool(data):  # --config FILE: never silently the defaults
        stray = ", ".join(sorted(set(data) & _KEYS))  # `provider = "azure"` written at the top of the file
        raise UsageError(f"{path}: has no [tool.tunesmith] table, so --config would change nothing"
                         + (f" ({stray} must go under it)" if stray else "")
                         + ": put the settings under [tool.tunesmith], or leave --config out")
    where = f"{path} [tool.tunesmith]"
    return settings_from_table(_table(_tool(data).get("tunesmith", {}), where), where=where, config_path=path)


def _tool(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document's ``[tool]`` table (nothing when ``tool`` is not a table)."""
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def _table(value: Any, where: str, key: str | None = None) -> Mapping[str, Any]:
    """``value`` when it is a TOML table; else a :class:`UsageError` naming the setting."""
    if not isinstance(value, dict):
        name = f"{where} {key}" if key else where
        example = '{ C150 = "warning" }' if key == "severity" else '{ "data/*.jsonl" = ["F070"] }'
        raise UsageError(f"{name} must be a table" + (f" such as {example}" if key else "") + f", not {value!r}")
    return value


def settings_from_table(table: Mapping[str, Any], *, where: str, config_path: Path | None = None) -> Settings:
    unknown = set(table) - _KEYS
    if unknown:
        keys = "key" if len(unknown) == 1 else "keys"
        raise UsageError(f"{where}: unknown {keys} {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}")
    select = tuple(check_selectors(_strings(table.get("select", ["ALL"]), where, "select"), f"{where} select"))
    select += check_selectors(_strings(table.get("extend-select", []), where, "extend-select"), where)
    ignore = check_selectors(_strings(table.get("ignore", []), where, "ignore"), f"{where} ignore")
    severity: dict[str, Severity] = {}
    for code, level in _table(table.get("severity", {}), where, "severity").items():
        if code not in RULES:
            raise UsageError(f"{where} severity: unknown rule code {code!r}")
        severity[code] = parse_severity(str(level), f"{where} severity.{code}")
    pfi = {str(glob): check_selectors(_strings(codes, where, "per-file-ignores"), where)
           for glob, codes in _table(table.get("per-file-ignores", {}), where, "per-file-ignores").items()}
    provider, model, method = table.get("provider", catalog.DEFAULT_PROVIDER), table.get("model"), table.get("method")
    if provider not in catalog.PROVIDERS:
        raise UsageError(f"{where}: provider {provider!r} is not in the catalog; choose one of: "
                         f"{', '.join(catalog.PROVIDERS)}")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise UsageError(f"{where}: model must be a model name (a string), not {model!r}")
    if method is not None and method not in METHODS:
        raise UsageError(f"{where}: method must be one of {', '.join(METHODS)}, not {method!r}")
    max_mb = table.get("max-line-mb", MAX_LINE_BYTES / 2**20)
    if isinstance(max_mb, bool) or not isinstance(max_mb, (int, float)) or not 0 < max_mb <= 8192:
        raise UsageError(f"{where}: max-line-mb must be a number of megabytes between 0 and 8192, not {max_mb!r}")
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise UsageError(f"{where}: strict must be true or false (no quotes), not {strict!r}")
    return Settings(
        max_line_bytes=int(max_mb * 2**20), provider=provider, model=model, method=method,
        provider_origin=f"from {where}" if "provider" in table else "",
        select=select, ignore=ignore, severity=severity, per_file_ignores=pfi, strict=strict,
        config_path=config_path)


def _strings(value: Any, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise UsageError(f"{where}: {key} must be a list of rule codes")
