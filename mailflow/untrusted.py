"""Text from strangers made inert: the one place that says which characters are unsafe where.

Everything a member (or anyone who can send mail) writes reaches mailflow as untrusted text:
names, subjects, file names, links, contribution text. Before such text goes near a header, a
one-line field, a spreadsheet cell or a stored header value, it passes through one of these:

* `clean` — one safe line for mail headers and short fields: NFC, no control characters (CR, LF,
  NUL, ESC, NEL…), no line/paragraph separators, bidi overrides and isolates or BOM, single
  spaces, at most `MAX_UNTRUSTED` characters;
* `clean_text` / `clean_line` — text and one-line fields of the report (.docx, HTML, JSON):
  characters XML cannot hold removed, line ends made ``\\n``; `clean_line` also drops bidi
  embeddings, overrides and isolates, which in a one-line field only serve to spoof layout;
* `csv_cell` — a cell a spreadsheet shows as text, never runs as a formula;
* `printable` — a decoded header value safe to store and show;
* `shown_name` — a stranger's name (or organisation) as shown beside other text: bidi
  overrides, embeddings, isolates and invisible characters removed, and the rest isolated
  (U+2068 … U+2069) so that it cannot reorder the text around it.

What is stored stays as the member wrote it (bidi controls and zero-width characters included,
in the ledger and ``contributions.json``); these functions shape what is shown or sent.

This module sits beside `mailflow.errors` at the bottom of the layers, so the reading, answering
and report stages all use it. It decides nothing about what a text means.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "FORMULA_START",
    "MAX_UNTRUSTED",
    "clean",
    "clean_line",
    "clean_text",
    "csv_cell",
    "printable",
    "shown_name",
]

#: Longest subject, name or file name (in characters) copied from a member's mail.
MAX_UNTRUSTED = 200
#: A cell a spreadsheet would read as a formula (OWASP's list, tab and carriage return included).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# C0 and C1 controls (CR, LF, NUL, ESC, NEL…), line/paragraph separators, bidi overrides and
# isolates, the BOM and lone surrogates: none belongs in a name, a subject or a file name.
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
# Characters XML 1.0 (hence .docx) cannot hold, plus other C0/C1 controls and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidi embeddings, overrides and isolates.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Every character `clean_text` replaces or removes (the _CONTROL set, CR, tab, U+2028/9): text
# without any, which is most text, only needs normalising and stripping.
_UNCLEAN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# Bidi controls and invisible characters a name never needs (ZWNJ and ZWJ, which Persian and
# Indic names do need, are kept).
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# What a stored header value may not hold (tab and line feed are folded away by the caller).
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str, limit: int = MAX_UNTRUSTED) -> str:
    """Untrusted text as one safe line: NFC, no control characters, single spaces, ≤ limit chars."""
    text = _UNSAFE.sub(" ", unicodedata.normalize("NFC", text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_text(value: str) -> str:
    """Unicode NFC, ``\\n`` line ends, no control characters, tabs as spaces, stripped."""
    if _UNCLEAN.search(value) is not None:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
        value = _CONTROL.sub("", value.replace("\u2029", "\n").replace("\t", " "))
    return unicodedata.normalize("NFC", value).strip()


def clean_line(value: str) -> str:
    """A one-line field: cleaned, bidi overrides removed, whitespace runs made single spaces."""
    return " ".join(_BIDI_CONTROL.sub("", clean_text(value)).split())


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def printable(text: str) -> str:
    """Text safe to store and show: undecodable bytes (surrogates) replaced, controls dropped."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        try:  # bytes the parser kept as escapes: decode them as UTF-8 where they are
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            text = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return _HEADER_CONTROL.sub("", text)


def shown_name(name: str, limit: int = MAX_UNTRUSTED) -> str:
    """``name`` as one line to show beside other text: no bidi override, embedding, isolate or
    invisible character, and wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE unless it
    is ASCII (which cannot reorder anything), so an Arabic name keeps its direction without
    turning the line around it."""
    text = clean(_INVISIBLE.sub("", name), limit)
    return text if text.isascii() else f"\u2068{text}\u2069"
