"""Keep the README's rule table equal to the registry: ``python -m toolkit.rules.readme --write README.md``."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import iter_rules, load_all
from .docs import README_BEGIN, README_END, markdown_table


def render(readme: str) -> str:
    """``readme`` with the text between the rule markers replaced by the current table."""
    load_all()
    start = readme.index(README_BEGIN) + len(README_BEGIN)
    end = readme.index(README_END)
    return readme[:start] + "\n" + markdown_table(iter_rules()) + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="README", required=True)
    args = parser.parse_args(argv)
    path = Path(args.write)
    path.write_text(render(path.read_text("utf-8")), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
