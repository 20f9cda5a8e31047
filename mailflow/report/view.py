"""The report's view model: accepted contributions cleaned, structured, ordered and grouped.

`build_view` turns the `ReportEntry` list and the `ReportMeta` into a `View` that every rendering
(`mailflow.report.render` for text and HTML, `mailflow.report.data` for .csv and .json,
`mailflow.report.docx`) reads, so that all of them say the same thing:

- every contribution in one English structure, in the call's order (`LABELS`): organisation,
  country (ISO 3166, English name), contact, action lines with their official English names, then
  the prose fields, each with its English version first (member's or coordinator's) and the
  original beneath with its language named, a field left out marked missing, and a completeness
  line ("no link, no trends");
- contributions grouped by action line, each printed once (numbered 1…N in report order) under its
  lowest-numbered line and referred to by number under the others: references that read the same
  in any mail client, with no in-page anchors;
- trends, obstacles and future actions gathered across contributions, with who said them and
  under which action lines; the overview; the cover note.

Ordering is stable (action line number, organisation, submission id) and every string is cleaned
of what XML and display cannot hold, so the same input gives the same view. This module renders
nothing and reads no ledger; what a contribution's text says is `mailflow.report.content`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from babel import Locale
from babel.dates import format_date

from mailflow.reading.wsis import action_line
from mailflow.report.countries import Country

ACTION_LINE_COUNT = 11
#: What IFLA asked to learn, gathered across contributions: field -> section title.
GATHERED: Mapping[str, str] = {
    "trends": "Trends reported",
    "obstacles": "Obstacles reported",
    "future_actions": "Future actions",
}
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"

_CODE = re.compile(r"C(\d{1,2})")
_RTL_CHAR = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


@dataclass(frozen=True)
class ReportEntry:
    """One accepted contribution (the latest version of a member); its text is untrusted."""

    submission_id: int
    organisation: str  # as the member wrote it, else the roster's
    country: str  # as the member wrote it
    member_name: str
    member_address: str
    language: str | None
    action_lines: tuple[str, ...]
    text: str
    fields: Mapping[str, str]
    links: tuple[str, ...]
    word_count: int
    received_at: datetime
    version: int = 1
    roster_country: str = ""  # the roster's entry, which wins when it names a country
    edited: str | None = None  # the coordinator's text, which replaces the member's for IFLA
    translation: str | None = None  # the coordinator's English version
    member_english: str | None = None  # an English version the member sent as an attachment


@dataclass(frozen=True)
class Replaced:
    """The report a resend replaces."""

    subject: str
    sent_at: datetime
    changed: int  # contributions changed since


@dataclass(frozen=True)
class ReportMeta:
    """The campaign facts the report states; ``compiled_at`` is passed in for reproducibility."""

    association: str
    campaign: str
    deadline: datetime
    word_limit: int
    recipient: str
    compiled_at: datetime
    summary: str = ""
    coordinator: str = ""  # "Name <address>", signs the cover note
    signature: str = ""  # closing lines of the cover note
    roster_size: int = 0
    silent_members: tuple[str, ...] = ()  # active members without an accepted contribution
    replaces: Replaced | None = None
    csv_delimiter: str = ","


@dataclass(frozen=True)
class ActionLine:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class Link:
    url: str
    clickable: bool  # only http(s) URLs become anchors; anything else is shown as text


@dataclass(slots=True)
class Field:
    """One prose field of a contribution: English first, the original beneath, or missing."""

    key: str
    label: str
    english: tuple[str, ...]  # paragraphs
    original: tuple[str, ...]
    language: str  # the original's language in English ("Spanish"), "" when it is English
    rtl: bool  # the original reads right to left

    @property
    def missing(self) -> bool:
        return not self.english and not self.original


@dataclass(slots=True)
class Item:
    """A contribution cleaned and structured for display."""

    number: int  # 1…N in report order
    id: int  # the submission's id in the ledger
    version: int
    organisation: str
    organisation_rtl: bool
    country: Country | None
    country_written: str
    contact: str
    member_name: str
    member_address: str
    language: str
    language_name: str
    codes: tuple[str, ...]
    lines: tuple[tuple[str, str], ...]  # (code, English name)
    home: str | None
    fields: tuple[Field, ...]  # the prose fields, in the call's order
    free_english: tuple[str, ...]  # an English version without labels
    free_original: tuple[str, ...]  # a text without labelled fields
    free_rtl: bool
    english_by: str  # "member", "coordinator" or ""
    edited: bool
    links: tuple[Link, ...]
    word_count: int
    received_at: datetime
    received: str
    completeness: str  # "complete", or "no link, no trends"

    @property
    def country_name(self) -> str:
        return self.country.name if self.country else self.country_written

    @property
    def codes_label(self) -> str:
        return ", ".join(self.codes) or "none"

    @property
    def note(self) -> str:
        """The contribution's language and where its English comes from, in a few words."""
        if not self.language_name or self.language.startswith("en"):
            note = "English"
        elif self.english_by:
            note = f"{self.language_name}; English version by the {self.english_by}"
        else:
            note = f"{self.language_name}; no English version"
        return note + ("; edited by the coordinator" if self.edited else "")

    @property
    def who(self) -> str:
        """ "Organisation (Country)", for what the gathered sections quote."""
        name = isolate(self.organisation) or "Organisation not given"
        return f"{name} ({isolate(self.country_name)})" if self.country_name else name

    @property
    def heading(self) -> str:
        """ "Organisation — Country", for headings and references."""
        name = isolate(self.organisation) or "Organisation not given"
        return f"{name} — {isolate(self.country_name)}" if self.country_name else name


@dataclass(slots=True)
class Placement:
    item: Item
    full: bool  # False: a reference to the item printed under its home action line


@dataclass(frozen=True)
class Group:
    code: str | None
    name: str
    placements: tuple[Placement, ...]

    @property
    def title(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name


@dataclass(slots=True)
class Said:
    """One thing a contribution said, gathered: its text and who said it, under which lines."""

    item: Item
    field: Field


@dataclass(frozen=True)
class Gathered:
    key: str
    title: str
    said: tuple[Said, ...]


@dataclass(frozen=True)
class Cover:
    """The cover note: a greeting, what is enclosed, a closing and the coordinator's signature."""

    greeting: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: tuple[str, ...]


@dataclass(frozen=True)
class View:
    meta: ReportMeta
    association: str
    campaign: str
    recipient: str
    title: str
    deadline: str
    compiled: str
    contributions: int
    members: int
    words: int
    lines: tuple[ActionLine, ...]
    countries: tuple[tuple[str, int], ...]  # English name, contributions; sorted by name
    silent_members: tuple[str, ...]
    summary: tuple[str, ...]
    groups: tuple[Group, ...]
    gathered: tuple[Gathered, ...]
    items: tuple[Item, ...]  # every item once, in report order
    cover: Cover

    @property
    def replaced_on(self) -> str:
        """The date of the report this one replaces ("1 October 2025"), or ""."""
        replaces = self.meta.replaces
        if replaces is None:
            return ""
        return format_date(aware(replaces.sent_at).date(), format="d MMMM y", locale="en")

    @property
    def cover_lines(self) -> tuple[str, ...]:
        """The cover note as lines of text, paragraphs apart."""
        lines = [self.cover.greeting, ""]
        for paragraph in self.cover.paragraphs:
            lines += [paragraph, ""]
        return (*lines, self.cover.closing, *self.cover.signature)


def paragraphs(text: str) -> tuple[str, ...]:
    """The text's non-empty lines; each becomes a paragraph in HTML and .docx."""
    if "\n" not in text:
        return (text,) if text else ()
    return tuple(line.strip() for line in text.split("\n") if line.strip())


def is_rtl(text: str) -> bool:
    """True when the first strongly directional character is right-to-left (Arabic, Hebrew…)."""
    if text.isascii():
        return False  # ASCII holds no right-to-left character (and most fields are ASCII)
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def isolate(text: str) -> str:
    """``text`` between U+2068 and U+2069 when it holds right-to-left letters, so that a name in
    a left-to-right line ("مكتبة الإسكندرية (#7)") keeps its punctuation and numbers in place."""
    if _RTL_CHAR.search(text) is None:
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


@functools.lru_cache(maxsize=256)
def action_line_number(raw: str) -> int | None:
    """The number of an action line code as a member wrote it (" c3"), None if it is none."""
    return code_number(raw.strip().upper())


def code_number(code: str) -> int | None:
    match = _CODE.fullmatch(code)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= ACTION_LINE_COUNT else None


def aware(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 to the second: what a spreadsheet and a reader at IFLA both read."""
    return aware(moment).replace(microsecond=0).isoformat()


@functools.lru_cache(maxsize=32)
def action_line_name(code: str) -> str:
    return action_line(code).name("en")


@functools.lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """The English name of a language code ("es" -> "Spanish"); the code when Babel has none."""
    base = code.replace("-", "_").split("_")[0].lower()
    return str(Locale.parse("en").languages.get(base, code)) if base else ""
