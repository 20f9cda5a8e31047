"""Build the report's `View` (`mailflow.report.view`) from the entries and the campaign facts.

`build_view` cleans and structures each contribution (`_item`), orders them (home action line,
organisation, submission id) and numbers them 1…N, places each under its action lines (in full
once, as a reference elsewhere), gathers trends, obstacles and future actions, counts the overview
and writes the cover note. It collects what the coordinator should know before sending (unknown
action lines, a contribution over the word limit, a country it could not recognise) in
``warnings``. Pure: the same input gives the same view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from email.utils import parseaddr

from babel.dates import format_date

from mailflow.notices import Notice
from mailflow.report.content import LABELS, PROSE_FIELDS, Content, read_content
from mailflow.report.countries import find_country
from mailflow.report.view import (
    ACTION_LINE_COUNT,
    GATHERED,
    ActionLine,
    Cover,
    Field,
    Gathered,
    Group,
    Item,
    Link,
    Placement,
    ReportEntry,
    ReportMeta,
    Said,
    View,
    action_line_name,
    action_line_number,
    aware,
    code_number,
    is_rtl,
    isolate,
    language_name,
    paragraphs,
)
from mailflow.untrusted import clean_line, clean_text

__all__ = ["build_view"]

_ENGLISH = ("en", "")


def _field(key: str, content: Content, language: str) -> Field:
    english = content.english_fields.get(key, "")
    original = content.fields.get(key, "")
    if not english and not original:
        return Field(key, LABELS[key], (), (), "", False)
    english = clean_text(english) if english else ""
    original = clean_text(original) if original else ""
    if language in _ENGLISH and not english:
        english, original = original, ""  # an English original is its own English version
    return Field(
        key=key,
        label=LABELS[key],
        english=paragraphs(english),
        original=paragraphs(original),
        language="" if language in _ENGLISH else language_name(language),
        rtl=is_rtl(original),
    )


def _completeness(
    item_fields: Sequence[Field], links: Sequence[Link], english: str, **given: bool
) -> str:
    gaps = [f"no {name}" for name, present in given.items() if not present]
    gaps += [
        f"no {field.label.lower()}"
        for field in item_fields
        if field.missing and not (field.key == "outputs" and links)  # a link is an output
    ]
    if not links:
        gaps.append("no link")
    if english:
        gaps.append(english)
    return ", ".join(gaps) or "complete"


def _english_gaps(
    language: str, fields: Sequence[Field], free_original: str, free_english: str
) -> str:
    """ "no English version" (of some fields, or of any) for a contribution not in English."""
    if language in _ENGLISH:
        return ""
    if free_original or free_english:
        return "" if free_english else "no English version"
    given = [field for field in fields if not field.missing]
    untranslated = [field.label.lower() for field in given if not field.english]
    if not untranslated:
        return ""
    if len(untranslated) == len(given):
        return "no English version"
    return "no English version of " + ", ".join(untranslated)


def _item(entry: ReportEntry, warnings: list[str], word_limit: int) -> Item:
    parsed = {code: action_line_number(code) for code in entry.action_lines}
    numbers = sorted({number for number in parsed.values() if number is not None})
    unknown = sorted(clean_line(code) for code, number in parsed.items() if number is None)
    content = read_content(
        entry.text,
        entry.fields,
        edited=entry.edited,
        translation=entry.translation,
        member_english=entry.member_english,
    )
    organisation = clean_line(content.fields.get("organisation") or entry.organisation)
    written = clean_line(content.fields.get("country") or entry.country)
    country = find_country(clean_line(entry.roster_country), written)
    label = f"#{entry.submission_id} ({organisation or 'no organisation'})"
    if unknown:
        warnings.append(
            Notice(
                f"contribution {label}: unknown action lines ignored: {', '.join(unknown)}",
                "report_unknown_action_lines",
                id=entry.submission_id,
                organisation=organisation,
                codes=", ".join(unknown),
            )
        )
    if not numbers:
        warnings.append(
            Notice(
                f"contribution {label} names no action line",
                "report_no_action_line",
                id=entry.submission_id,
                organisation=organisation,
            )
        )
    if entry.word_count > word_limit:
        warnings.append(
            Notice(
                f"contribution {label} has {entry.word_count} words; the limit is {word_limit}",
                "report_over_limit",
                id=entry.submission_id,
                organisation=organisation,
                words=entry.word_count,
                limit=word_limit,
            )
        )
    if country is None and (written or entry.roster_country):
        warnings.append(
            Notice(
                f"contribution {label}: country not recognised: {written}",
                "report_unknown_country",
                id=entry.submission_id,
                organisation=organisation,
                country=written,
            )
        )
    codes = tuple(f"C{n}" for n in numbers)
    language = clean_line(entry.language or "")
    links: list[Link] = []
    for raw in dict.fromkeys(clean_line(link) for link in entry.links):
        if raw:
            links.append(Link(raw, raw.lower().startswith(("http://", "https://"))))
    fields = tuple(_field(key, content, language) for key in PROSE_FIELDS)
    free_original = clean_text(content.free_text)
    free_english = clean_text(content.english_text)
    if language in _ENGLISH and not free_english:
        free_english, free_original = free_original, ""
    if free_original or free_english:
        # A text without labels answers the call as a whole: only its missing parts are named.
        fields = tuple(replace(field, english=(), original=()) for field in fields)
    received_at = aware(entry.received_at)
    name, address = clean_line(entry.member_name), clean_line(entry.member_address)
    return Item(
        number=0,
        id=entry.submission_id,
        version=entry.version,
        organisation=organisation,
        organisation_rtl=is_rtl(organisation),
        country=country,
        country_written=written,
        contact=f"{isolate(name)} <{address}>" if name else address,
        member_name=name,
        member_address=address,
        language=language,
        language_name=language_name(language) if language else "",
        codes=codes,
        lines=tuple((code, action_line_name(code)) for code in codes),
        home=codes[0] if codes else None,
        fields=fields,
        free_english=paragraphs(free_english),
        free_original=paragraphs(free_original),
        free_rtl=is_rtl(free_original),
        english_by=content.english_by,
        edited=entry.edited is not None,
        links=tuple(links),
        word_count=entry.word_count,
        received_at=received_at,
        received=received_at.date().isoformat(),
        completeness=_completeness(
            () if free_original or free_english else fields,
            links,
            _english_gaps(language, fields, free_original, free_english),
            organisation=bool(organisation),
            country=bool(written or country),
        ),
    )


def _org_key(item: Item) -> tuple[str, str, int]:
    return (item.organisation.casefold(), item.organisation, item.id)


def _home_key(item: Item) -> tuple[int, str, str, int]:
    number = code_number(item.home) if item.home else None
    return (number or ACTION_LINE_COUNT + 1, *_org_key(item))


def _cover(meta: ReportMeta, view_counts: dict[str, int], codes: Sequence[str]) -> Cover:
    association = clean_line(meta.association)
    campaign = clean_line(meta.campaign)
    contributions, members = view_counts["contributions"], view_counts["members"]
    countries = view_counts["countries"]
    paragraphs_: list[str] = []
    if meta.replaces is not None:
        sent = format_date(aware(meta.replaces.sent_at).date(), format="d MMMM y", locale="en")
        changed = meta.replaces.changed
        paragraphs_.append(
            f"This report replaces the one we sent on {sent} "
            f"(“{clean_line(meta.replaces.subject)}”): "
            + (
                f"{changed} contribution{'s have' if changed != 1 else ' has'} changed since."
                if changed
                else "no contribution has changed since."
            )
        )
    if contributions:
        lines = ", ".join(codes)
        paragraphs_.append(
            f"Please find below the contributions of {association}’s members to the {campaign} "
            f"report on the implementation of the WSIS outcomes: {contributions} "
            f"contribution{'s' if contributions != 1 else ''} from {members} "
            f"member{'s' if members != 1 else ''} in {countries} "
            f"countr{'ies' if countries != 1 else 'y'}, under action lines {lines}."
        )
        paragraphs_.append(
            "Each contribution is given in English in the order of the call; where a member "
            "wrote in another language, the original text follows the English version, or "
            "stands alone where no English version was given. Trends, obstacles and future "
            "actions are gathered at the end. The same report is attached as a Word document "
            "(report.docx), and the contributions as data (contributions.csv, "
            "contributions.json)."
        )
    else:
        paragraphs_.append(
            f"None of {association}’s members sent a contribution to the {campaign} report "
            "that we could include."
        )
    name, address = parseaddr(meta.coordinator)
    signature = [clean_line(name or meta.coordinator)] if (name or meta.coordinator) else []
    signature += [clean_line(line) for line in clean_text(meta.signature).split("\n") if line]
    if address and address not in " ".join(signature):
        signature.append(address)
    signature.append(association)
    return Cover(
        greeting="Dear colleagues,",
        paragraphs=tuple(paragraphs_),
        closing="Kind regards,",
        signature=tuple(dict.fromkeys(line for line in signature if line)),
    )


def build_view(entries: Sequence[ReportEntry], meta: ReportMeta, warnings: list[str]) -> View:
    """The report's view of ``entries``; what the coordinator should know goes to ``warnings``."""
    built = sorted((_item(entry, warnings, meta.word_limit) for entry in entries), key=_home_key)
    for number, item in enumerate(built, 1):
        item.number = number
    items = built
    by_code: dict[str | None, list[Placement]] = {}
    for item in items:
        for code in item.codes or (None,):
            by_code.setdefault(code, []).append(Placement(item, full=code == item.home))
    groups: list[Group] = []
    for number in range(1, ACTION_LINE_COUNT + 1):
        code = f"C{number}"
        if code in by_code:
            groups.append(Group(code, action_line_name(code), tuple(by_code[code])))
    if None in by_code:
        groups.append(Group(None, "Without an action line", tuple(by_code[None])))
    gathered = tuple(
        Gathered(
            key,
            title,
            tuple(
                Said(item, field)
                for item in items
                for field in item.fields
                if field.key == key and not field.missing
            ),
        )
        for key, title in GATHERED.items()
    )
    countries = Counter(item.country_name or "Not given" for item in items)
    association = clean_line(meta.association)
    campaign = clean_line(meta.campaign)
    lines = tuple(
        ActionLine(g.code, g.name, len(g.placements)) for g in groups if g.code is not None
    )
    members = len({item.member_address.casefold() for item in items})
    counts = {
        "contributions": len(items),
        "members": members,
        "countries": len({item.country_name for item in items if item.country_name}),
    }
    return View(
        meta=meta,
        association=association,
        campaign=campaign,
        recipient=clean_line(meta.recipient),
        title=f"{campaign}: contributions from {association}",
        deadline=format_date(aware(meta.deadline).date(), format="d MMMM y", locale="en"),
        compiled=aware(meta.compiled_at).strftime("%Y-%m-%d %H:%M %z"),
        contributions=len(items),
        members=members,
        words=sum(item.word_count for item in items),
        lines=lines,
        countries=tuple(sorted(countries.items(), key=lambda pair: (pair[0].casefold(), pair[0]))),
        silent_members=tuple(clean_line(name) for name in meta.silent_members),
        summary=paragraphs(clean_text(meta.summary)),
        groups=tuple(groups),
        gathered=gathered,
        items=tuple(items),
        cover=_cover(meta, counts, [line.code for line in lines]),
    )
