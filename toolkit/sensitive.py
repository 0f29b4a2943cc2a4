"""Secrets and personal data in text: API keys and tokens, private keys, e-mail addresses, phone numbers.

Patterns are chosen for few false positives: keys need their vendor's prefix and a random-
looking body (placeholders such as ``sk-xxxx`` or ``YOUR_TOKEN`` are not reported), e-mail
addresses on reserved example domains are skipped, and phone numbers need a ``+`` country code
or the ``(415) 555-2671`` / ``415-555-2671`` layout. Each kind has a cheap test on the raw
line (``might_hold``) so that records without a hint are never walked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import pointers

SECRET, EMAIL, PHONE = "secret", "email", "phone"


@dataclass(frozen=True)
class Match:
    """One finding in one string: what it looks like, where, and the text itself."""

    kind: str
    label: str
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        """The text with most of it hidden, safe to print in a report (a key's prefix and last 2 characters)."""
        t = self.text
        if t.startswith("-----BEGIN"):
            return t
        if self.kind == EMAIL:
            local, _, domain = t.rpartition("@")
            return f"{local[:1]}***@{domain}"
        return f"{t[:min(8, len(t) // 4)]}…{t[-2:]}"


# label, pattern, body must look random, anchors: (literal, offset) pairs such that every match holds one of the
# literals that many characters after its start (see _anchored: a long string is searched only there)
_SECRETS: list[tuple[str, re.Pattern[str], bool, tuple[tuple[str | re.Pattern[str], int], ...]]] = [
    ("an OpenAI-style API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"), True,
     (("sk-", 0),)),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), True, (("AKIA", 0), ("ASIA", 0))),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"), True,
     (("ghp_", 0), ("gho_", 0), ("ghu_", 0), ("ghs_", 0), ("ghr_", 0), ("github_pat_", 0))),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), True, (("xox", 0),)),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), True, (("AIza", 0),)),
    ("a Stripe live key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{24,}"), True, (("k_live_", 1),)),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), False,
     (("eyJ", 0),)),
    ("a bearer token", re.compile(r"\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)"), True, (("earer", 1),)),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), False,
     (("-----BEGIN ", 0),)),
]
# Literal hints of each secret pattern: `in` on bytes is far faster than a regex scan of long lines. Each hint is
# looked for only in lines holding its gate, a byte of the hint that most text lacks: a one-byte search is several
# times faster than a longer one, and a byte that a line holds is found at once. Hints that share their gate are
# found by one scan from each place the gate is (a regex starting with that byte): seven searches of a line
# holding a "_" become one. ``tests/test_hints.py`` checks them against each hint searched on its own.
_SECRET_HINTS: tuple[tuple[bytes, bytes | re.Pattern[bytes]], ...] = (  # gate, the hint or a scan for the hints
    (b"-", b"sk-"), (b"x", b"xox"), (b"J", b"eyJ"), (b"r", b"earer"), (b"V", b"PRIVATE KEY"),
    (b"_", re.compile(rb"_(?:(?<=gh[pousr]_)|(?<=github_)pat_|(?<=k_)live_)")),  # ghp_ ... ghr_, github_pat_, k_live_
    (b"A", re.compile(rb"A(?:KIA|SIA|Iza)")))
_PLACEHOLDER = re.compile(r"(?i)example|x{6}|your|dummy|placeholder|redacted|0{8}")

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,24}\b")
_EMAIL_HINT = re.compile(rb"[A-Za-z0-9]@[A-Za-z0-9]")
_RESERVED_DOMAINS = re.compile(r"(?i)(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$")
_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "json", "txt",
                            "pdf", "py", "md", "html"})
_NOT_PEOPLE = frozenset({"git"})  # git@github.com:org/repo: an SSH remote, not an address

_PHONE = re.compile(r"(?<![\w+.-])(?:\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5}|(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4})"
                    r"(?![\w-])")
# a match starts "+d", "(ddd)" or "ddd-ddd-dddd" (or with dots): "+" and "." are common (base64, prose), the
# lookaheads keep the places to try few
_PHONE_ANCHORS: tuple[tuple[str | re.Pattern[str], int], ...] = (
    (re.compile(r"\+(?=[1-9])"), 0), (re.compile(r"\((?=\d{3}\))"), 0), (re.compile(r"[-.](?=\d{3}[-.]\d{4})"), 3))
# Every phone match holds "+<digit>" or "ddd-dddd" / "ddd.dddd": look for those with digits folded to 0 (each
# only in lines holding its "+", "-" or ".", and the line folded once).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_PHONE_HINTS = ((b"+", b"+0"), (b"-", b"000-0000"), (b".", b"000.0000"))


def might_hold(raw: bytes, kind: str) -> bool:
    """Whether the raw bytes of a record can hold a match of ``kind`` (a fast test before walking it)."""
    if kind == SECRET:
        for gate, hint in _SECRET_HINTS:  # loops, not any(...): this runs on every line
            if gate in raw and ((hint in raw) if isinstance(hint, bytes) else (hint.search(raw) is not None)):
                return True
        return False
    if kind == EMAIL:
        return b"@" in raw and _EMAIL_HINT.search(raw) is not None
    folded = None
    for gate, hint in _PHONE_HINTS:
        if gate in raw:
            folded = raw.translate(_DIGITS_TO_ZERO) if folded is None else folded
            if hint in folded:
                return True
    return False


ANCHORED_FROM = 4096  # strings at least this long are searched only where an anchor literal stands


def _finditer(pattern: re.Pattern[str], text: str,
              anchors: tuple[tuple[str | re.Pattern[str], int], ...]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, with the same matches, for a pattern each of whose matches holds one of the
    ``anchors`` at that offset from its start: a literal, or a pattern that matches one character (a lookahead
    may check more), so that its matches skip no place.

    A regex that starts with ``\\b`` or a character class is tried at every character (about 60 ns each: a second
    per pattern for 15 MB of base64 image data); ``str.find`` skips to the few places a match can start, where
    ``pattern.match`` (which sees the characters before its start, for ``\\b`` and lookbehinds) tries it.
    """
    if len(text) < ANCHORED_FROM:
        yield from pattern.finditer(text)
        return
    starts = sorted({i - offset for literal, offset in anchors for i in _positions(text, literal) if i >= offset})
    end = 0
    for start in starts:
        if start < end:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            end = m.end()


def _positions(text: str, literal: str | re.Pattern[str]) -> Iterator[int]:
    if isinstance(literal, re.Pattern):
        yield from (m.start() for m in literal.finditer(text))
        return
    i = text.find(literal)
    while i >= 0:
        yield i
        i = text.find(literal, i + 1)


def _random_looking(token: str) -> bool:
    return (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
            and _PLACEHOLDER.search(token) is None)


def secrets(text: str) -> Iterator[Match]:
    """API keys, tokens and private keys in ``text`` (one match per place: a JWT after "Bearer" is one)."""
    found = []
    for label, pattern, random_body, anchors in _SECRETS:
        for m in _finditer(pattern, text, anchors):
            if not random_body or _random_looking(m.group(m.lastindex or 0)):
                found.append(Match(SECRET, label, m.start(), m.end(), m.group(0)))
    end = -1
    for match in sorted(found, key=lambda m: (m.start, -m.end)):
        if match.start >= end:
            yield match
            end = match.end


def emails(text: str) -> Iterator[Match]:
    """E-mail addresses in ``text`` (not on reserved example domains, not file names like icon@2x.png)."""
    if "@" not in text:  # a fast test before a regex that is tried at every character
        return
    for m in _EMAIL.finditer(text):
        local, _, domain = m.group(0).rpartition("@")
        if (_RESERVED_DOMAINS.search(domain) or domain.rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES
                or local.lower() in _NOT_PEOPLE):
            continue
        yield Match(EMAIL, "an e-mail address", m.start(), m.end(), m.group(0))


def phones(text: str) -> Iterator[Match]:
    """Phone numbers in ``text``: with a + country code, or in the (415) 555-2671 / 415-555-2671 layout."""
    for m in _finditer(_PHONE, text, _PHONE_ANCHORS):
        digits = sum(c.isdigit() for c in m.group(0))
        if 10 <= digits <= 15:
            yield Match(PHONE, "a phone number", m.start(), m.end(), m.group(0))


FINDERS = {SECRET: secrets, EMAIL: emails, PHONE: phones}


def strings(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) for every string value inside ``value``."""
    stack = [(pointer, value)]
    while stack:
        ptr, val = stack.pop()
        if isinstance(val, str):
            yield ptr, val
        elif isinstance(val, dict):
            stack.extend((f"{ptr}/{pointers.escape(k)}", v) for k, v in reversed(val.items()))
        elif isinstance(val, list):
            stack.extend((f"{ptr}/{i}", v) for i, v in reversed(list(enumerate(val))))


def scan(value: Any, kind: str) -> Iterator[tuple[str, Match]]:
    """(pointer, match) for every match of ``kind`` in the strings of ``value``, in document order."""
    find = FINDERS[kind]
    for ptr, text in strings(value):
        for match in find(text):
            yield ptr, match
