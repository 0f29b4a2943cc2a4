"""The README's rule table is generated from the registry and must stay current."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from toolkit.rules.readme import render

README = Path(__file__).resolve().parents[1] / "README.md"


def test_rule_table_is_current() -> None:
    text = README.read_text("utf-8")
    assert render(text) == text, "README rule table is stale: run scripts/update-readme-rules"


def test_readme_names_both_setup_commands() -> None:
    text = README.read_text("utf-8")
    assert "scripts/test" in text and 'pip install ".[app]"' in text


def console_blocks(text: str) -> list[tuple[str, list[str]]]:
    """The README's ```console blocks: (the command after `$ `, the lines it shows)."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        first, *shown = body.rstrip("\n").split("\n")
        assert first.startswith("$ "), first
        blocks.append((first[2:], shown))
    return blocks


def test_the_lint_output_shown_is_what_lint_prints() -> None:
    """Each console block is the real output of its command: the lines before `...` are the first lines
    printed, those after it the last ones (and every shown line is printed, in that order)."""
    blocks = console_blocks(README.read_text("utf-8"))
    assert any(command.startswith("tunesmith lint ") for command, _ in blocks)
    for command, shown in blocks:
        argv = shlex.split(command)
        assert argv[0] == "tunesmith"
        proc = subprocess.run([sys.executable, "-m", "toolkit", *argv[1:]], cwd=README.parent, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
        printed = proc.stdout.rstrip("\n").split("\n")
        if "..." in shown:
            cut = shown.index("...")
            head, tail = shown[:cut], shown[cut + 1:]
            assert printed[:len(head)] == head, command
            assert printed[len(printed) - len(tail):] == tail, command
        else:
            assert printed == shown, command


def test_the_readme_claims_no_finding_for_a_missing_final_newline() -> None:
    """Providers read the last record of a file without a final newline (FORMAT_RULES F-01 splits on "\\n"), so lint
    reports nothing for it, and the README must not list it among the oddities that become findings."""
    from toolkit.config import Settings
    from toolkit.engine import Linter

    text = " ".join(README.read_text("utf-8").split())
    findings = text[text.index("turns every oddity into a finding"):text.index("Pipes (`tunesmith lint")]
    assert "no final newline" not in findings and "without a final newline is read as usual" in findings
    line = b'{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}'
    linter = Linter(Settings())
    with_end, without = (linter.lint_bytes(data) for data in (b"\n".join([line] * 12) + b"\n", b"\n".join([line] * 12)))
    assert without.records == with_end.records == 12 and without.diagnostics == with_end.diagnostics


def test_the_editor_section_names_only_what_the_editor_shows() -> None:
    """The Editor section said "use *Next example with errors*": the button is *Next finding*. Every *Name* there
    (a page, a button) is a label of the editor's code."""
    readme = README.read_text("utf-8")
    section = readme.split("\n## Editor\n", 1)[1].split("\n## ", 1)[0]
    labels = "".join(p.read_text("utf-8") for p in (README.parent / "toolkit" / "ui").rglob("*.py"))
    named = set(re.findall(r"\*([A-Z][^*\n]*)\*", section))
    assert {"Next finding", "Previous finding"} <= named
    assert [n for n in sorted(named) if f'"{n}"' not in labels] == []
