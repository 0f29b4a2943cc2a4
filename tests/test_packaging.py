"""Packaging: one version, discovered packages, a light core install whose commands never need an extra."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import toolkit
from toolkit.errors import EXTRA_OF_MODULE, MissingExtra

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
# What only the extras install: the core commands must run with every one of them unimportable.
HEAVY = sorted({*EXTRA_OF_MODULE, "datasketch", "scipy", "jsonschema", "hypothesis"})
SAMPLE = str(ROOT / "samples" / "elle_broken.jsonl")
GOOD = str(ROOT / "samples" / "elle_single_turn.jsonl")


def run_blocked(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``tunesmith ARGV`` in a fresh interpreter where every module of HEAVY fails to import."""
    code = ("import sys\n"
            f"for name in {HEAVY!r}: sys.modules[name] = None\n"
            "from toolkit.cli.main import main\n"
            "code = main(sys.argv[1:])\n"
            f"loaded = sorted(m for m in {HEAVY!r} if sys.modules.get(m) is not None)\n"
            "assert not loaded, loaded\n"
            "sys.exit(code)\n")
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=ROOT, check=False)


def test_packages_are_discovered_not_listed() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert "packages" not in setuptools or "find" in setuptools["packages"], "use [tool.setuptools.packages.find]"
    assert (ROOT / "toolkit" / "_schemas").resolve() == (ROOT / "schemas").resolve()  # the link the wheel follows
    assert (ROOT / "toolkit" / "py.typed").is_file()


def test_one_version_number() -> None:
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "toolkit.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", toolkit.__version__)
    assert importlib.metadata.version("tunesmith") == toolkit.__version__
    assert f"## [{toolkit.__version__}]" in (ROOT / "CHANGELOG.md").read_text("utf-8")


def test_public_api_is_pinned() -> None:
    assert sorted(toolkit.__all__) == [
        "Diagnostic", "FileResult", "Fix", "InputError", "LintResult", "Linter", "Settings", "Severity",
        "ToolkitError", "UsageError", "__version__", "lint", "load_settings"]
    assert all(hasattr(toolkit, name) for name in toolkit.__all__)


def _distributions(extra: str) -> set[str]:
    """The distributions an extra brings, following tunesmith[...] self-references."""
    names: set[str] = set()
    for requirement in PYPROJECT["project"]["optional-dependencies"][extra]:
        name = re.findall(r"^[A-Za-z0-9_.-]+", requirement)[0]
        if name == "tunesmith":
            for inner in re.findall(r"\[(.*)\]", requirement)[0].split(","):
                names |= _distributions(inner.strip())
        else:
            names.add(name.lower())
    return names


def test_every_extra_module_is_installed_by_its_extra() -> None:
    providers = importlib.metadata.packages_distributions()
    core = {re.findall(r"^[A-Za-z0-9_.-]+", r)[0].lower() for r in PYPROJECT["project"]["dependencies"]}
    for module, extra in EXTRA_OF_MODULE.items():
        dists = {d.lower() for d in providers[module]}
        assert dists & _distributions(extra), (module, extra)
        assert not dists & core, f"{module} is in the core install: drop it from EXTRA_OF_MODULE"
    assert _distributions("app") >= _distributions("data") | _distributions("train")
    assert _distributions("all") == _distributions("app")


def test_core_commands_run_without_any_extra(tmp_path: Path) -> None:
    lint = run_blocked("lint", SAMPLE)
    assert lint.returncode == 1 and "Found " in lint.stdout and "Traceback" not in lint.stderr, lint.stderr
    assert run_blocked("rules", "C050").returncode == 0
    stats = run_blocked("stats", SAMPLE, "--format", "json")
    assert stats.returncode == 0, stats.stderr
    fix = run_blocked("fix", "--diff", SAMPLE)
    assert fix.returncode in (0, 1) and "Traceback" not in fix.stderr, fix.stderr
    split = run_blocked("split", str(ROOT / "samples" / "elle_single_turn.jsonl"), "--validation", "0.2",
                        "--seed", "1", "--output-dir", str(tmp_path))
    assert split.returncode == 0 and len(list(tmp_path.glob("*.jsonl"))) == 2, split.stderr


@pytest.mark.parametrize(("argv", "extra"), [
    (["jobs", "list"], "train"),
    (["train", GOOD, "--model", "gpt-4.1-mini-2025-04-14", "--dry-run"], "train"),
    (["train", GOOD, "--model", "gpt-4.1-mini-2025-04-14", "--yes"], "train"),
    (["chat", "gpt-4.1-mini", "hello"], "train"),
    (["files", "list"], "train"),
    (["compare", "--base", "a", "--tuned", "b", "--file", GOOD], "train"),
    (["convert", "{csv}", "{out}", "--from", "csv", "--map", "q=user", "--map", "a=assistant"], "data"),
])
def test_a_command_that_needs_an_extra_names_it(argv: list[str], extra: str, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("q,a\nhi,yo\n", "utf-8")
    argv = [a.format(csv=tmp_path / "in.csv", out=tmp_path / "out.jsonl") for a in argv]
    proc = run_blocked(*argv, env={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                                   "TUNESMITH_HOME": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert f"pip install 'tunesmith[{extra}]'" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def _third_party_imports() -> dict[str, str]:
    """Every module outside the standard library that toolkit/ imports (toolkit/local aside: it checks the local
    extra itself), with a file that imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "toolkit").rglob("*.py")):
        if "local" in path.relative_to(ROOT / "toolkit").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "toolkit":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_module_we_import_is_core_or_named_by_its_extra() -> None:
    # A module that an extra's package only brings along (the openai SDK's httpx2) is still ours to declare:
    # else a core install meets it as a bare ModuleNotFoundError instead of "install tunesmith[train]".
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    providers = importlib.metadata.packages_distributions()
    core = {norm(re.findall(r"^[A-Za-z0-9_.-]+", r)[0]) for r in PYPROJECT["project"]["dependencies"]}
    for module, where in _third_party_imports().items():
        dists = {norm(d) for d in providers.get(module, [])}
        assert dists & core or module in EXTRA_OF_MODULE, f"{where} imports {module}: neither core nor in EXTRA_OF_MODULE"


def test_missing_extra_is_read_from_messages_too() -> None:
    found = MissingExtra.from_import_error(ImportError("Missing optional dependency 'openpyxl'.  Use pip or conda."))
    assert found is not None and found.extra == "data"
    found = MissingExtra.from_import_error(ModuleNotFoundError("x", name="openai.types"))
    assert found is not None and found.extra == "train"
    assert MissingExtra.from_import_error(ModuleNotFoundError("x", name="numpyy")) is None


def test_unexpected_errors_are_reported_without_traceback(monkeypatch, capsys) -> None:
    from toolkit.cli import lint_cmd, main

    def boom(args):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(lint_cmd, "run", boom)
    monkeypatch.delenv("TUNESMITH_DEBUG", raising=False)
    assert main.main(["lint", "x.jsonl"]) == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err


def test_lint_imports_no_extra_even_when_installed() -> None:
    code = ("import sys\n"
            "from toolkit.cli.main import main\n"
            f"main(['lint', {SAMPLE!r}])\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          check=False)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout[-2000:] + proc.stderr
