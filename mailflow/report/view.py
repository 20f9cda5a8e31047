"""The report's view model: accepted contributions cleaned, ordered and grouped for display.

`build_view` turns the `ReportEntry` list and the `ReportMeta` into a `View` that every rendering
(`mailflow.report.render` for text and HTML, `mailflow.report.data` for .csv and .json,
`mailflow.report.docx`) reads. Contributions are grouped by action line; a contribution naming
several lines is placed in full once, under its lowest-numbered line, and cross-referenced under the
others. Ordering is stable (action line number, organisation, submission id) and every string is
cleaned of what XML and display cannot hold, so the same input gives the same view. This module
renders nothing and reads no ledger.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_date

from mailflow.reading.wsis import action_line
from mailflow.untrusted import clean_line, clean_text

#: The order in which a contribution's fields are written to the JSON; others follow sorted.
FIELD_ORDER: tuple[str, ...] = (
    "organisation",
    "country",
    "why",
    "outputs",
    "achievements",
    "trends",
    "obstacles",
    "future_actions",
)
ACTION_LINE_COUNT = 11

_CODE = re.compile(r"C(\d{1,2})")


@dataclass(frozen=True)
class ReportEntry:
    """One accepted contribution (the latest version of a member); its text is untrusted."""

    submission_id: int
    organisation: str
    country: str
    member_name: str
    member_address: str
    language: str | None
    action_lines: tuple[str, ...]
    text: str
    fields: Mapping[str, str]
    links: tuple[str, ...]
    word_count: int
    received_at: datetime


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


@dataclass(frozen=True)
class ActionLine:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class Link:
    url: str
    clickable: bool  # only http(s) URLs become anchors; anything else is shown as text


@dataclass(frozen=True)
class Item:
    """A contribution cleaned for display: safe text, codes in order, its home action line."""

    id: int
    anchor: str
    organisation: str
    country: str
    member_name: str
    member_address: str
    language: str
    codes: tuple[str, ...]
    codes_label: str  # "C3, C8", or "none"
    home: str | None
    paragraphs: tuple[str, ...]
    text: str
    fields: tuple[tuple[str, str], ...]
    links: tuple[Link, ...]
    word_count: int
    received_at: datetime
    received: str
    rtl: bool


@dataclass(frozen=True)
class Placement:
    item: Item
    full: bool  # False: a cross-reference to the item's home action line


@dataclass(frozen=True)
class Group:
    code: str | None
    name: str
    anchor: str
    placements: tuple[Placement, ...]


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
    countries: tuple[tuple[str, int], ...]
    summary: tuple[str, ...]
    groups: tuple[Group, ...]
    items: tuple[Item, ...]  # every item once, in report order


def paragraphs(text: str) -> tuple[str, ...]:
    """The text's non-empty lines; each becomes a paragraph in HTML and .docx."""
    return tuple(line.strip() for line in text.split("\n") if line.strip())


def is_rtl(text: str) -> bool:
    """True when the first strongly directional character is right-to-left (Arabic, Hebrew…)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


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
    return aware(moment).isoformat()


def _action_line_name(code: str) -> str:
    return action_line(code).name("en")


def _item(entry: ReportEntry, warnings: list[str], word_limit: int) -> Item:
    parsed = {code: action_line_number(code) for code in entry.action_lines}
    numbers = sorted({number for number in parsed.values() if number is not None})
    unknown = sorted(clean_line(code) for code, number in parsed.items() if number is None)
    organisation = clean_line(entry.organisation)
    label = f"#{entry.submission_id} ({organisation or 'no organisation'})"
    if unknown:
        warnings.append(f"contribution {label}: unknown action lines ignored: {', '.join(unknown)}")
    if not numbers:
        warnings.append(f"contribution {label} names no action line")
    if entry.word_count > word_limit:
        warnings.append(
            f"contribution {label} has {entry.word_count} words; the limit is {word_limit}"
        )
    codes = tuple(f"C{n}" for n in numbers)
    text = clean_text(entry.text)
    links: list[Link] = []
    for raw in dict.fromkeys(clean_line(link) for link in entry.links):
        if raw:
            links.append(Link(raw, raw.lower().startswith(("http://", "https://"))))
    extra = sorted(set(entry.fields) - set(FIELD_ORDER))
    fields = tuple(
        (name, clean_text(entry.fields[name]))
        for name in (*FIELD_ORDER, *extra)
        if name in entry.fields
    )
    received_at = aware(entry.received_at)
    return Item(
        id=entry.submission_id,
        anchor=f"contribution-{entry.submission_id}",
        organisation=organisation,
        country=clean_line(entry.country),
        member_name=clean_line(entry.member_name),
        member_address=clean_line(entry.member_address),
        language=clean_line(entry.language or ""),
        codes=codes,
        codes_label=", ".join(codes) or "none",
        home=codes[0] if codes else None,
        paragraphs=paragraphs(text),
        text=text,
        fields=fields,
        links=tuple(links),
        word_count=entry.word_count,
        received_at=received_at,
        received=received_at.date().isoformat(),
        rtl=is_rtl(text),
    )


def _org_key(item: Item) -> tuple[str, str, int]:
    return (item.organisation.casefold(), item.organisation, item.id)


def _home_key(item: Item) -> tuple[int, str, str, int]:
    number = code_number(item.home) if item.home else None
    return (number or ACTION_LINE_COUNT + 1, *_org_key(item))


def build_view(entries: Sequence[ReportEntry], meta: ReportMeta, warnings: list[str]) -> View:
    items = sorted((_item(entry, warnings, meta.word_limit) for entry in entries), key=_home_key)
    by_code: dict[str | None, list[Placement]] = {}
    for item in sorted(items, key=_org_key):
        for code in item.codes or (None,):
            by_code.setdefault(code, []).append(Placement(item, full=code == item.home))
    groups: list[Group] = []
    for number in range(1, ACTION_LINE_COUNT + 1):
        code = f"C{number}"
        if code in by_code:
            name = _action_line_name(code)
            groups.append(Group(code, name, f"action-line-{code}", tuple(by_code[code])))
    if None in by_code:
        groups.append(
            Group(None, "Without an action line", "action-line-none", tuple(by_code[None]))
        )
    countries = Counter(item.country or "(not given)" for item in items)
    summary = clean_text(meta.summary)
    association = clean_line(meta.association)
    campaign = clean_line(meta.campaign)
    return View(
        meta=meta,
        association=association,
        campaign=campaign,
        recipient=clean_line(meta.recipient),
        title=f"{campaign} contributions from {association}",
        deadline=format_date(aware(meta.deadline).date(), format="long", locale="en"),
        compiled=aware(meta.compiled_at).strftime("%Y-%m-%d %H:%M %z"),
        contributions=len(items),
        members=len({item.member_address.casefold() for item in items}),
        words=sum(item.word_count for item in items),
        lines=tuple(
            ActionLine(g.code, g.name, len(g.placements)) for g in groups if g.code is not None
        ),
        countries=tuple(sorted(countries.items(), key=lambda pair: (pair[0].casefold(), pair[0]))),
        summary=paragraphs(summary),
        groups=tuple(groups),
        items=tuple(items),
    )
