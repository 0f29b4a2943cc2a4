"""Rules about a whole file: bytes, name, size, number of examples, format vs method, duplicates (F-03..F-13)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .. import formats
from ..diagnostics import Severity
from ..plural import plural
from ..reader import Record
from .context import Context, FileSummary
from .images import image_examples
from .registry import Finding, collector, file_rule

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
FILES_API_MAX = 512 * 1024 * 1024  # bytes: one /v1/files upload (SPEC-HEAD)
UPLOADS_API_MAX = 8 * 1024 * 1024 * 1024  # bytes: one multi-part Upload
MIN_EXAMPLES = 10
RECOMMENDED_EXAMPLES = 50
FORMAT_NAMES = {
    formats.CHAT: "chat (messages)",
    formats.PREFERENCE: "preference (input, preferred_output, non_preferred_output)",
    formats.REINFORCEMENT: "reinforcement (RFT)",
    formats.COMPLETION: "prompt/completion",
}


@file_rule("F031", "bom-present", I, "file starts with a UTF-8 byte-order mark", source="F-03")
def bom_present(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """The file starts with the bytes EF BB BF (a UTF-8 byte-order mark, written by Notepad and by
    `encoding="utf-8-sig"`). OpenAI's docs do not mention a BOM; Tunesmith reads it fine, but a
    plain `json.loads` of the first line fails on it. Harmless for Azure, whose docs ask for one.
    Strip it to be safe when the target does not ask for it."""
    if summary.facts.bom and ctx.provider.bom != "recommended":
        yield Finding(None, "the file starts with a UTF-8 byte-order mark (BOM); "
                      f"{ctx.provider.title} does not ask for one and some JSON loaders choke on it: "
                      "remove it to be safe", line=1)


@file_rule("F032", "bom-missing", I, "file has no UTF-8 byte-order mark (Azure's docs ask for one)", source="F-03")
def bom_missing(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Azure OpenAI's docs say training and validation files "must be encoded in UTF-8 and include
    a byte-order mark (BOM)". Azure's own tutorial writes files without one and they work, so this
    is only information: add a BOM (save as "UTF-8 with BOM") only if an upload is refused."""
    facts = summary.facts
    if not facts.bom and facts.bytes and not facts.not_text and ctx.provider.bom == "recommended":
        yield Finding(None, f"the file has no UTF-8 byte-order mark; {ctx.provider.title}'s docs ask for one, "
                      "though files without it are accepted in practice: add one only if an upload is refused")


@file_rule("F033", "crlf-line-endings", I, "lines end with CRLF (Windows line endings)", source="F-02")
def crlf_line_endings(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Some lines end with `\\r\\n`. JSON parsers treat the `\\r` as whitespace, so the records
    are read correctly, but tools that split on `\\n` keep the `\\r`, and mixed endings make diffs
    noisy. `tunesmith fix --write` converts them to `\\n`."""
    facts = summary.facts
    if facts.crlf_lines:
        mixed = f" and {facts.lf_lines} with LF (mixed)" if facts.lf_lines else ""
        end = plural(facts.crlf_lines, "line ends", "lines end")
        yield Finding(None, f"{end} with CRLF (\\r\\n){mixed}; use LF (\\n) line endings (`tunesmith fix --write` "
                      "converts them)")


@file_rule("F040", "wrong-file-extension", W, "file name does not end in .jsonl", source="F-04")
def wrong_file_extension(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """The fine-tuning API only supports `.jsonl` files ("The Fine-tuning API only supports
    `.jsonl` files", Files API): a JSONL file uploaded as `.json` or `.txt` is refused. The
    server sees the name given at upload, not the local one (`tunesmith train` always uploads
    under a `.jsonl` name), so this is a warning: the contents may be fine, but rename the file
    before uploading it with another tool. Data without a file name of its own
    (standard input, `/dev/stdin`, a pipe such as `<(cat train.jsonl)`, a FIFO) is not checked, nor a file in
    another trainer's format (F092): the `tunesmith convert` command it gives writes a `.jsonl`."""
    name = Path(summary.path).name
    if not summary.named or not name or name == "-" or (name.startswith("<") and name.endswith(">")):
        return  # stdin, a pipe or an in-memory buffer: no name to check
    suffix = Path(name).suffix
    if suffix.lower() != ".jsonl":
        what = f"ends in {suffix}" if suffix else "has no extension"
        stem = Path(name).stem if suffix else name
        renamed = stem if Path(stem).suffix.lower() == ".jsonl" else f"{stem}.jsonl"  # train.jsonl.gz: train.jsonl
        yield Finding(None, f"the file name {what}; the fine-tuning API only accepts .jsonl uploads: "
                      f"rename it to {renamed} (tunesmith train uploads it under a .jsonl name)")


@file_rule("F050", "file-too-large", E, "file is larger than 8 GB", source="F-05")
def file_too_large(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """One upload holds at most 8 GB, even with the multi-part Uploads API (512 MB with the plain
    Files API). Split the data into several files and train in stages, or sample it down."""
    if summary.facts.bytes > UPLOADS_API_MAX:
        yield Finding(None, f"the file is {_size(summary.facts.bytes)}; an upload holds at most 8 GB: "
                      "split the data or sample it down")


@file_rule("F051", "file-needs-uploads-api", I, "file is over 512 MB: upload it with the Uploads API",
           source="F-05")
def file_needs_uploads_api(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Files over 512 MB cannot go through the Files API (`/v1/files`); use the multi-part
    Uploads API (64 MB parts, up to 8 GB; `tunesmith train` switches to it on its own, as does
    the Python SDK's `uploads.upload_file_chunked`), or on Azure import from Blob storage."""
    if FILES_API_MAX < summary.facts.bytes <= UPLOADS_API_MAX:
        yield Finding(None, f"the file is {_size(summary.facts.bytes)}, over the 512 MB limit of a single "
                      "upload: use the Uploads API (multi-part, up to 8 GB)")


@file_rule("F060", "too-few-examples", E, "training file has fewer than 10 examples", source="F-06")
def too_few_examples(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """A training file needs at least 10 examples. The server refuses the job with code
    `invalid_n_examples`: "Training file has 7 example(s), but must have at least 10 examples".
    Only checked for training files (the minimum for validation files is unknown), and not when the
    file holds JSON arrays instead of records (F011 or F092 reports that root problem, unless turned off) or is no
    UTF-8 text at all (packed, or UTF-16: F030). Records that are no
    example as written (pretty-printed, F012; not UTF-8, F030) count here, as their repair makes them
    examples; the message gives both numbers."""
    if summary.records == 0 and (summary.arrays or summary.facts.not_text):
        return  # the records are in a JSON array, or the file is no UTF-8 text: F011 or F030 says what to do
    if summary.role == "train" and summary.records < MIN_EXAMPLES:
        yield Finding(None, f"the training file has {plural(summary.examples, 'example')}{_unread(summary)}, but "
                      f"must have at least {MIN_EXAMPLES} (the server refuses the job: invalid_n_examples): add more "
                      "examples")


@file_rule("F070", "few-examples", W, "training file has fewer than 50 examples", formats=("chat", "preference"),
           source="F-07")
def few_examples(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """OpenAI: "We see improvements from fine-tuning on 50-100 examples… We recommend starting
    with 50 well-crafted demonstrations"; Azure suggests hundreds to thousands. Fewer examples
    train, but rarely change the model much. Checked for supervised and DPO training files
    (RFT is meant to start with a few dozen)."""
    if (summary.role == "train" and ctx.method in ("supervised", "dpo")
            and MIN_EXAMPLES <= summary.records < RECOMMENDED_EXAMPLES):
        yield Finding(None, f"the training file has {plural(summary.examples, 'example')}{_unread(summary)}; fine-tuning "
                      "usually needs at least "
                      f"{RECOMMENDED_EXAMPLES} well-crafted examples to show an effect: add more")


@file_rule("F080", "too-many-examples", E, "more examples than the method allows", source="F-08")
def too_many_examples(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Documented maximums (per provider, from the catalog): an RFT training file holds at most
    50,000 examples and an RFT validation file 1,000 (OpenAI); a vision file at most 50,000
    examples that contain images (text-only examples do not count; Azure the same). Sample the
    file down or split the job. As for F060 and F070, records that are no example as written
    (pretty-printed, F012; not UTF-8, F030) count, as their repair makes them examples; the message
    gives both numbers."""
    prov = ctx.provider
    if ctx.method == "reinforcement":
        limit = prov.rft_max_train_examples if summary.role == "train" else prov.rft_max_validation_examples
        if limit and summary.records > limit:
            role = "training" if summary.role == "train" else summary.role
            yield Finding(None, f"the RFT {role} file has {plural(summary.examples, 'example')}{_unread(summary)}; "
                          f"{prov.title} allows at most {limit:,}: sample it down")
    images = image_examples(summary).count
    if prov.max_image_examples and images > prov.max_image_examples:
        yield Finding(None, f"{images:,} examples contain images; {prov.title} trains on at most "
                      f"{prov.max_image_examples:,} examples with images per file: sample them down")


@file_rule("F091", "format-method-mismatch", E, "the file's format does not fit the training method",
           source="F-09")
def format_method_mismatch(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Each method trains on one format: supervised on chat messages, dpo on preference records,
    reinforcement on RFT records. The server checks it: "Input file file-… is in the
    fine-tune-chat format, but the specified fine-tuning job is not using 'supervised' as the
    training method (provided method=dpo)". Reported once when most records are in another format
    than `--method` expects; pass the method that fits, or convert the file."""
    if not ctx.method_explicit or ctx.method not in formats.METHOD_FORMAT:
        return
    expected = formats.METHOD_FORMAT[ctx.method]
    counts = {f: n for f, n in summary.formats.items() if f in FORMAT_NAMES}
    other = {f: n for f, n in counts.items() if not formats.same_family(f, expected)}
    if not other or sum(other.values()) <= sum(counts.values()) - sum(other.values()):
        return
    found = max(other, key=lambda f: other[f])
    method = formats.FORMAT_METHOD[found]
    hint = (formats.COMPLETION_TO_CHAT if found == formats.COMPLETION
            else f"use --method {method}, or convert the records to the {FORMAT_NAMES[expected]} format")
    line = summary.first_line.get(found)
    yield Finding(None, f"{other[found]} of {summary.records} records are in the {FORMAT_NAMES[found]} format "
                  f"(first at line {line}), but --method {ctx.method} trains on {FORMAT_NAMES[expected]} "
                  f"records; the server rejects the job: {hint}", line=line)


FOREIGN = "foreign-formats"


class _ForeignCollector:
    """Counts the records of each other trainer's format (formats.FOREIGN), and the first line of each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.first_line: dict[str, int] = {}

    def add(self, rec: Record) -> None:
        name = formats.foreign(rec.value)
        if name is not None:
            self.counts[name] += 1
            self.first_line.setdefault(name, rec.line)

    def merge(self, later: _ForeignCollector, copies: set[int]) -> None:
        self.counts.update(later.counts)
        for name, line in later.first_line.items():
            self.first_line.setdefault(name, line)


collector(FOREIGN, rules=("F092",))(_ForeignCollector)


@file_rule("F092", "other-trainer-format", E, "the file is in another trainer's format (ShareGPT, Alpaca, TRL...)",
           source="F-09")
def other_trainer_format(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """The records are in the format of another fine-tuning tool: ShareGPT (`conversations` of
    `{"from": "human"|"gpt", "value": ...}` turns, as FastChat and LLaMA-Factory use), Hugging Face
    conversations (`conversations` of `role`/`content` messages, where OpenAI needs `messages`), Alpaca
    (`instruction`, `input`, `output`), ms-swift (`query`, `response`, `history`) or TRL
    (`prompt`/`chosen`/`rejected`, or `prompt`/`completion` message lists). OpenAI and Azure
    OpenAI accept only their own formats (chat `messages`, DPO `input`, `preferred_output`,
    `non_preferred_output`, RFT rows) and reject such a file: "Unexpected file format, expected
    either prompt/completion pairs or chat messages" (observed, see F090). Renaming keys line by line
    cannot fix it (roles, turns and system prompts are written differently), so the file is
    reported once, with its format, how many records are in it, and the `tunesmith convert`
    command that rewrites it; its records are not checked one by one. When most of a file is
    OpenAI format, its few foreign records are reported line by line instead. A JSON array of such
    records (on one line or over many, judged by its first element) is reported here too, instead of
    F011: split into lines it would still be in the other format, so `tunesmith fix --write` leaves it alone and
    `tunesmith convert` reads the array as it is.
    Evidence: documented (the formats the OpenAI and Azure fine-tuning guides accept) and observed
    (the server's "Unexpected file format" error)."""
    found = summary.collected.get(FOREIGN)
    if ctx.foreign is None or not isinstance(found, _ForeignCollector):
        return
    fmt = formats.FOREIGN[ctx.foreign]
    n = found.counts.get(fmt.name, 0)
    others = sum(found.counts.values()) - n
    more = f" (and {others:,} in other trainers' formats)" if others else ""
    yield Finding(None, f"this file is in the {fmt.title} format ({fmt.shape}): {n:,} of {summary.records:,} "
                  f"records{more}; OpenAI and Azure fine-tuning read only their own formats (chat messages, "
                  f"DPO, RFT): {formats.convert_advice(fmt, summary.path)}", line=found.first_line.get(fmt.name))


@file_rule("F130", "duplicate-example", W, "example repeats an earlier one exactly", source="F-13")
def duplicate_example(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Two byte-identical lines train the same example twice, weighting it more than the others
    and wasting tokens. Remove the copies."""
    for line, first in summary.duplicates:
        yield Finding(None, f"line {line} repeats line {first} exactly; remove the copy", line=line)


def _unread(summary: FileSummary) -> str:
    """What a count of examples leaves out: the records that are no example as written (F012, F030)."""
    other = summary.records - summary.examples
    return f" (and {plural(other, 'record')} to repair first: pretty-printed or not UTF-8)" if other else ""


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
