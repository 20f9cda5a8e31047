"""Text of a message -> the fields of a WSIS contribution, its action lines, links and word count.

`extract` is a pure function of a `MessageText` (from `mailflow.reading.mime`): it chooses where the
contribution is (the body, a document attachment after a short cover note, or both), removes quoted
replies, signatures and disclaimers (`mailflow.reading.quotes`), and puts together what the other
stages find in that text: labelled sections (`mailflow.reading.sections`), action lines
(`mailflow.reading.action_lines`), links (`mailflow.reading.links`), the word count
(`mailflow.reading.words`) and the language (`mailflow.reading.language`). It never raises on odd
text. It does not judge the result (`mailflow.reading.validate`) or store anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mailflow.reading import action_lines as lines
from mailflow.reading.language import detect_language
from mailflow.reading.links import find_links
from mailflow.reading.mime import AttachmentText, MessageText
from mailflow.reading.quotes import strip_reply
from mailflow.reading.sections import find_sections
from mailflow.reading.words import COVER_NOTE_WORDS, count_words, visible

__all__ = ["Contribution", "extract"]

WORD_COUNT_METHOD = "word-processor"
DOCUMENT_SUFFIXES = (".docx", ".odt", ".pdf", ".txt", ".html", ".htm")
# Formats members send that mailflow cannot read; worth telling them about.
UNREADABLE_SUFFIXES = (".doc", ".rtf", ".pages", ".wpd", ".wps", ".hwp")


@dataclass(frozen=True)
class Contribution:
    """What was understood from one message."""

    text: str  # the text as counted (reply quotes, signature, disclaimer removed)
    full_text: str  # everything that was read (body + attachment text)
    source: str  # "body", "attachment:<filename>" (+ " (the body has the same text)") or
    # "body+attachment:<filename>"
    fields: Mapping[str, str]  # sections found, keys from wsis.FIELDS
    action_lines: tuple[str, ...]  # sorted by number: ("C3", "C8")
    c7_sublines: tuple[str, ...]  # e.g. ("e-learning", "e-science")
    links: tuple[str, ...]  # http(s) URLs, de-duplicated, in order of first appearance
    word_count: int
    word_count_method: str
    language: str | None  # ISO 639-1 or None
    labelled: bool  # True when labelled sections were found
    unreadable: tuple[str, ...] = field(default=())  # document attachments that could not be read


def _is_document(attachment: AttachmentText) -> bool:
    name = attachment.filename.lower()
    return name.endswith(DOCUMENT_SUFFIXES) or attachment.content_type.lower() in (
        "text/plain",
        "text/html",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    )


def _strip(text: str) -> str:
    return strip_reply(text).text.strip()


def _choose(message: MessageText) -> tuple[str, str]:
    """(counted text, source): the body, a document after a cover note, or both.

    A body that says essentially what a readable document says is the same contribution pasted
    twice: the document is read, once.
    """
    body = _strip(message.body)
    documents = [a for a in message.attachments if a.text.strip() and _is_document(a)]
    if not documents:
        return body, "body"
    document = documents[0]
    attached = _strip(document.text)
    seen_body = visible(body)
    body_is_note = count_words(seen_body) <= COVER_NOTE_WORDS and not find_sections(seen_body)[1]
    if body_is_note:
        return attached, f"attachment:{document.filename}"
    seen_attached = visible(attached)
    if count_words(seen_attached) > COVER_NOTE_WORDS or find_sections(seen_attached)[1]:
        if _same_text(seen_body, seen_attached):
            return attached, f"attachment:{document.filename} (the body has the same text)"
        return f"{body}\n\n{attached}", f"body+attachment:{document.filename}"
    return body, "body"


_WORD = re.compile(r"[^\W_]+")
#: Share of the shorter text's distinct words the longer must hold for the two to be one text.
SAME_TEXT_SHARE = 0.8


def _same_text(first: str, second: str) -> bool:
    """Whether two texts are essentially the same (a greeting or a line more is allowed)."""
    a, b = set(_WORD.findall(first.casefold())), set(_WORD.findall(second.casefold()))
    if not a or not b:
        return False
    return len(a & b) >= SAME_TEXT_SHARE * min(len(a), len(b))


def _unreadable(attachments: Iterable[AttachmentText]) -> tuple[str, ...]:
    return tuple(
        attachment.filename
        for attachment in attachments
        if attachment.problem is not None
        # Attachments skipped at the reading limit are covered by the one `too_large` warning.
        and attachment.problem != "skipped_limit"
        and not attachment.text.strip()
        and (
            attachment.problem != "unsupported_type"
            or attachment.filename.lower().endswith(UNREADABLE_SUFFIXES)
        )
    )


def _language(text: str, fields: Mapping[str, str]) -> str | None:
    """The language of what the member wrote: the prose of the sections when there are any, so
    that template labels in another language (English labels, Vietnamese text) do not decide."""
    prose = "\n".join(
        dict.fromkeys(  # a combined section fills several fields with the same text
            body
            for name, body in fields.items()
            if name not in ("organisation", "country", "action_lines")
        )
    )
    return detect_language(prose) or detect_language(text)


def extract(message: MessageText) -> Contribution:
    """Everything mailflow understands of one message; pure, and never raises on odd text."""
    text, source = _choose(message)
    full_text = "\n\n".join(
        part for part in (message.body, *(a.text for a in message.attachments)) if part.strip()
    )
    seen = visible(text)  # marks that take no room must not hide a label or split a name
    fields, labelled = find_sections(seen)
    if "action_lines" in fields:
        # The member named the lines in their own section: only those count.
        action_lines, sub_lines = lines.scan(fields["action_lines"], section=True)
    else:
        action_lines, sub_lines = lines.scan(seen, section=False)
    extra = [*message.links, *(link for a in message.attachments for link in a.links)]
    return Contribution(
        text=text,
        full_text=full_text,
        source=source,
        fields=fields,
        action_lines=action_lines,
        c7_sublines=sub_lines,
        links=find_links(seen, extra),
        # Section labels are counted: the member's word processor counts them too, and the
        # limit members check against is the number their word processor shows.
        word_count=count_words(seen),
        word_count_method=WORD_COUNT_METHOD,
        language=_language(seen, fields),
        labelled=labelled,
        unreadable=_unreadable(message.attachments),
    )
