"""``tunesmith chat MODEL "question"``: ask a (fine-tuned) model one question."""

from __future__ import annotations

import argparse
import sys

from .target_args import providers_where
from .training_opts import add_connection_args, finite


def deployed() -> str:
    """The providers whose fine-tuned models answer only once deployed."""
    return providers_where(lambda p: p.api.deploy is not None)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("chat", help="ask a model (e.g. your fine-tuned one) a question",
                       description="Send one question (with an optional system message) to MODEL and print the "
                                   "answer on stdout; token counts and latency go to stderr. With a provider whose "
                                   f"models answer once deployed ({deployed()}), MODEL is the deployment name.")
    p.add_argument("model", metavar="MODEL", nargs="?", help="model id, fine-tuned model id, or deployment name")
    p.add_argument("question", metavar="QUESTION", help="the user message")
    p.add_argument("--model", dest="model_option", metavar="MODEL", help="the model, as an option (instead of MODEL)")
    p.add_argument("--base", metavar="MODEL", help="also ask this model (e.g. the base) and print both answers")
    p.add_argument("--system", metavar="TEXT", help="system message (use the one the model was trained with)")
    p.add_argument("--max-tokens", type=int, metavar="N", help="limit the answer's length")
    p.add_argument("--temperature", type=finite, metavar="T", help="sampling temperature")
    add_connection_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..training.chat import ask, conversation
    from ..training.console import printable
    from .training_opts import connect, guarded

    if (args.model is None) == (args.model_option is None):
        raise UsageError("name the model once: tunesmith chat MODEL QUESTION, or --model MODEL QUESTION")
    if not args.question.strip():
        raise UsageError('QUESTION is empty: give the question to send, e.g. tunesmith chat MODEL "What is helium?"')
    models = [args.base, args.model or args.model_option] if args.base else [args.model or args.model_option]
    conn, client = connect(args)
    for i, model in enumerate(models):
        with guarded(conn):
            reply = ask(client, model, conversation(args.question, args.system), max_tokens=args.max_tokens,
                        temperature=args.temperature)
        text = printable(reply.text)  # the model's text, not the terminal's commands
        if len(models) > 1:  # side by side: each answer under its model's name
            print(f"{'base' if i == 0 else 'tuned'} ({printable(model)}):\n{text}" + ("\n" if i == 0 else ""))
        else:
            print(text)
        print(printable(f"({reply.prompt_tokens} prompt + {reply.completion_tokens} completion tokens, "
                        f"{reply.latency:.2f} s, {reply.model})"), file=sys.stderr)
    return 0
