"""Links in a contribution's text: http(s) URLs as members write them, de-duplicated.

`find_links` finds URLs in text (also right after CJK text, without a space), cuts the
punctuation that follows them, and merges them with the links found in HTML anchors and document
hyperlinks; `without_links` blanks URLs and mail addresses out of a text so that the words in them
are not read as action-line names or as the language of the text. This module does not read HTML
or documents (`mailflow.reading.html`, `mailflow.reading.documents`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["EMAIL", "URL", "blank_out", "find_links", "without_links"]

# A URL may follow CJK text with no space ("网址https://…"); it ends at whitespace, a control
# character (C0, DEL, C1: a CR or LF never belongs to a link), a line or paragraph separator,
# brackets, quotes, CJK punctuation, full-width forms or a Han character.
# Bare "www.host/path" is a link too: people write it so, and mail clients make it clickable.
URL = re.compile(
    r"""(?i)(?:(?<![A-Za-z0-9@])https?://|(?<![A-Za-z0-9@/.\-])www\.)"""
    r"""[^\s\x00-\x1f\x7f-\x9f\u2028\u2029<>"'`\[\]{}|\\^"""
    r"""\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+"""
)
# Where a link from an HTML anchor or a document's hyperlink ends: at its first control character.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TRAILING = ".,;:!?'\"*_»”’›)]}>…"
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # lookbehind: linear time


def _clean_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the URL (Wikipedia style)
        url = url[:-1]
    return url


def _with_scheme(url: str) -> str:
    """A bare "www.…" link with the scheme a browser would try first added."""
    return url if url[:4].lower() != "www." else "https://" + url


def _link_key(url: str) -> str:
    parts = urlsplit(url)
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{rest}".rstrip("/")


def _valid(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and "." in parts.netloc.strip(".")


def find_links(text: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """http(s) URLs in ``text``, then those in ``extra``, de-duplicated in order of appearance.

    A bare "www.host/path" gets "https://" in front, so that the report can link to it. A link
    ends at its first control character (``http://x.example/\\r\\nBcc: …`` is
    ``http://x.example/``); trailing punctuation and unbalanced closing brackets are not part of
    it; two URLs that differ only in the case of scheme and host or in a trailing slash are the
    same link.
    """
    found: dict[str, str] = {}
    candidates = [_with_scheme(_clean_url(match.group())) for match in URL.finditer(text)]
    candidates += [_clean_url(_CONTROL.split(url.strip(), maxsplit=1)[0]) for url in extra]
    for url in candidates:
        if _valid(url):
            found.setdefault(_link_key(url), url)
    return tuple(found.values())


def blank_out(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with each match of ``pattern`` replaced by as many spaces (offsets kept)."""
    return pattern.sub(lambda match: " " * len(match.group()), text)


def without_links(text: str) -> str:
    """``text`` with its URLs and mail addresses blanked out (offsets kept), so that the words
    inside them are not read as prose."""
    return blank_out(EMAIL, blank_out(URL, text))
