"""Compile the accepted contributions of a campaign into the one report mailflow sends to IFLA.

`compile_report` is pure: it takes the accepted contributions (`ReportEntry`, the latest version
of each member) and the campaign facts (`ReportMeta`) and returns a `CompiledReport` — a subject,
a text and an HTML body rendered from the Jinja2 templates in ``templates/report/``, and three
attachments: ``report.docx``, ``contributions.csv`` and ``contributions.json``. Contributions are
grouped by action line; a contribution naming several lines is printed in full once, under its
lowest-numbered line, and cross-referenced under the others, so a reader at IFLA never reads (or
counts) the same text twice yet finds it under every line it names. The output is byte-identical
for the same input: stable ordering (action line number, organisation, submission id),
timestamps taken from ``ReportMeta.compiled_at`` only, and MIME boundaries derived from the
content. `build_report_mail` wraps a compiled report in a ``multipart/mixed`` message. This
module does not write the .docx itself (python-docx building and the reproducible zip are
`mailflow.report.docx`), does not query the ledger (the caller passes the entries), does not send
anything (that is the outbox) and does not record the report's state.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from json.encoder import encode_basestring as _json_string
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date

from mailflow.answering.i18n import templates_dir
from mailflow.errors import MailflowError
from mailflow.reading.contribution import count_words
from mailflow.reading.wsis import action_line
from mailflow.report.docx import build_docx

__all__ = [
    "CSV_COLUMNS",
    "CompiledReport",
    "ReportEntry",
    "ReportMeta",
    "build_report_mail",
    "collector_paused",
    "compile_report",
]

DOCX_NAME = "report.docx"
CSV_NAME = "contributions.csv"
JSON_NAME = "contributions.json"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: Columns of ``contributions.csv``, in order (keys may be added, never renamed).
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "organisation",
    "country",
    "member",
    "member_name",
    "language",
    "action_lines",
    "word_count",
    "links",
    "received_at",
    "text",
)
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

# Characters XML 1.0 (hence .docx) cannot hold, plus other C0/C1 controls and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidi embeddings, overrides and isolates: in a one-line field they only serve to spoof layout.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Every character `_clean_text` replaces or removes (the _CONTROL set, CR, tab, U+2028/9): text
# without any, which is most text, only needs normalising and stripping.
_UNCLEAN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_CODE = re.compile(r"C(\d{1,2})")
# A cell a spreadsheet would read as a formula (OWASP's list, tab and carriage return included).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
class CompiledReport:
    """The rendered report: subject, bodies, attachments, and what the coordinator should know."""

    subject: str
    text: str
    html: str
    attachments: tuple[tuple[str, str, bytes], ...]
    warnings: tuple[str, ...] = ()

    def files(self) -> list[tuple[str, bytes]]:
        """Every file of the report as ``(name, bytes)``, in the order `write` writes them."""
        bodies = [("report.txt", self.text.encode()), ("report.html", self.html.encode())]
        return bodies + [(name, data) for name, _mime, data in self.attachments]

    def write(self, outdir: Path) -> list[Path]:
        """Write the bodies and attachments into ``outdir`` (created if needed); return the paths.

        Each file is written to a temporary name and renamed, so a reader never sees half a file.
        """
        paths: list[Path] = []
        try:
            outdir.mkdir(parents=True, exist_ok=True)
            for name, data in self.files():
                path = outdir / name
                partial = outdir / f".{name}.partial"
                partial.write_bytes(data)
                partial.replace(path)
                paths.append(path)
        except OSError as exc:
            raise MailflowError(f"cannot write the report to {outdir}: {exc.strerror}") from exc
        return paths


# --------------------------------------------------------------------------- the view model


@dataclass(frozen=True)
class _ActionLine:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class _Link:
    url: str
    clickable: bool  # only http(s) URLs become anchors; anything else is shown as text


@dataclass(frozen=True)
class _Item:
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
    links: tuple[_Link, ...]
    word_count: int
    received_at: datetime
    received: str
    rtl: bool


@dataclass(frozen=True)
class _Placement:
    item: _Item
    full: bool  # False: a cross-reference to the item's home action line


@dataclass(frozen=True)
class _Group:
    code: str | None
    name: str
    anchor: str
    placements: tuple[_Placement, ...]


@dataclass(frozen=True)
class _View:
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
    lines: tuple[_ActionLine, ...]
    countries: tuple[tuple[str, int], ...]
    summary: tuple[str, ...]
    groups: tuple[_Group, ...]
    items: tuple[_Item, ...]  # every item once, in report order


def _clean_text(value: str) -> str:
    """Unicode NFC, ``\\n`` line ends, no control characters, tabs as spaces, stripped."""
    if _UNCLEAN.search(value) is not None:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
        value = _CONTROL.sub("", value.replace("\u2029", "\n").replace("\t", " "))
    return unicodedata.normalize("NFC", value).strip()


def _clean_line(value: str) -> str:
    """A one-line field: cleaned, bidi overrides removed, whitespace runs made single spaces."""
    return " ".join(_BIDI_CONTROL.sub("", _clean_text(value)).split())


def _paragraphs(text: str) -> tuple[str, ...]:
    """The text's non-empty lines; each becomes a paragraph in HTML and .docx."""
    return tuple(line.strip() for line in text.split("\n") if line.strip())


def _is_rtl(text: str) -> bool:
    """True when the first strongly directional character is right-to-left (Arabic, Hebrew…)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


@functools.lru_cache(maxsize=256)
def _action_line_number(raw: str) -> int | None:
    """The number of an action line code as a member wrote it (" c3"), None if it is none."""
    return _code_number(raw.strip().upper())


def _code_number(code: str) -> int | None:
    match = _CODE.fullmatch(code)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= ACTION_LINE_COUNT else None


def _aware(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return _aware(moment).isoformat()


def _action_line_name(code: str) -> str:
    return action_line(code).name("en")


def _item(entry: ReportEntry, warnings: list[str], word_limit: int) -> _Item:
    parsed = {code: _action_line_number(code) for code in entry.action_lines}
    numbers = sorted({number for number in parsed.values() if number is not None})
    unknown = sorted(_clean_line(code) for code, number in parsed.items() if number is None)
    organisation = _clean_line(entry.organisation)
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
    text = _clean_text(entry.text)
    links: list[_Link] = []
    for raw in dict.fromkeys(_clean_line(link) for link in entry.links):
        if raw:
            links.append(_Link(raw, raw.lower().startswith(("http://", "https://"))))
    extra = sorted(set(entry.fields) - set(FIELD_ORDER))
    fields = tuple(
        (name, _clean_text(entry.fields[name]))
        for name in (*FIELD_ORDER, *extra)
        if name in entry.fields
    )
    received_at = _aware(entry.received_at)
    return _Item(
        id=entry.submission_id,
        anchor=f"contribution-{entry.submission_id}",
        organisation=organisation,
        country=_clean_line(entry.country),
        member_name=_clean_line(entry.member_name),
        member_address=_clean_line(entry.member_address),
        language=_clean_line(entry.language or ""),
        codes=codes,
        codes_label=", ".join(codes) or "none",
        home=codes[0] if codes else None,
        paragraphs=_paragraphs(text),
        text=text,
        fields=fields,
        links=tuple(links),
        word_count=entry.word_count,
        received_at=received_at,
        received=received_at.date().isoformat(),
        rtl=_is_rtl(text),
    )


def _org_key(item: _Item) -> tuple[str, str, int]:
    return (item.organisation.casefold(), item.organisation, item.id)


def _home_key(item: _Item) -> tuple[int, str, str, int]:
    number = _code_number(item.home) if item.home else None
    return (number or ACTION_LINE_COUNT + 1, *_org_key(item))


def _view(entries: Sequence[ReportEntry], meta: ReportMeta, warnings: list[str]) -> _View:
    items = sorted((_item(entry, warnings, meta.word_limit) for entry in entries), key=_home_key)
    by_code: dict[str | None, list[_Placement]] = {}
    for item in sorted(items, key=_org_key):
        for code in item.codes or (None,):
            by_code.setdefault(code, []).append(_Placement(item, full=code == item.home))
    groups: list[_Group] = []
    for number in range(1, ACTION_LINE_COUNT + 1):
        code = f"C{number}"
        if code in by_code:
            name = _action_line_name(code)
            groups.append(_Group(code, name, f"action-line-{code}", tuple(by_code[code])))
    if None in by_code:
        groups.append(
            _Group(None, "Without an action line", "action-line-none", tuple(by_code[None]))
        )
    countries = Counter(item.country or "(not given)" for item in items)
    summary = _clean_text(meta.summary)
    association = _clean_line(meta.association)
    campaign = _clean_line(meta.campaign)
    return _View(
        meta=meta,
        association=association,
        campaign=campaign,
        recipient=_clean_line(meta.recipient),
        title=f"{campaign} contributions from {association}",
        deadline=format_date(_aware(meta.deadline).date(), format="long", locale="en"),
        compiled=_aware(meta.compiled_at).strftime("%Y-%m-%d %H:%M %z"),
        contributions=len(items),
        members=len({item.member_address.casefold() for item in items}),
        words=sum(item.word_count for item in items),
        lines=tuple(
            _ActionLine(g.code, g.name, len(g.placements)) for g in groups if g.code is not None
        ),
        countries=tuple(sorted(countries.items(), key=lambda pair: (pair[0].casefold(), pair[0]))),
        summary=_paragraphs(summary),
        groups=tuple(groups),
        items=tuple(items),
    )


# --------------------------------------------------------------------------- text and HTML


@functools.cache
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, view: _View) -> str:
    try:
        template = _environment(templates_dir() / "report").get_template(name)
    except jinja2.TemplateNotFound as exc:
        missing = templates_dir() / "report" / name
        raise MailflowError(f"report template missing: {missing}") from exc
    return template.render(view=view)


# --------------------------------------------------------------------------- CSV and JSON


def _csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _csv(items: Iterable[_Item]) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs read Vietnamese, Arabic and Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # One list per row, in CSV_COLUMNS order (test_csv_leaves_ordinary_cells_alone checks it).
    writer.writerows(
        [
            item.id,
            _csv_cell(item.organisation),
            _csv_cell(item.country),
            _csv_cell(item.member_address),
            _csv_cell(item.member_name),
            _csv_cell(item.language),
            ";".join(item.codes),
            item.word_count,
            _csv_cell(" ".join(link.url for link in item.links)),
            item.received_at.isoformat(),
            _csv_cell(item.text),
        ]
        for item in items
    )
    return buffer.getvalue().encode("utf-8-sig")


def _json(view: _View) -> bytes:
    meta = view.meta
    document: dict[str, Any] = {
        "association": view.association,
        "campaign": view.campaign,
        "deadline": _iso(meta.deadline),
        "word_limit": meta.word_limit,
        "recipient": view.recipient,
        "compiled_at": _iso(meta.compiled_at),
        "summary": _clean_text(meta.summary),
        "overview": {
            "contributions": view.contributions,
            "members": view.members,
            "action_lines": {line.code: line.count for line in view.lines},
            "countries": dict(view.countries),
        },
        "contributions": [],  # written by _json_contribution, below
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if view.items:
        empty = "[]\n}"
        if not text.endswith(empty):
            raise AssertionError("contributions must be the JSON document's last key")
        contributions = ",\n".join(map(_json_contribution, view.items))
        text = f"{text[: -len(empty)]}[\n{contributions}\n  ]\n}}"
    return (text + "\n").encode()


def _json_list(values: Iterable[str], indent: str) -> str:
    inner = indent + "  "
    text = f",\n{inner}".join(map(_json_string, values))
    return f"[\n{inner}{text}\n{indent}]" if text else "[]"


def _json_contribution(item: _Item) -> str:
    """One contribution as ``json.dumps(document, ensure_ascii=False, indent=2)`` writes it in
    the list of contributions, but about three times faster: the standard library's encoder
    does not indent in C, and its Python one cost a large report a fifth of its time. Strings
    go through the standard library's C escaper; a test compares the output with json.dumps."""
    pad = " " * 6
    fields = f",\n{pad}  ".join(
        f"{_json_string(name)}: {_json_string(value)}" for name, value in item.fields
    )
    fields = f"{{\n{pad}  {fields}\n{pad}}}" if fields else "{}"
    return (
        "    {\n"
        f'{pad}"id": {int(item.id)},\n'
        f'{pad}"organisation": {_json_string(item.organisation)},\n'
        f'{pad}"country": {_json_string(item.country)},\n'
        f'{pad}"member": {_json_string(item.member_address)},\n'
        f'{pad}"member_name": {_json_string(item.member_name)},\n'
        f'{pad}"language": {_json_string(item.language) if item.language else "null"},\n'
        f'{pad}"action_lines": {_json_list(item.codes, pad)},\n'
        f'{pad}"word_count": {int(item.word_count)},\n'
        f'{pad}"links": {_json_list((link.url for link in item.links), pad)},\n'
        f'{pad}"received_at": {_json_string(item.received_at.isoformat())},\n'
        f'{pad}"text": {_json_string(item.text)},\n'
        f'{pad}"fields": {fields}\n'
        "    }"
    )


# --------------------------------------------------------------------------- public API


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it runs) for the block, then resume it.

    Compiling a large report allocates millions of containers (view objects, tuples, dicts) that
    form no reference cycles, so reference counting frees them all; the collector's passes over
    them are wasted work, about a fifth of the time at 10,000 entries.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def compile_report(entries: Sequence[ReportEntry], meta: ReportMeta) -> CompiledReport:
    """Render the report of ``entries`` for the campaign ``meta``; same input, same bytes."""
    with collector_paused():
        return _compile(entries, meta)


def _compile(entries: Sequence[ReportEntry], meta: ReportMeta) -> CompiledReport:
    warnings: list[str] = []
    if not entries:
        warnings.append("no accepted contributions: the report is empty")
    summary_words = count_words(meta.summary)
    if summary_words > meta.word_limit:
        warnings.append(
            f"the association's summary has {summary_words} words; the limit is {meta.word_limit}"
        )
    view = _view(entries, meta, warnings)
    subject = " ".join(_render("subject.txt.j2", view).split())
    return CompiledReport(
        subject=subject,
        text=_render("report.txt.j2", view),
        html=_render("report.html.j2", view),
        attachments=(
            (DOCX_NAME, DOCX_MIME, build_docx(view)),
            (CSV_NAME, "text/csv", _csv(view.items)),
            (JSON_NAME, "application/json", _json(view)),
        ),
        warnings=tuple(warnings),
    )


def build_report_mail(
    report: CompiledReport, *, from_address: str, to_address: str, message_id: str, date: datetime
) -> bytes:
    """The report as a ``multipart/mixed`` mail: ``alternative(text, html)`` then attachments.

    Bodies are encoded 7-bit clean (quoted-printable or base64), so any SMTP server takes the
    mail; the MIME boundaries are derived from a hash of the content, so the same report, ids and
    date give the same bytes.
    """
    policy = SMTP.clone(cte_type="7bit")
    message = EmailMessage(policy=policy)
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = report.subject
    message["Date"] = format_datetime(_aware(date))
    message["Message-ID"] = message_id if message_id.startswith("<") else f"<{message_id}>"
    message["MIME-Version"] = "1.0"
    message.set_content(report.text)
    message.add_alternative(report.html, subtype="html")
    for name, mime, data in report.attachments:
        maintype, subtype = mime.split("/", 1)
        params = {"charset": "utf-8"} if maintype == "text" else {}
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=name, params=params
        )
    digest = hashlib.sha256()
    for name, data in report.files():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    digest.update(message["Message-ID"].encode())
    seed = digest.hexdigest()[:32]
    for number, part in enumerate(message.walk()):
        if part is not message:
            del part["MIME-Version"]  # the email package stamps it on every part it converts
        if part.is_multipart():
            part.set_boundary(f"mailflow-{seed}-{number}")
    return message.as_bytes(policy=policy)
