"""Every package of the source tree ships in the wheel (pyproject lists packages explicitly)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_toolkit_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "toolkit").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"


def test_unexpected_errors_are_reported_without_traceback(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from toolkit.cli import lint_cmd, main

    def boom(args):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaboom")

    monkeypatch.setattr(lint_cmd, "run", boom)
    monkeypatch.delenv("TUNESMITH_DEBUG", raising=False)
    assert main.main(["lint", "x.jsonl"]) == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err
