"""Bytes in a declared (or undeclared, or wrongly declared) charset to NFC text.

`decode_bytes` decodes with the superset a label is used for in practice (gb2312 → gb18030,
shift_jis → cp932, iso-8859-1 → cp1252…), recognises UTF-8 sent under a single-byte label, and
detects with charset-normalizer when there is no usable declaration; `html_charset` finds a
``<meta charset>`` in an HTML document; `tidy` normalises decoded text (NFC, ``\\n`` line endings,
no NULs). This module does not know about MIME parts (`mailflow.reading.mime`) or headers
(`mailflow.reading.headers`).
"""

from __future__ import annotations

import re
import unicodedata

import charset_normalizer

__all__ = ["SUPERSETS", "decode_bytes", "html_charset", "tidy"]

# Labels whose real-world use is a superset encoding: decode with the superset first.
SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_ext",
}


_SINGLE_BYTE = re.compile(
    r"^(?:iso[-_]?8859[-_]?\d+|latin[-_]?\d|(?:windows|cp)[-_]?125\d|us-ascii)$"
)


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, bool]:
    """Decode ``data`` per the ``declared`` charset; (text, True) when detection had to be used."""
    label = (declared or "").strip().strip("\"'").lower()
    if not data:
        return "", False
    if _SINGLE_BYTE.match(label) and not data.isascii():
        try:  # UTF-8 sent under a Latin label: valid UTF-8 by chance is all but impossible
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    if label:
        for codec in (SUPERSETS.get(label), label):
            if codec:
                try:
                    return data.decode(codec), False
                except (LookupError, UnicodeError):
                    continue
    elif data.isascii():
        return data.decode("ascii"), False
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best), True
    return data.decode("utf-8", "replace"), True


_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]+)"""
    rb"""|^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.I,
)


def html_charset(data: bytes, declared: str | None) -> str | None:
    """The declared charset of an HTML document, else the one its ``<meta>`` or XML declaration
    names, else None."""
    if not declared:
        found = _META_CHARSET.search(data[:4096])
        if found:
            declared = (found.group(1) or found.group(2)).decode("ascii")
    return declared


def tidy(text: str, max_chars: int | None = None) -> str:
    """NFC, ``\\n`` line endings, no NULs; cut to ``max_chars`` when given."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\ufeff")
    if max_chars is not None:
        text = text[:max_chars]
    return unicodedata.normalize("NFC", text)
