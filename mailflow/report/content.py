"""What a contribution says, for the report: its fields without greetings, sign-offs or private
remarks, and its English version where the member or the coordinator gave one.

`read_content` takes the text the member sent (or the coordinator's edit of it), the fields read
when it arrived, and the coordinator's English version if any, and returns `Content`:

- the **original fields** — a text that carries an "English version" section ("Versión en
  inglés", "Bản tiếng Anh", "英文版"…) is split there and each half read for labelled sections
  again (`mailflow.reading.sections`), so the English "Why:" does not land in the Spanish "why";
- the **English fields** — from that section, or from the coordinator's translation, which wins;
  an English version without labels is kept whole (``english_text``);
- **no greetings, sign-offs or private remarks** (`mailflow.report.remarks`): a labelled text's
  preamble ("Dear coordinator, I am sending this from my personal address…") belongs to no field
  already; a field, or a free text, is cut at a closing line ("Best regards,", "Saludos
  cordiales", "С уважением", "此致") or a "P.S.", a free text loses its opening greeting, and
  what the member wrote loses the sentences and asides meant for the coordinator ("Entre nous,
  …", "(note for the coordinator: …)"). The coordinator's own texts (an edit, a translation) are
  taken as written, apart from sign-offs.

Pure; never raises on odd text. It does not decide what is missing or how anything is shown
(`mailflow.report.view`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from mailflow.reading.sections import find_sections
from mailflow.reading.words import visible
from mailflow.report.remarks import (
    closing_cut,
    may_hold_remarks,
    without_greeting,
    without_private_remarks,
)

__all__ = [
    "LABELS",
    "PROSE_FIELDS",
    "Content",
    "editable",
    "labelled_text",
    "read_content",
    "split_english",
]

#: The fields of prose a contribution answers, in the call's order.
PROSE_FIELDS = ("why", "outputs", "achievements", "trends", "obstacles", "future_actions")
#: The English label of every field, in the call's order.
LABELS: Mapping[str, str] = {
    "organisation": "Organisation",
    "country": "Country",
    "contact": "Contact",
    "action_lines": "Action lines",
    "why": "Why",
    "outputs": "Outputs and services",
    "achievements": "Achievements",
    "trends": "Trends",
    "obstacles": "Obstacles",
    "future_actions": "Future actions",
}

_ENGLISH_VERSION = (
    "english version|english translation|translation into english|translation|in english"
    "|version anglaise|version en anglais|traduction anglaise|traduction en anglais"
    "|versión en inglés|version en ingles|versión inglesa|traducción al inglés|traduccion al ingles"
    "|bản tiếng anh|bản dịch tiếng anh|phiên bản tiếng anh|tiếng anh"
    "|النسخة الإنجليزية|النسخة الانجليزية|الترجمة الإنجليزية|الترجمة الانجليزية"
    "|النسخة باللغة الإنجليزية|الترجمة إلى الإنجليزية|باللغة الإنجليزية"
    "|英文版|英文版本|英文翻译|英文翻譯|英译|英譯"
    "|английская версия|версия на английском|версия на английском языке"
    "|перевод на английский|перевод на английский язык|английский перевод"
)
# A line that is only the label, perhaps numbered, bulleted, bold, in brackets or between dashes.
_ENGLISH_LINE = re.compile(
    rf"^[\s>#*_\-=–—•·(\[]*(?:\d{{1,2}}[.)]\s*)?(?:{_ENGLISH_VERSION})"
    r"[\s*_:：\-=–—)\]]*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Content:
    fields: Mapping[str, str]  # the original's labelled fields (organisation, country, prose…)
    free_text: str  # the original text when it has no labelled prose field, else ""
    english_fields: Mapping[str, str]
    english_text: str  # an English version without labels, else ""
    english_by: str  # "member", "coordinator" or "" (none)


def split_english(text: str) -> tuple[str, str]:
    """``text`` cut at its "English version" line: (the original, the English version or "")."""
    match = _ENGLISH_LINE.search(text)
    if match is None:
        return text, ""
    return text[: match.start()].rstrip(), text[match.end() :].strip()


def _clean_fields(fields: Mapping[str, str], *, members: bool) -> dict[str, str]:
    """Fields without sign-offs and, in what the member wrote (``members``), without private
    remarks; fields left empty go."""
    cleaned = {}
    for name, value in fields.items():
        value = closing_cut(value)
        if members and name in PROSE_FIELDS:
            value = without_private_remarks(value)
        if value:
            cleaned[name] = value
    return cleaned


def _free(text: str, *, members: bool) -> str:
    """A text without labels, without its greeting, sign-off and (``members``) private remarks."""
    free = closing_cut(without_greeting(text))
    return without_private_remarks(free) if members else free


def _has_prose(fields: Mapping[str, str]) -> bool:
    return any(name in fields for name in PROSE_FIELDS)


def _read(text: str, *, members: bool) -> tuple[dict[str, str], str]:
    fields = _clean_fields(find_sections(text)[0], members=members) if text else {}
    free = "" if _has_prose(fields) else _free(text, members=members)
    return fields, free


def read_content(
    text: str,
    fields: Mapping[str, str],
    *,
    edited: str | None = None,
    translation: str | None = None,
    member_english: str | None = None,
) -> Content:
    """The report's reading of a contribution; ``edited`` (the coordinator's text) replaces
    ``text`` and ``fields``, ``translation`` (the coordinator's English version) wins over the
    member's: ``member_english`` (an English version sent as a further attachment), else the
    text's English section."""
    original, english = split_english(edited if edited is not None else text)
    # One look at the whole text first: most hold no private remark, and their fields need none.
    members = edited is None and may_hold_remarks(visible(original))
    if edited is None and not english:
        # The fields read on arrival hold: no need to read again.
        own = _clean_fields(fields, members=members)
        free = "" if _has_prose(own) else _free(original, members=members)
    else:
        own, free = _read(original, members=members)
    english_by = "member" if english else ""
    members = edited is None  # whether the English version is the member's own text
    if member_english is not None and member_english.strip():
        english, english_by, members = member_english, "member", True
    if translation is not None and translation.strip():
        english, english_by, members = translation, "coordinator", False
    english_fields, english_text = _read(english, members=members) if english else ({}, "")
    return Content(
        fields=own,
        free_text=unicodedata.normalize("NFC", free),
        english_fields=english_fields,
        english_text=english_text,
        english_by=english_by,
    )


def labelled_text(fields: Mapping[str, str], free_text: str = "") -> str:
    """Fields under their English labels, in the call's order, as a coordinator edits them; the
    labels are ones `read_content` reads back. A free text follows the labelled fields."""
    blocks = [
        f"{LABELS[name]}: {fields[name].strip()}"
        for name in ("organisation", "country", "action_lines", *PROSE_FIELDS)
        if fields.get(name, "").strip()
    ]
    if free_text.strip():
        blocks.append(free_text.strip())
    return "\n\n".join(blocks) + "\n"


def editable(content: Content) -> tuple[str, str]:
    """The text a coordinator starts an edit from, and the one a translation starts from."""
    original = labelled_text(content.fields, content.free_text)
    if content.english_fields or content.english_text:
        english = labelled_text(content.english_fields, content.english_text)
        return f"{original}\nEnglish version:\n\n{english}", english
    return original, original
