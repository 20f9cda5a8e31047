"""Realistic member contributions for the benchmarks, built in bulk and deterministically.

`contribution(i)` returns the raw bytes of contribution number ``i``: one of the golden corpus's
texts (``tests/golden/make_golden.py``) in one of the seven languages, made unique by its
organisation name and link host, and packed the way members' mail clients pack mail: 15 % HTML
only, 5 % with a .docx or .pdf attachment (built with the golden corpus's own builders), the rest
plain text or plain + HTML alternatives, in UTF-8 or the language's legacy charset, in 8bit,
quoted-printable or base64, some with a signature or a quoted reply below. Every sender is a
member (`members_csv`), so accepted and needs-revision contributions queue a confirmation. This
module builds bytes only; writing them into a mailbox lives in `bench/harness.py`.
"""

from __future__ import annotations

import html
import re
import runpy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from types import SimpleNamespace

# The golden corpus's texts and builders are test data, kept with the golden files in
# tests/golden; the script that writes them is run here for its definitions (its __main__ part
# does not run), rather than shipped in the package or imported through a path edit.
golden = SimpleNamespace(
    **runpy.run_path(str(Path(__file__).resolve().parent.parent / "tests/golden/make_golden.py"))
)

LANGUAGES = ("en", "fr", "es", "vi", "ar", "zh", "ru")
MEMBER_DOMAIN = "members.test"
#: The association's mailbox; contributions are addressed to it.
ASSOCIATION = "wsis@association.test"

TEXTS: dict[str, tuple[str, ...]] = {
    "en": (golden.EN_TEMPLATE, golden.EN_FREE, golden.EN_DISCLAIMER, golden.EN_BASE64),
    "fr": (golden.FR_TEMPLATE, golden.FR_PDF, golden.FR_LATIN1),
    "es": (golden.ES_TEMPLATE, golden.ES_FREE, golden.ES_ODT),
    "vi": (golden.VI_TEMPLATE, golden.VI_FREE, golden.VI_ODT),
    "ar": (golden.AR_TEMPLATE, golden.AR_FREE),
    "zh": (golden.ZH_TEMPLATE, golden.ZH_GB2312, golden.ZH_FREE),
    "ru": (golden.RU_TEMPLATE, golden.RU_KOI8, golden.RU_DOCX),
}
LEGACY_CHARSET = {
    "en": "us-ascii",
    "fr": "windows-1252",
    "es": "iso-8859-1",
    "vi": "windows-1258",
    "ar": "windows-1256",
    "zh": "gbk",
    "ru": "koi8-r",
}
SUBJECTS = {
    "en": "WSIS 2025 contribution",
    "fr": "Contribution SMSI 2025",
    "es": "Contribución CMSI 2025",
    "vi": "Đóng góp WSIS 2025",
    "ar": "مساهمة القمة العالمية لمجتمع المعلومات 2025",
    "zh": "信息社会世界峰会 2025 年度贡献",
    "ru": "Вклад ВВУИО 2025",
}
SIGNATURES = {
    "en": "\n-- \nAnna Lindqvist\nHead of Digital Services\n+353 1 555 0142\n",
    "fr": "\n-- \nClaire Dubois\nDirectrice\nTél. : +33 4 55 01 02 03\n",
    "es": "\n--\nMaría Fernández\nDirectora de la biblioteca\nEnviado desde mi iPhone\n",
    "vi": "\n--\nNguyễn Thị Hoa\nTrưởng phòng Thông tin\n",
    "ar": "\n--\nليلى حداد\nمديرة المكتبة\n",
    "zh": "\n--\n王丽\n馆长\n",
    "ru": "\n--\nС уважением,\nОльга Иванова\n",
}
QUOTE = (
    "\nOn Mon, 1 Sep 2025 at 09:00, WSIS coordinator <wsis@association.test> wrote:\n"
    "> Dear members,\n>\n> please send your WSIS contribution (at most 200 words) by\n"
    "> 30 September. Name the action lines, your outputs with links, your\n"
    "> achievements, trends and obstacles, and your future actions.\n>\n"
    "> WSIS coordinator\n"
)
_BASE_DATE = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
_FIRST_URL = re.compile(r"https://")
_URL = re.compile(r"https?://[^\s<>\"'，。）]+")
_LABEL = re.compile(r"^([^:：]{1,40}\s?[:：])", re.MULTILINE)


def language(i: int) -> str:
    return LANGUAGES[i % len(LANGUAGES)]


def member_address(i: int) -> str:
    return f"member{i:05d}@{MEMBER_DOMAIN}"


def members_csv(count: int) -> str:
    """The roster for contributions 0 … count-1 (``mailflow members import`` format)."""
    lines = ["email,name,organisation,country,language"]
    lines += [
        f"{member_address(i)},Member {i},Library {i},Country {i % 50},{language(i)}"
        for i in range(count)
    ]
    return "\n".join(lines) + "\n"


def text_of(i: int) -> str:
    """The contribution text of number ``i``: a golden text made unique to this member."""
    lang = language(i)
    choices = TEXTS[lang]
    text = choices[(i // len(LANGUAGES)) % len(choices)]
    lines = text.split("\n")
    if _LABEL.match(lines[0]):
        lines[0] = f"{lines[0]} ({i})"  # the organisation line of a template
    text = "\n".join(lines)
    return _FIRST_URL.sub(f"https://m{i}.", text, count=1)


def _html(text: str) -> str:
    paragraphs = []
    for line in text.strip().split("\n"):
        escaped = html.escape(line)
        escaped = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        escaped = _LABEL.sub(r"<b>\1</b>", escaped, count=1)
        paragraphs.append(f"<p>{escaped}</p>" if line else "<p>&nbsp;</p>")
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '</head><body><div dir="auto" style="font-family:Calibri,sans-serif">\n'
        + "\n".join(paragraphs)
        + "\n</div></body></html>\n"
    )


@cache
def _attachment(lang: int, variant: int, kind: str) -> bytes:
    text = text_of(variant * len(LANGUAGES) + lang)
    paragraphs = [p for p in text.split("\n") if p.strip()]
    if kind == "pdf":
        return golden.pdf_bytes(paragraphs)
    return golden.docx_bytes(paragraphs)


def _charset_for(i: int, text: str) -> str:
    legacy = LEGACY_CHARSET[language(i)]
    if i % 4 == 1:
        try:
            text.encode(legacy)
            return legacy
        except UnicodeEncodeError:
            pass
    return "utf-8"


def _plain(text: str, charset: str, cte: str) -> bytes:
    if charset == "windows-1258":
        data = golden.cp1258_decomposed(text)
        head = f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit"
        return head.encode() + b"\r\n\r\n" + data
    return golden.text_part(text, "plain", charset, cte)


def contribution(i: int) -> bytes:
    """The raw bytes of contribution number ``i`` (the same bytes for the same ``i``)."""
    lang = language(i)
    text = text_of(i)
    boundary = f"=_bench_{i:06d}"
    shape = i % 20
    if shape == 0:  # 5 %: an attachment with a short cover note
        kind = "pdf" if lang in ("en", "fr", "es") and (i // 20) % 2 else "docx"
        data = _attachment(LANGUAGES.index(lang), (i // 140) % 8, kind)
        ctype = "application/pdf" if kind == "pdf" else golden.DOCX
        cover = "Please find our contribution attached.\n" + SIGNATURES[lang]
        body = golden.multipart(
            "mixed",
            [
                golden.text_part(cover),
                golden.attachment_part(data, ctype, f"wsis-contribution-{i}.{kind}"),
            ],
            boundary,
        )
    elif shape in (1, 2, 3):  # 15 %: HTML only
        body = golden.text_part(_html(text + SIGNATURES[lang]), "html", "utf-8", "quoted-printable")
    else:
        if i % 3 == 0:
            text += SIGNATURES[lang]
        if i % 10 == 7:
            text += QUOTE
        charset = _charset_for(i, text)
        cte = ("8bit", "quoted-printable", "base64")[i % 3]
        plain = _plain(text, charset, cte)
        if i % 5 == 4:  # plain + HTML, as webmail sends it
            html_part = golden.text_part(_html(text), "html", "utf-8", "quoted-printable")
            body = golden.multipart("alternative", [plain, html_part], boundary)
        else:
            body = plain
    subject = SUBJECTS[lang]
    date = _BASE_DATE + timedelta(minutes=i)
    head = [
        f"From: Member {i} <{member_address(i)}>",
        f"To: WSIS coordinator <{ASSOCIATION}>",
        f"Subject: {subject if subject.isascii() else Header(subject, 'utf-8').encode()}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: <bench-{i}@{MEMBER_DOMAIN}>",
        "MIME-Version: 1.0",
    ]
    return "\r\n".join(head).encode() + b"\r\n" + body


def contributions(start: int, stop: int) -> Iterator[tuple[int, bytes]]:
    for i in range(start, stop):
        yield i, contribution(i)
