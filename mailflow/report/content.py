"""What a contribution says, for the report: its fields without greetings, sign-offs or private
remarks, and its English version where the member or the coordinator gave one.

`read_content` takes the text the member sent (or the coordinator's edit of it), the fields read
when it arrived, and the coordinator's English version if any, and returns `Content`:

- the **original fields** — a text that carries an "English version" section ("Versión en
  inglés", "Bản tiếng Anh", "英文版"…) is split there and each half read for labelled sections
  again (`mailflow.reading.sections`), so the English "Why:" does not land in the Spanish "why";
- the **English fields** — from that section, or from the coordinator's translation, which wins;
  an English version without labels is kept whole (``english_text``);
- **no greetings, sign-offs or private remarks**: a labelled text's preamble ("Dear coordinator,
  I am sending this from my personal address…") belongs to no field already; a field, or a free
  text, is cut at a closing line ("Best regards,", "Saludos cordiales", "С уважением", "此致")
  or a "P.S.", and a free text loses a first paragraph that opens with a greeting.

Pure; never raises on odd text. It does not decide what is missing or how anything is shown
(`mailflow.report.view`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from mailflow.reading.sections import find_sections

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
_CLOSINGS = (
    "best regards|kind regards|warm regards|with best regards|with kind regards|regards"
    "|best wishes|all the best|sincerely|yours sincerely|yours faithfully|yours truly"
    "|many thanks|thank you|thanks|cheers"
    "|cordialement|bien cordialement|bien à vous|salutations|sincères salutations"
    "|meilleures salutations|avec mes salutations|merci|merci beaucoup|je vous prie d'agréer.*"
    "|saludos|saludos cordiales|un saludo|un cordial saludo|atentamente|cordialmente"
    "|gracias|muchas gracias|reciban un cordial saludo"
    "|trân trọng|trân trọng cảm ơn|xin trân trọng cảm ơn|xin cảm ơn|cảm ơn|kính thư|thân ái"
    "|مع أطيب التحيات|مع خالص التحية|مع خالص التحيات|مع التحية|مع الشكر|مع الشكر والتقدير"
    "|وتفضلوا بقبول فائق الاحترام|شكرا|شكراً|تحياتي|مع التقدير"
    "|此致|此致敬礼|此致 敬礼|敬礼|谢谢|謝謝|顺祝商祺|順祝商祺|祝好"
    "|с уважением|с наилучшими пожеланиями|всего доброго|всего наилучшего|спасибо|искренне ваш"
)
# A closing line: the phrase, punctuation, and at most a name after it ("Saludos, Ana").
_CLOSING_LINE = re.compile(
    rf"^[\s>*_\-–—]*(?:{_CLOSINGS})[\s,.!:;，。！、]*(?:[^\W\d_][\w.\-]*(?:\s+[\w.\-]+){{0,3}})?"
    r"[\s,.!]*$",
    re.IGNORECASE,
)
_POSTSCRIPT = re.compile(r"^\s*(?:p\.?\s?s\.?|n\.?\s?b\.?)\s*[:\-]", re.IGNORECASE)
_GREETINGS = (
    "dear|hello|hi|good morning|good afternoon|greetings|to whom it may concern"
    "|cher|chère|chers|chères|bonjour|madame|monsieur|mesdames"
    "|estimado|estimada|estimados|estimadas|querido|querida|queridos|hola|buenos días"
    "|buenas tardes|señor|señora"
    "|kính gửi|kính chào|xin chào|chào"
    "|عزيزي|عزيزتي|الزملاء الأعزاء|السلام عليكم|تحية طيبة|مرحبا|السيد|السيدة"
    "|尊敬的|您好|你好|各位"
    "|уважаемый|уважаемая|уважаемые|здравствуйте|добрый день|дорогие|дорогой|дорогая"
)
_GREETING = re.compile(rf"^\s*(?:{_GREETINGS})(?:\b|(?=\W)|$)", re.IGNORECASE)


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


def _closing_cut(text: str) -> str:
    """``text`` up to its first closing line or postscript (which go, with all that follows)."""
    if not text:
        return text
    if len(text) > 60 and "\n" not in text:
        return text.strip()  # one long line is prose, whatever it starts with
    lines = text.split("\n")
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped and (_CLOSING_LINE.match(stripped) or _POSTSCRIPT.match(stripped)):
            return "\n".join(lines[:number]).strip()
    return text.strip()


def _without_greeting(text: str) -> str:
    """A free text without a first paragraph that opens with a greeting (its private remark)."""
    text = text.strip()
    paragraphs = re.split(r"\n\s*\n", text, maxsplit=1)
    if len(paragraphs) == 2 and _GREETING.match(paragraphs[0]):
        return paragraphs[1].strip()
    first, _, rest = text.partition("\n")
    if _GREETING.match(first) and len(first) <= 60 and first.rstrip().endswith((",", ":", "!")):
        return rest.strip()
    return text


def _clean_fields(fields: Mapping[str, str]) -> dict[str, str]:
    cleaned = {}
    for name, value in fields.items():
        value = _closing_cut(value)
        if value:
            cleaned[name] = value
    return cleaned


def _has_prose(fields: Mapping[str, str]) -> bool:
    return any(name in fields for name in PROSE_FIELDS)


def _read(text: str) -> tuple[dict[str, str], str]:
    fields = _clean_fields(find_sections(text)[0]) if text else {}
    free = "" if _has_prose(fields) else _closing_cut(_without_greeting(text))
    return fields, free


def read_content(
    text: str,
    fields: Mapping[str, str],
    *,
    edited: str | None = None,
    translation: str | None = None,
) -> Content:
    """The report's reading of a contribution; ``edited`` (the coordinator's text) replaces
    ``text`` and ``fields``, ``translation`` (the coordinator's English version) wins over the
    member's."""
    original, english = split_english(edited if edited is not None else text)
    if edited is None and not english:
        own = _clean_fields(fields)  # the fields read on arrival hold: no need to read again
        free = "" if _has_prose(own) else _closing_cut(_without_greeting(original))
    else:
        own, free = _read(original)
    english_by = "member" if english else ""
    if translation is not None and translation.strip():
        english, english_by = translation, "coordinator"
    english_fields, english_text = _read(english) if english else ({}, "")
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
