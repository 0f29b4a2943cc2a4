"""``tunesmith rules [CODE]``: list every rule, or explain one."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..rules.registry import Rule


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rules", help="list the lint rules, or explain one (tunesmith rules C050)")
    p.add_argument("code", nargs="?", help="rule code or name to explain")
    p.add_argument("--format", dest="output_format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..rules import RULES, iter_rules, load_all
    from ..rules.docs import explain, markdown_table

    load_all()
    if args.code:
        wanted = args.code.strip()
        rule = RULES.get(wanted.upper()) or next((r for r in RULES.values() if r.name == wanted), None)
        if rule is None:
            raise UsageError(f"no rule {wanted!r}; `tunesmith rules` lists them all")
        if args.output_format == "json":
            print(json.dumps(_as_dict(rule), indent=2))
        else:
            sys.stdout.write(explain(rule))
        return 0
    rules = list(iter_rules())
    if args.output_format == "json":
        print(json.dumps([_as_dict(r) for r in rules], indent=2))
    elif args.output_format == "markdown":
        sys.stdout.write(markdown_table(rules))
    else:
        width = max(len(r.name) for r in rules)
        for r in rules:
            print(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {r.message}")
    return 0


def _as_dict(rule: Rule) -> dict[str, Any]:
    return {"code": rule.code, "name": rule.name, "severity": rule.severity.value, "message": rule.message,
            "kind": rule.kind, "formats": list(rule.formats), "providers": list(rule.providers) or ["all"],
            "fixable": rule.fixable, "partly_fixable": rule.partly_fixable, "source": rule.source, "docs": rule.docs,
            "evidence": rule.grounds.kind, "sources": list(rule.grounds.sources)}
