"""Images in examples: where they may appear, their URLs, how many, and whether the model takes them (C-21)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .. import catalog, formats, imagedata, records
from ..diagnostics import Severity
from ..plural import plural
from ..reader import Record
from ..records import type_name
from . import hints
from .context import Context, FileSummary
from .messages import label, role_of
from .registry import Finding, collector, file_rule, record_rule

E, W = Severity.ERROR, Severity.WARNING
MESSAGES = ("chat", "reinforcement")
DETAILS = ("auto", "low", "high")
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # DOC-VIS: images over 10 MB are skipped
_URL = re.compile(r"^(https?://|data:image/)")  # the same pattern as the schemas' imagePart.url
_FORMATS = ("jpeg", "jpg", "png", "webp")
_PNG_MODES = {0: "grayscale", 3: "palette", 4: "grayscale with alpha"}  # 2 = RGB and 6 = RGBA are fine


def image_parts(value: Any) -> Iterator[tuple[str, int, dict[str, Any], dict[str, Any]]]:
    """(pointer, message index, message, part) for every ``image_url`` content part of an example."""
    for prefix, msgs in records.message_arrays(value):
        for i, m in enumerate(msgs):
            content = m.get("content") if isinstance(m, dict) else None
            if not isinstance(content, list):
                continue
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "image_url":
                    yield f"{prefix}/{i}/content/{j}", i, m, part


def has_image(value: Any) -> bool:
    """Whether an example holds at least one image part (the engine counts these for F080 and C215)."""
    return next(image_parts(value), None) is not None


@record_rule("C210", "image-outside-user-message", E, "image in a message that is not from the user",
             formats=MESSAGES, structural=True, source="C-21")
def image_outside_user_message(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Images (`image_url` content parts) are allowed only in user messages: "You cannot include
    images as output from messages with the assistant role" (vision fine-tuning guide; Azure the
    same). System, developer and tool content take only text parts. Move the image into the user
    message that asks about it."""
    allowed = formats.roles(ctx.file_format)
    for pointer, i, m, _ in image_parts(rec.value):
        role = role_of(m)
        if role in allowed and role != "user":
            yield Finding(pointer, f"{label(i, m)} has an image; images are allowed only in user messages: "
                          "move it into the user message")


@record_rule("C211", "invalid-image-url", E, "image URL is not http(s) or a data:image/ URL",
             formats=MESSAGES, structural=True, source="C-21")
def invalid_image_url(rec: Record, ctx: Context) -> Iterator[Finding]:
    """An image part is `{"type": "image_url", "image_url": {"url": "..."}}` where the URL is an
    `http://` or `https://` address the training service can download, or a base64 data URL
    (`data:image/png;base64,...`). Other schemes (`ftp:`, `file:`), local paths and a bare string
    in place of the `image_url` object are rejected. Upload the image somewhere reachable over
    HTTPS or embed it as a data URL."""
    for pointer, i, m, part in image_parts(rec.value):
        obj = part.get("image_url")
        if isinstance(obj, str):
            yield Finding(f"{pointer}/image_url", f'{label(i, m)}: "image_url" is a string; it must be an object '
                          'like {"url": "https://..."}')
        elif not isinstance(obj, dict):
            moved = next((k for k in ("url", "value", "image") if isinstance(part.get(k), str)), None)
            hint = (f", not {type_name(obj)}" if "image_url" in part
                    else f' (move "{moved}" into it)' if moved else "")
            yield Finding(pointer, f'{label(i, m)}: the image part needs an "image_url" object like '
                          '{"url": "https://..."}' + hint)
        elif not isinstance(obj.get("url"), str):
            at = f"{pointer}/image_url" + ("/url" if "url" in obj else "")
            yield Finding(at, f'{label(i, m)}: "image_url" needs a "url" string')
        elif not _URL.match(obj["url"]):
            yield Finding(f"{pointer}/image_url/url", f"{label(i, m)}: image URL {_clip(obj['url'])} is neither "
                          "http(s):// nor data:image/; upload the image and use its https URL, or embed it as "
                          "data:image/png;base64,...")


@record_rule("C212", "invalid-image-detail", E, 'image "detail" is not auto, low or high',
             formats=MESSAGES, structural=True, source="C-21")
def invalid_image_detail(rec: Record, ctx: Context) -> Iterator[Finding]:
    """`image_url.detail` is optional; when present it must be `"auto"` (the default), `"low"`
    (512x512, 85 tokens per image) or `"high"`. Anything else (`"medium"`, `null`, a number) is
    rejected by the schema."""
    for pointer, i, m, part in image_parts(rec.value):
        obj = part.get("image_url")
        if isinstance(obj, dict) and "detail" in obj and not (isinstance(obj["detail"], str)
                                                              and obj["detail"] in DETAILS):
            shown = _clip(obj["detail"]) if isinstance(obj["detail"], str) else type_name(obj["detail"])
            yield Finding(f"{pointer}/image_url/detail", f'{label(i, m)}: image detail {shown} is not allowed; '
                          'use "auto", "low" or "high" (or leave it out)')


@record_rule("C213", "too-many-images", E, "more images in one example than the provider allows",
             formats=MESSAGES, source="C-21")
def too_many_images(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Vision fine-tuning takes at most 10 images per example on OpenAI and 64 on Azure OpenAI
    (the limit comes from the provider catalog). Split an example with more images into several
    examples."""
    limit = ctx.provider.max_images_per_example
    if not hints.of(rec).image_url:
        return
    pointers = [pointer for pointer, *_ in image_parts(rec.value)]
    if limit and len(pointers) > limit:
        yield Finding(pointers[limit], f"example has {len(pointers)} images; {ctx.provider.title} allows at most "
                      f"{limit} per example: split it into several examples")


@record_rule("C214", "unsupported-image-data", W, "embedded image is not a JPEG, PNG or WEBP under 10 MB",
             formats=MESSAGES, source="C-21")
def unsupported_image_data(rec: Record, ctx: Context) -> Iterator[Finding]:
    """Images must be JPEG, PNG or WEBP, in RGB or RGBA mode, at most 10 MB. The service does not
    reject a file for a bad image: it skips the image ("invalid image format", "image too large"),
    so the example trains without it. For base64 data URLs Tunesmith checks the declared type, the
    first bytes of the data (a GIF or BMP labelled image/png), the PNG colour mode, the decoded
    size, and that the data is whole: valid base64, and an image that ends where its format says
    (a PNG's IEND chunk, a JPEG's end-of-image marker, a WEBP's declared length); a copy cut
    short, or base64 with stray characters, is skipped as "invalid image format". Convert the
    image (e.g. to PNG), shrink it, or re-encode it whole. Images behind http(s) URLs are not
    downloaded.
    Evidence: documented (https://platform.openai.com/docs/guides/vision-fine-tuning: size,
    formats, modes, and the skip reasons)."""
    if not hints.of(rec).data_image:
        return
    for pointer, i, m, part in image_parts(rec.value):
        obj = part.get("image_url")
        url = obj.get("url") if isinstance(obj, dict) else None
        if isinstance(url, str) and url.startswith("data:image/"):
            problem = data_url_problem(url)
            if problem:
                yield Finding(f"{pointer}/image_url/url", f"{label(i, m)}: {problem}; the service skips such "
                              "images, so the example trains without it")


def data_url_problem(url: str) -> str | None:
    """What is wrong with a ``data:image/...`` URL for fine-tuning, or None when it looks fine."""
    header, comma, payload = url.partition(",")
    kind, *params = header[len("data:"):].split(";")
    sub = kind[len("image/"):].lower()
    if sub not in _FORMATS:
        return f"image type {kind} is not supported (JPEG, PNG or WEBP only): convert it"
    if not comma or "base64" not in (p.strip().lower() for p in params):
        return f"the data URL is not base64-encoded; write it as data:{kind};base64,<data>"
    size = len(payload) * 3 // 4 - payload[-2:].count("=")
    if size > MAX_IMAGE_BYTES:
        return f"the image is {size / 1024 / 1024:.1f} MB, over the 10 MB limit: shrink it"
    head = imagedata.decode_head(payload[:44])
    if head is None:
        return "the data is not valid base64"
    actual = imagedata.kind_of(head)
    if actual not in (None, "JPEG", "PNG", "WEBP"):
        return f"the data is a {actual} image although the URL says {kind} (JPEG, PNG or WEBP only): convert it"
    if actual == "PNG" and len(head) > 25 and head[12:16] == b"IHDR" and head[25] in _PNG_MODES:
        return f"the PNG is in {_PNG_MODES[head[25]]} mode; images must be RGB or RGBA: convert it"
    broken = imagedata.damage(payload)
    if broken:
        return f"{broken}: re-encode the whole image"
    return None


IMAGES = "image-examples"


class ImageExamples:
    """Counts the examples with at least one image part, and the first one's line (for C215 and F080)."""

    def __init__(self) -> None:
        self.count = 0
        self.first_line: int | None = None

    def add(self, rec: Record) -> None:
        if hints.of(rec).image_url and has_image(rec.value):
            self.count += 1
            self.first_line = self.first_line or rec.line

    def merge(self, later: ImageExamples, copies: set[int]) -> None:
        self.count += later.count
        self.first_line = self.first_line or later.first_line


collector(IMAGES, rules=("C215", "F080"))(ImageExamples)


def image_examples(summary: FileSummary) -> ImageExamples:
    """The file's image examples (none counted when neither rule that reads them is enabled)."""
    found = summary.collected.get(IMAGES)
    return found if isinstance(found, ImageExamples) else ImageExamples()


@file_rule("C215", "images-not-supported-by-model", E, "examples have images but the model takes none",
           formats=MESSAGES, source="C-21")
def images_not_supported_by_model(summary: FileSummary, ctx: Context) -> Iterator[Finding]:
    """Only some models can be fine-tuned on images: gpt-4o-2024-08-06 on OpenAI; gpt-4o
    2024-08-06 and gpt-4.1 2025-04-14 on Azure OpenAI (the catalog's `images` field). A file with
    image parts for any other model fails. Pass a vision model with `--model`, or remove the
    images. Reported once per file."""
    images = image_examples(summary)
    if not images.count or ctx.model.images or ctx.file_format not in MESSAGES or ctx.foreign:
        return  # (a file in another trainer's format gets F092 first)
    vision = [m.name for m in catalog.models(ctx.provider.name) if m.images]
    which = ctx.model.name if ctx.model_explicit else f"the default model {ctx.model.name}"
    fix = (f"pass --model {vision[0]}" + (f" (or {', '.join(vision[1:])})" if vision[1:] else "")
           if vision else f"no {ctx.provider.title} model in the catalog takes images; remove them")
    yield Finding(None, f"{plural(images.count, 'example')} with images (first at line {images.first_line}), "
                  f"but {which} cannot be fine-tuned on images: {fix}", line=images.first_line)


def _clip(text: str, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 4] + "...'"
