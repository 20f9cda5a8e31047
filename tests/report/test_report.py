"""The compiled report: overview, grouping, escaping, CSV safety, determinism, the mail."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.reading.sections import find_sections
from mailflow.report import (
    CSV_COLUMNS,
    CompiledReport,
    Replaced,
    ReportEntry,
    ReportMeta,
    build_report_mail,
    compile_report,
)

HANOI = timezone(timedelta(hours=7))
COMPILED_AT = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
VI_TEXT = "Thư viện đã số hóa 1.200 tài liệu về di sản văn hóa địa phương."
AR_TEXT = "أطلقت المكتبة برنامجاً لمحو الأمية الرقمية في المدارس."
ZH_TEXT = "国家图书馆开展了数字素养培训。"


def make_meta(**changes: Any) -> ReportMeta:
    values: dict[str, Any] = {
        "association": "Example Library Association",
        "campaign": "WSIS 2025",
        "deadline": datetime(2025, 9, 30, 23, 59, 59, tzinfo=HANOI),
        "word_limit": 200,
        "recipient": "maria.debrasdefer@ifla.org",
        "compiled_at": COMPILED_AT,
    }
    values.update(changes)
    return ReportMeta(**values)


def make_entry(submission_id: int, **changes: Any) -> ReportEntry:
    values: dict[str, Any] = {
        "submission_id": submission_id,
        "organisation": f"Library {submission_id}",
        "country": "Viet Nam",
        "member_name": f"Member {submission_id}",
        "member_address": f"m{submission_id}@members.test",
        "language": "en",
        "action_lines": ("C3",),
        "text": f"Why: Contribution {submission_id} text.",
        "fields": {"why": f"Contribution {submission_id} text."},
        "links": (),
        "word_count": 3,
        "received_at": datetime(2025, 9, 10, 8, 30, tzinfo=HANOI),
    }
    values.update(changes)
    if not values["fields"]:  # as intake does: the fields are the text's labelled sections
        values["fields"] = find_sections(values["text"])[0]
    return ReportEntry(**values)


def three_languages() -> list[ReportEntry]:
    return [
        make_entry(
            1,
            organisation="Thư viện Quốc gia Việt Nam",
            country="Việt Nam",
            language="vi",
            action_lines=("C8", "C3"),
            text=f"Lý do: {VI_TEXT}",
            fields={"why": VI_TEXT},
            links=("https://nlv.gov.vn/số-hóa",),
        ),
        make_entry(
            2,
            organisation="مكتبة الإسكندرية",
            country="مصر",
            language="ar",
            action_lines=("C4",),
            text=f"السبب: {AR_TEXT}",
            fields={"why": AR_TEXT},
        ),
        make_entry(
            3,
            organisation="中国国家图书馆",
            country="中国",
            language="zh",
            action_lines=("C3", "C11"),
            text=f"原因：{ZH_TEXT}",
            fields={"why": ZH_TEXT},
        ),
    ]


def attachment(report: CompiledReport, name: str) -> bytes:
    return {filename: data for filename, _mime, data in report.attachments}[name]


def csv_rows(report: CompiledReport) -> list[dict[str, str]]:
    text = attachment(report, "contributions.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def json_doc(report: CompiledReport) -> Any:
    return json.loads(attachment(report, "contributions.json"))


def docx_paragraphs(report: CompiledReport) -> list[tuple[str, str]]:
    document = docx.Document(io.BytesIO(attachment(report, "report.docx")))
    return [(p.style.name if p.style else "", p.text) for p in document.paragraphs]


# --------------------------------------------------------------------------- overview


def test_compile_overview_counts_contributions_lines_and_countries() -> None:
    entries = [
        make_entry(1, action_lines=("C3", "C8"), country="Viet Nam"),
        make_entry(2, action_lines=("C3",), country="France"),
        make_entry(3, action_lines=("C8",), country="Viet Nam", word_count=10),
    ]

    overview = json_doc(compile_report(entries, make_meta()))["overview"]

    assert overview == {
        "contributions": 3,
        "members": 3,
        "action_lines": {"C3": 2, "C8": 2},
        "countries": {"France": 1, "Vietnam": 2},
        "members_without_contribution": [],
    }


def test_compile_overview_text_names_action_lines_in_english() -> None:
    entries = [make_entry(1, action_lines=("C4",)), make_entry(2, action_lines=("C4", "C11"))]

    report = compile_report(entries, make_meta())

    start = report.text.index("By action line:")
    assert report.text[start : report.text.index("\n\n", start)] == (
        "By action line:\n"
        "  C4 Capacity building: 2\n"
        "  C11 International and regional cooperation: 1"
    )


def test_compile_overview_counts_a_member_once_by_address() -> None:
    entries = [make_entry(1, member_address="A@x.test"), make_entry(2, member_address="a@x.test")]

    overview = json_doc(compile_report(entries, make_meta()))["overview"]

    assert (overview["contributions"], overview["members"]) == (2, 1)


# --------------------------------------------------------------------------- grouping and order


def test_compile_docx_groups_under_action_line_headings() -> None:
    entries = [make_entry(7, organisation="Hanoi Library", action_lines=("C8", "C3"))]

    paragraphs = docx_paragraphs(compile_report(entries, make_meta()))

    start = paragraphs.index(("Heading 1", "Contributions by action line"))
    end = paragraphs.index(("Heading 1", "Trends reported"))
    assert paragraphs[start + 2 : end] == [
        ("Heading 2", "C3 Access to information and knowledge"),
        ("Heading 3", "1. Hanoi Library — Vietnam"),
        ("Normal", "Organisation: Hanoi Library"),
        ("Normal", "Country: Vietnam (written “Viet Nam”)"),
        ("Normal", "Contact: Member 7 <m7@members.test>"),
        (
            "Normal",
            "Action lines: C3 Access to information and knowledge; C8 Cultural diversity and "
            "identity, linguistic diversity and local content",
        ),
        ("Normal", "Language: English"),
        ("Normal", "Why:"),
        ("Normal", "Contribution 7 text."),
        ("Normal", "Outputs and services: not given."),
        ("Normal", "Achievements: not given."),
        ("Normal", "Trends: not given."),
        ("Normal", "Obstacles: not given."),
        ("Normal", "Future actions: not given."),
        (
            "Normal",
            "Completeness: no outputs and services, no achievements, no trends, no obstacles, "
            "no future actions, no link.",
        ),
        ("Heading 2", "C8 Cultural diversity and identity, linguistic diversity and local content"),
        ("List Bullet", "1. Hanoi Library — Vietnam: printed in full under C3."),
    ]


def test_compile_orders_by_action_line_then_organisation_then_id() -> None:
    entries = [
        make_entry(5, organisation="beta", action_lines=("C10",)),
        make_entry(4, organisation="Alpha", action_lines=("C2",)),
        make_entry(3, organisation="alpha", action_lines=("C2",)),
        make_entry(2, organisation="Beta", action_lines=("C2", "C1")),
        make_entry(1, organisation="Alpha", action_lines=("C10",)),
        make_entry(6, organisation="Alpha", action_lines=("C2",)),
    ]

    report = compile_report(entries, make_meta())

    assert [row["id"] for row in csv_rows(report)] == ["2", "4", "6", "3", "1", "5"]
    assert [item["id"] for item in json_doc(report)["contributions"]] == [2, 4, 6, 3, 1, 5]


def test_compile_lists_a_contribution_without_action_line_last_with_a_warning() -> None:
    entries = [make_entry(1, action_lines=()), make_entry(2, action_lines=("C12", "C5"))]

    report = compile_report(entries, make_meta())

    assert report.warnings == (
        "contribution #1 (Library 1) names no action line",
        "contribution #2 (Library 2): unknown action lines ignored: C12",
    )
    paragraphs = docx_paragraphs(report)
    headings = [text for style, text in paragraphs if style == "Heading 2"][-2:]
    assert headings == [
        "C5 Building confidence and security in the use of ICTs",
        "Without an action line",
    ]
    assert [row["action_lines"] for row in csv_rows(report)] == ["C5", ""]


def test_compile_normalises_action_line_codes() -> None:
    entries = [make_entry(1, action_lines=(" c8", "C3", "C3"))]

    row = csv_rows(compile_report(entries, make_meta()))[0]

    assert row["action_lines"] == "C3;C8"


# --------------------------------------------------------------------------- safety


def test_html_shows_member_markup_as_text() -> None:
    entries = [
        make_entry(
            1,
            organisation="<script>alert(1)</script>",
            text="Why: <b>bold</b> & <i>more</i>",
            fields={"why": "<b>bold</b> & <i>more</i>"},
            member_name='"><img src=x onerror=alert(1)>',
        )
    ]

    html = compile_report(entries, make_meta()).html

    assert "<script>" not in html
    assert "<b>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;more&lt;/i&gt;</p>" in html


def test_html_makes_only_http_links_clickable() -> None:
    links = ("javascript:alert(1)", 'https://a.test/?q=1&r="x"')

    html = compile_report([make_entry(1, links=links)], make_meta()).html

    assert "<li>javascript:alert(1)</li>" in html
    assert 'href="javascript' not in html
    assert (
        '<li><a href="https://a.test/?q=1&amp;r=&#34;x&#34;">'
        "https://a.test/?q=1&amp;r=&#34;x&#34;</a></li>"
    ) in html


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_prefixes_cells_that_start_a_formula(start: str) -> None:
    entry = make_entry(
        1,
        organisation=f'{start}HYPERLINK("http://evil.test")',
        country=f"{start}1+1",
        text=f"Why: {start}cmd|' /C calc'!A0",
        fields={"why": f"{start}cmd|' /C calc'!A0"},
    )

    row = csv_rows(compile_report([entry], make_meta()))[0]

    assert row["organisation"] == f'\'{start}HYPERLINK("http://evil.test")'
    assert row["country"] == f"'{start}1+1"
    assert row["country_as_written"] == f"'{start}1+1"
    assert row["why"] == f"'{start}cmd|' /C calc'!A0"
    assert row["why_en"] == f"'{start}cmd|' /C calc'!A0"


def test_compile_drops_control_characters_and_bidi_overrides() -> None:
    entry = make_entry(
        1, organisation="Lib\u202erary\x00\x1b", text="Why: a\x07b\r\nc\x0cd", fields={}
    )

    report = compile_report([entry], make_meta())

    item = json_doc(report)["contributions"][0]
    # The form feed ends a line when the text is read for its sections, as a word processor does.
    assert (item["organisation"], item["why"]) == ("Library", "ab\nc\nd")
    assert ("Heading 3", "1. Library — Vietnam") in docx_paragraphs(report)


def test_compile_drops_lone_surrogates() -> None:
    entry = make_entry(1, organisation="Lib\ud800rary", text="a\udcffb", fields={})

    item = json_doc(compile_report([entry], make_meta()))["contributions"][0]

    assert (item["organisation"], item["text"]) == ("Library", "ab")


# --------------------------------------------------------------------------- warnings


def test_compile_empty_report_warns_and_still_renders() -> None:
    report = compile_report([], make_meta())

    assert report.warnings == ("no accepted contributions: the report is empty",)
    assert "No contributions were accepted." in report.text
    assert "<p>No contributions were accepted.</p>" in report.html
    assert csv_rows(report) == []
    assert json_doc(report)["contributions"] == []


def test_compile_summary_over_the_word_limit_warns() -> None:
    meta = make_meta(word_limit=5, summary="one two three four five six")

    report = compile_report([make_entry(1)], meta)

    assert report.warnings == ("the association's summary has 6 words; the limit is 5",)


def test_compile_summary_at_the_word_limit_does_not_warn() -> None:
    meta = make_meta(word_limit=5, summary="one two three four five — ")

    report = compile_report([make_entry(1)], meta)

    assert report.warnings == ()
    assert "Summary\n-------\n\none two three four five —\n" in report.text


def test_compile_counts_summary_chinese_characters_as_words() -> None:
    meta = make_meta(word_limit=5, summary="图书馆培训")

    assert compile_report([make_entry(1)], meta).warnings == ()
    assert compile_report(
        [make_entry(1)], make_meta(word_limit=4, summary="图书馆培训")
    ).warnings == ("the association's summary has 5 words; the limit is 4",)


def test_compile_contribution_over_the_word_limit_warns() -> None:
    report = compile_report([make_entry(9, word_count=243)], make_meta())

    assert report.warnings == ("contribution #9 (Library 9) has 243 words; the limit is 200",)


# --------------------------------------------------------------------------- determinism


def test_compile_twice_gives_identical_bytes_for_every_file() -> None:
    first = compile_report(three_languages(), make_meta(summary="Summary."))
    second = compile_report(three_languages(), make_meta(summary="Summary."))

    assert first.files() == second.files()
    assert first.subject == second.subject


def test_compile_does_not_depend_on_input_order() -> None:
    entries = three_languages()

    forward = compile_report(entries, make_meta())
    backward = compile_report(list(reversed(entries)), make_meta())

    assert forward.files() == backward.files()


def test_docx_dates_come_from_compiled_at() -> None:
    report = compile_report(three_languages(), make_meta())
    data = attachment(report, "report.docx")

    dates = {info.date_time for info in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    properties = docx.Document(io.BytesIO(data)).core_properties
    assert dates == {(2025, 10, 1, 9, 0, 0)}
    assert (properties.created, properties.modified) == (COMPILED_AT, COMPILED_AT)
    assert (properties.title, properties.author) == (
        "WSIS 2025: contributions from Example Library Association",
        "Example Library Association",
    )


def test_docx_links_are_hyperlinks() -> None:
    entry = make_entry(1, links=("https://a.test/x", "ftp://b.test/y"))

    document = docx.Document(
        io.BytesIO(attachment(compile_report([entry], make_meta()), "report.docx"))
    )

    texts = [p.text for p in document.paragraphs]
    start = texts.index("Outputs and services:")
    links = [(p.text, [h.address for h in p.hyperlinks]) for p in document.paragraphs]
    assert links[start + 1 : start + 3] == [
        ("https://a.test/x", ["https://a.test/x"]),
        ("ftp://b.test/y", []),
    ]


def test_docx_keeps_markup_in_member_text_as_text() -> None:
    entry = make_entry(
        1,
        organisation='<w:p>A & "B"</w:p>',
        country="<b>X</b>",
        member_name="Ann & <Bob>",
        text="Why: x < y && y > z ]]> <!-- no --> &amp;",
        fields={},
        links=('https://a.test/?a=1&b="2"<3>', "ftp://b.test/?c=<d>&e"),
    )

    report = compile_report([entry], make_meta())

    document = docx.Document(io.BytesIO(attachment(report, "report.docx")))
    texts = [p.text for p in document.paragraphs]
    start = texts.index('1. <w:p>A & "B"</w:p> — <b>X</b>')
    assert texts[start + 1 : start + 10] == [
        'Organisation: <w:p>A & "B"</w:p>',
        "Country: <b>X</b>",
        "Contact: Ann & <Bob> <m1@members.test>",
        "Action lines: C3 Access to information and knowledge",
        "Language: English",
        "Why:",
        "x < y && y > z ]]> <!-- no --> &amp;",
        "Outputs and services:",
        'https://a.test/?a=1&b="2"<3>',
    ]
    hyperlinks = [h.address for p in document.paragraphs for h in p.hyperlinks]
    assert hyperlinks == ['https://a.test/?a=1&b="2"<3>']


def test_docx_holds_every_contribution_under_its_lines() -> None:
    entries = [
        make_entry(
            n,
            action_lines=(f"C{n % 11 + 1}", f"C{(n + 3) % 11 + 1}"),
            text=f"Why: First paragraph of {n}.\nSecond paragraph of {n}.",
            fields={},
            links=(f"https://m{n}.test/",),
            organisation=f"Library {n:02}",
        )
        for n in range(1, 41)
    ]

    report = compile_report(entries, make_meta())

    paragraphs = docx_paragraphs(report)
    texts = [text for _style, text in paragraphs]
    numbers = {row["id"]: row["number"] for row in csv_rows(report)}
    for n in range(1, 41):
        number = numbers[str(n)]
        full = texts.index(f"{number}. Library {n:02} — Vietnam")
        assert texts[full + 6 : full + 11] == [
            "Why:",
            f"First paragraph of {n}.",
            f"Second paragraph of {n}.",
            "Outputs and services:",
            f"https://m{n}.test/",
        ]
        home = min(n % 11 + 1, (n + 3) % 11 + 1)
        reference = f"{number}. Library {n:02} — Vietnam: printed in full under C{home}."
        assert texts.count(reference) == 1
    headings = [text for style, text in paragraphs if style == "Heading 2"]
    assert headings[:2] == ["By action line", "By country"]
    assert [h.split()[0] for h in headings[2:]] == [f"C{n}" for n in range(1, 12)]


def test_write_puts_every_file_in_the_folder_in_a_stable_order(tmp_path: Path) -> None:
    report = compile_report(three_languages(), make_meta())

    paths = report.write(tmp_path / "out")

    names = ["report.txt", "report.html", "report.docx", "contributions.csv", "contributions.json"]
    assert paths == [tmp_path / "out" / name for name in names]
    assert [path.read_bytes() for path in paths] == [data for _name, data in report.files()]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)


# --------------------------------------------------------------------------- the mail


def report_mail(report: CompiledReport) -> bytes:
    return build_report_mail(
        report,
        from_address="WSIS coordinator <wsis@association.test>",
        to_address="maria.debrasdefer@ifla.org",
        message_id="<report-1@association.test>",
        date=COMPILED_AT,
    )


def test_build_report_mail_parses_back_with_its_parts() -> None:
    report = compile_report(three_languages(), make_meta())

    message = message_from_bytes(report_mail(report), policy=default)

    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/mixed"
    assert (message["From"], message["To"], message["Message-ID"]) == (
        "WSIS coordinator <wsis@association.test>",
        "maria.debrasdefer@ifla.org",
        "<report-1@association.test>",
    )
    assert message["Subject"] == "WSIS 2025: contributions from Example Library Association (3)"
    assert message["Date"] == "Wed, 01 Oct 2025 09:00:00 +0000"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == [
        "multipart/alternative",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/csv",
        "application/json",
    ]
    body = [(p.get_content_type(), p.get_content()) for p in parts[0].iter_parts()]
    assert body == [
        ("text/plain", report.text.replace("\n", "\r\n")),
        ("text/html", report.html.replace("\n", "\r\n")),
    ]
    attached = [(p.get_filename(), p.get_payload(decode=True)) for p in message.iter_attachments()]
    assert attached == [(name, data) for name, _mime, data in report.attachments]
    assert parts[2].get_content_charset() == "utf-8"


def test_build_report_mail_declares_mime_version_once() -> None:
    mail = report_mail(compile_report(three_languages(), make_meta()))

    assert mail.count(b"MIME-Version:") == 1
    assert mail.startswith(b"From: WSIS coordinator <wsis@association.test>\r\n")


def test_build_report_mail_brackets_a_bare_message_id() -> None:
    report = compile_report([make_entry(1)], make_meta())

    raw = build_report_mail(
        report,
        from_address="a@x.test",
        to_address="b@x.test",
        message_id="r1@x.test",
        date=COMPILED_AT,
    )

    assert message_from_bytes(raw, policy=default)["Message-ID"] == "<r1@x.test>"


def test_build_report_mail_is_seven_bit_and_reproducible() -> None:
    report = compile_report(three_languages(), make_meta())

    first, second = report_mail(report), report_mail(report)

    assert first == second
    assert max(first) < 128
    assert max(len(line) for line in first.split(b"\r\n")) <= 998


# --------------------------------------------------------------------------- non-ASCII


def test_non_ascii_survives_into_every_format() -> None:
    report = compile_report(three_languages(), make_meta(association="Hội Thư viện Việt Nam"))
    samples = [VI_TEXT, AR_TEXT, ZH_TEXT, "Thư viện Quốc gia Việt Nam", "مكتبة الإسكندرية", "中国"]

    docx_text = "\n".join(text for _style, text in docx_paragraphs(report))
    csv_text = attachment(report, "contributions.csv").decode("utf-8-sig")
    json_text = json.dumps(json_doc(report), ensure_ascii=False)
    mail = message_from_bytes(report_mail(report), policy=default)
    assert isinstance(mail, EmailMessage)
    alternative = next(mail.iter_parts())
    mail_text, mail_html = (part.get_content() for part in alternative.iter_parts())
    for sample in samples:
        for name, rendered in [
            ("text", report.text),
            ("html", report.html),
            ("docx", docx_text),
            ("csv", csv_text),
            ("json", json_text),
            ("mail text", mail_text),
            ("mail html", mail_html),
        ]:
            assert sample in rendered, (name, sample)
    assert mail["Subject"] == "WSIS 2025: contributions from Hội Thư viện Việt Nam (3)"


def test_docx_marks_arabic_paragraphs_right_to_left() -> None:
    report = compile_report(three_languages(), make_meta())
    document = docx.Document(io.BytesIO(attachment(report, "report.docx")))

    rtl = [
        "".join(p.xpath(".//w:t/text()")) for p in document.element.body.xpath("w:p[w:pPr/w:bidi]")
    ]

    assert rtl == [AR_TEXT]


# --------------------------------------------------------------------------- strangers' text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    organisation=st.text(max_size=40),
    text=st.text(max_size=200),
    links=st.lists(st.text(max_size=30), max_size=3),
)
def test_compile_accepts_any_member_text(organisation: str, text: str, links: list[str]) -> None:
    entry = make_entry(1, organisation=organisation, text=text, fields={}, links=tuple(links))

    report = compile_report([entry], make_meta())

    document = docx.Document(io.BytesIO(attachment(report, "report.docx")))
    assert (
        document.paragraphs[0].text == "WSIS 2025: contributions from Example Library Association"
    )
    assert [row["id"] for row in csv_rows(report)] == ["1"]
    assert json_doc(report)["contributions"][0]["id"] == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=80),
    fields=st.dictionaries(st.text(max_size=12), st.text(max_size=30), max_size=3),
    links=st.lists(st.text(max_size=20), max_size=3),
    language=st.sampled_from(["", "en", 'a"\\b']),
    action_lines=st.lists(st.sampled_from(["C1", "c3", "C11", "X9"]), max_size=3),
)
def test_json_is_the_text_json_dumps_writes(
    text: str, fields: dict[str, str], links: list[str], language: str, action_lines: list[str]
) -> None:
    entry = make_entry(
        1,
        text=text,
        fields=fields,
        links=tuple(links),
        language=language,
        action_lines=tuple(action_lines),
    )

    for entries in ([entry, make_entry(2)], []):
        data = attachment(compile_report(entries, make_meta()), "contributions.json")

        assert data == (json.dumps(json.loads(data), ensure_ascii=False) + "\n").encode()


# --------------------------------------------------------------------------- the whole text body


def test_compile_text_body_reads_as_specified() -> None:
    entries = [
        make_entry(
            7,
            organisation="Biblioteca Nacional del Perú",
            country="Perú",
            member_name="Ana Pérez",
            member_address="ana@bnp.test",
            language="es",
            action_lines=("C8", "C3"),
            links=("https://bnp.test/talleres",),
            text=(
                "Estimados colegas:\n\nLes envío nuestra contribución.\n\n"
                "Organización: Biblioteca Nacional del Perú\nPaís: Perú\n"
                "Por qué: Muchas familias no tienen internet.\n"
                "Resultados: Talleres digitales https://bnp.test/talleres\n"
                "Tendencias: Más adultos mayores buscan ayuda.\n\n"
                "Versión en inglés:\nWhy: Many families have no internet.\n"
                "Outputs: Digital workshops https://bnp.test/talleres\n"
                "Trends: More older people ask for help.\n\nSaludos cordiales,\nAna"
            ),
            fields={},
        ),
        make_entry(
            9,
            organisation="Northgate Library",
            country="",
            roster_country="GB",
            member_name="",
            member_address="info@northgate.test",
            action_lines=("C4",),
            text="Why: Skills.\nObstacles: Funding.\nFuture actions: A regional course.",
            fields={},
        ),
    ]
    meta = make_meta(
        summary="Our year.",
        coordinator="Lan Nguyen <wsis@association.test>",
        signature="WSIS coordinator",
        roster_size=3,
        silent_members=("Hanoi Library, Vietnam",),
    )

    report = compile_report(entries, meta)

    assert report.text == (
        "Dear colleagues,\n"
        "\n"
        "Please find below the contributions of Example Library Association’s members to the"
        " WSIS 2025 report on the implementation of the WSIS outcomes: 2 contributions from 2"
        " members in 2 countries, under action lines C3, C4, C8.\n"
        "\n"
        "Each contribution is given in English in the order of the call; where a member wrote"
        " in another language, the original text follows the English version, or stands alone"
        " where no English version was given. Trends, obstacles and future actions are"
        " gathered at the end. The same report is attached as a Word document (report.docx),"
        " and the contributions as data (contributions.csv, contributions.json).\n"
        "\n"
        "Kind regards,\n"
        "Lan Nguyen\n"
        "WSIS coordinator\n"
        "wsis@association.test\n"
        "Example Library Association\n"
        "\n"
        "WSIS 2025: contributions from Example Library Association\n"
        "=========================================================\n"
        "\n"
        "Compiled 2025-10-01 09:00 +0000 for maria.debrasdefer@ifla.org.\n"
        "Deadline 30 September 2025; word limit 200 words per contribution.\n"
        "\n"
        "Overview\n"
        "--------\n"
        "\n"
        "Contributions: 2\n"
        "Members who contributed: 2 of 3\n"
        "Words in all: 6\n"
        "\n"
        "By action line:\n"
        "  C3 Access to information and knowledge: 1\n"
        "  C4 Capacity building: 1\n"
        "  C8 Cultural diversity and identity, linguistic diversity and local content: 1\n"
        "\n"
        "By country:\n"
        "  Peru: 1\n"
        "  United Kingdom: 1\n"
        "\n"
        "Members who did not answer:\n"
        "  Hanoi Library, Vietnam\n"
        "\n"
        "Summary\n"
        "-------\n"
        "\n"
        "Our year.\n"
        "\n"
        "Contributions by action line\n"
        "----------------------------\n"
        "\n"
        "Each contribution is printed once, under the first of its action lines, and referred"
        " to by its\n"
        "number under the others.\n"
        "\n"
        "C3 Access to information and knowledge\n"
        "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        "\n"
        "1. Biblioteca Nacional del Perú — Peru\n"
        "\n"
        "Organisation: Biblioteca Nacional del Perú\n"
        "Country: Peru (written “Perú”)\n"
        "Contact: Ana Pérez <ana@bnp.test>\n"
        "Action lines: C3 Access to information and knowledge; C8 Cultural diversity and"
        " identity, linguistic diversity and local content\n"
        "Language: Spanish; English version by the member\n"
        "\n"
        "Why:\n"
        "  Many families have no internet.\n"
        "  Original (Spanish):\n"
        "  Muchas familias no tienen internet.\n"
        "\n"
        "Outputs and services:\n"
        "  Digital workshops https://bnp.test/talleres\n"
        "  Original (Spanish):\n"
        "  Talleres digitales https://bnp.test/talleres\n"
        "  Links:\n"
        "  - https://bnp.test/talleres\n"
        "\n"
        "Achievements: not given.\n"
        "\n"
        "Trends:\n"
        "  More older people ask for help.\n"
        "  Original (Spanish):\n"
        "  Más adultos mayores buscan ayuda.\n"
        "\n"
        "Obstacles: not given.\n"
        "\n"
        "Future actions: not given.\n"
        "\n"
        "Completeness: no achievements, no obstacles, no future actions.\n"
        "\n"
        "C4 Capacity building\n"
        "~~~~~~~~~~~~~~~~~~~~\n"
        "\n"
        "2. Northgate Library — United Kingdom\n"
        "\n"
        "Organisation: Northgate Library\n"
        "Country: United Kingdom\n"
        "Contact: info@northgate.test\n"
        "Action lines: C4 Capacity building\n"
        "Language: English\n"
        "\n"
        "Why:\n"
        "  Skills.\n"
        "\n"
        "Outputs and services: not given.\n"
        "\n"
        "Achievements: not given.\n"
        "\n"
        "Trends: not given.\n"
        "\n"
        "Obstacles:\n"
        "  Funding.\n"
        "\n"
        "Future actions:\n"
        "  A regional course.\n"
        "\n"
        "Completeness: no outputs and services, no achievements, no trends, no link.\n"
        "\n"
        "C8 Cultural diversity and identity, linguistic diversity and local content\n"
        "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        "\n"
        "1. Biblioteca Nacional del Perú — Peru: printed in full under C3.\n"
        "\n"
        "Trends reported\n"
        "---------------\n"
        "\n"
        "- More older people ask for help.\n"
        "  Original (Spanish): Más adultos mayores buscan ayuda.\n"
        "  — Biblioteca Nacional del Perú (Peru); contribution 1, C3, C8\n"
        "\n"
        "Obstacles reported\n"
        "------------------\n"
        "\n"
        "- Funding.\n"
        "  — Northgate Library (United Kingdom); contribution 2, C4\n"
        "\n"
        "Future actions\n"
        "--------------\n"
        "\n"
        "- A regional course.\n"
        "  — Northgate Library (United Kingdom); contribution 2, C4\n"
    )


def test_compile_prints_a_multi_line_contribution_once_and_refers_to_it_by_number() -> None:
    entries = [make_entry(7, organisation="Hanoi Library", action_lines=("C8", "C3"))]

    report = compile_report(entries, make_meta())

    assert report.html.count("Contribution 7 text.") == 1
    assert report.html.count("1. Hanoi Library — Vietnam: printed in full under C3.") == 1
    assert report.text.count("Contribution 7 text.") == 1
    assert "\n1. Hanoi Library — Vietnam: printed in full under C3.\n" in report.text


def test_html_has_no_in_page_anchors() -> None:
    report = compile_report(three_languages(), make_meta())

    assert 'href="#' not in report.html
    assert " id=" not in report.html


def test_csv_has_one_column_per_field() -> None:
    entry = make_entry(
        1,
        language="es",
        text="Por qué: Porque sí.\nTendencias: Más lectura.\n\nEnglish version:\nWhy: Because.",
        fields={},
        links=("https://a.test/1", "https://a.test/2"),
        action_lines=("C3", "C8"),
        country="Perú",
        received_at=datetime(2025, 9, 10, 8, 30, 15, 123456, tzinfo=HANOI),
    )

    row = csv_rows(compile_report([entry], make_meta()))[0]

    assert list(row) == list(CSV_COLUMNS)
    assert row == {
        "id": "1",
        "organisation": "Library 1",
        "country": "Peru",
        "member": "m1@members.test",
        "member_name": "Member 1",
        "language": "es",
        "action_lines": "C3;C8",
        "word_count": "3",
        "links": "https://a.test/1 https://a.test/2",
        "received_at": "2025-09-10T08:30:15+07:00",
        "text": "Why: Porque sí.\nTrends: Más lectura.",
        "number": "1",
        "version": "1",
        "country_code": "PE",
        "country_as_written": "Perú",
        "why": "Porque sí.",
        "outputs": "",
        "achievements": "",
        "trends": "Más lectura.",
        "obstacles": "",
        "future_actions": "",
        "why_en": "Because.",
        "outputs_en": "",
        "achievements_en": "",
        "trends_en": "",
        "obstacles_en": "",
        "future_actions_en": "",
        "english_version": "member",
        "edited_by_coordinator": "",
        "completeness": "no achievements, no obstacles, no future actions, "
        "no English version of trends",
    }


def test_csv_semicolon_dialect_separates_with_semicolons() -> None:
    report = compile_report([make_entry(1)], make_meta(csv_delimiter=";"))

    text = attachment(report, "contributions.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1][:3] == ["1", "Library 1", "Vietnam"]
    assert attachment(report, "contributions.csv").startswith(b"\xef\xbb\xbfid;organisation;")


def test_docx_is_a4_with_headings_kept_with_their_text() -> None:
    report = compile_report(three_languages(), make_meta())

    document = docx.Document(io.BytesIO(attachment(report, "report.docx")))

    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    headings = [p for p in document.paragraphs if p.style and p.style.name.startswith("Heading")]
    assert headings
    assert all(p.paragraph_format.keep_with_next for p in headings)
    labels = [p for p in document.paragraphs if p.text.startswith("Why (in ")]
    assert len(labels) == 3
    assert all(p.paragraph_format.keep_with_next for p in labels)


def test_docx_isolates_right_to_left_names_in_left_to_right_lines() -> None:
    report = compile_report(three_languages(), make_meta())

    texts = [text for _style, text in docx_paragraphs(report)]

    assert "3. \u2068مكتبة الإسكندرية\u2069 — Egypt" in texts
    assert "Country: Egypt (written “\u2068مصر\u2069”)" in texts
    assert "Organisation: \u2068مكتبة الإسكندرية\u2069" in texts
    assert "1. Thư viện Quốc gia Việt Nam — Vietnam" in texts


def test_compile_shows_countries_typed_in_their_own_language_in_english_sorted() -> None:
    entries = [
        make_entry(1, country="Россия"),
        make_entry(2, country="الأردن"),
        make_entry(3, country="Việt Nam"),
        make_entry(4, country="中国"),
        make_entry(5, country="Perú"),
        make_entry(6, country="Atlantis"),
    ]

    report = compile_report(entries, make_meta())

    start = report.text.index("By country:")
    assert report.text[start : report.text.index("\n\n", start)] == (
        "By country:\n  Atlantis: 1\n  China: 1\n  Jordan: 1\n  Peru: 1\n  Russia: 1\n  Vietnam: 1"
    )
    assert [(row["country_code"], row["country_as_written"]) for row in csv_rows(report)] == [
        ("RU", "Россия"),
        ("JO", "الأردن"),
        ("VN", "Việt Nam"),
        ("CN", "中国"),
        ("PE", "Perú"),
        ("", "Atlantis"),
    ]
    assert report.warnings == ("contribution #6 (Library 6): country not recognised: Atlantis",)


def test_compile_takes_the_country_from_the_roster_before_the_members_text() -> None:
    entry = make_entry(1, country="Holland", roster_country="Belgique")

    row = csv_rows(compile_report([entry], make_meta()))[0]

    assert (row["country"], row["country_code"], row["country_as_written"]) == (
        "Belgium",
        "BE",
        "Holland",
    )


def test_compile_leaves_greetings_sign_offs_and_private_remarks_out_of_every_field() -> None:
    text = (
        "Dear coordinator, I am sending this from my personal address, do not forward it.\n\n"
        "Organisation: Lakeside Library\nWhy: Free internet.\nFuture actions: A course.\n\n"
        "Best regards,\nJohn\nP.S. Call me on my mobile."
    )

    report = compile_report([make_entry(1, text=text, fields={})], make_meta())

    item = json_doc(report)["contributions"][0]
    assert (item["why"], item["future_actions"], item["text"]) == (
        "Free internet.",
        "A course.",
        "Why: Free internet.\nFuture actions: A course.",
    )
    for phrase in ("Dear coordinator", "personal address", "Best regards", "John", "P.S."):
        assert phrase not in report.text
        assert phrase not in report.html


def test_compile_free_text_loses_its_greeting_paragraph_and_sign_off() -> None:
    text = (
        "Estimados colegas, les envío esto desde mi correo personal.\n\n"
        "Nuestra biblioteca formó a 300 personas en competencias digitales (C4).\n\n"
        "Saludos cordiales,\nAna"
    )
    entry = make_entry(1, language="es", text=text, fields={})

    report = compile_report([entry], make_meta())

    assert (
        "Contribution (not divided into the call's sections; in Spanish, no English version):\n"
        "  Nuestra biblioteca formó a 300 personas en competencias digitales (C4).\n"
    ) in report.text
    assert "Estimados" not in report.text
    assert "Saludos" not in report.text


def test_compile_shows_the_coordinators_english_version_first_and_the_original_beneath() -> None:
    entry = make_entry(
        1,
        language="vi",
        text="Lý do: Vì cộng đồng.\nXu hướng: Đọc nhiều hơn.",
        fields={},
        translation="Why: For the community.\nTrends: More reading.",
    )

    report = compile_report([entry], make_meta())

    assert (
        "Language: Vietnamese; English version by the coordinator\n\n"
        "Why:\n  For the community.\n  Original (Vietnamese):\n  Vì cộng đồng.\n"
    ) in report.text
    row = csv_rows(report)[0]
    assert (row["why"], row["why_en"], row["english_version"]) == (
        "Vì cộng đồng.",
        "For the community.",
        "coordinator",
    )


def test_compile_uses_the_coordinators_edit_in_place_of_the_members_text() -> None:
    entry = make_entry(1, edited="Why: Checked by the coordinator.")

    report = compile_report([entry], make_meta())

    assert "Why:\n  Checked by the coordinator.\n" in report.text
    assert "Contribution 1 text." not in report.text
    assert "Language: English; edited by the coordinator\n" in report.text
    assert csv_rows(report)[0]["edited_by_coordinator"] == "yes"


def test_compile_marks_missing_fields_and_says_what_is_missing() -> None:
    entry = make_entry(1, text="Why: Because.\nTrends: More.", fields={}, links=())

    report = compile_report([entry], make_meta())

    assert "Achievements: not given.\n" in report.text
    assert "Completeness: no outputs and services, no achievements, no obstacles, " in report.text
    assert json_doc(report)["contributions"][0]["completeness"] == (
        "no outputs and services, no achievements, no obstacles, no future actions, no link"
    )


def test_compile_gathers_trends_obstacles_and_future_actions_with_who_and_lines() -> None:
    entries = [
        make_entry(1, text="Why: A.\nTrends: Trend one.", fields={}, action_lines=("C4", "C3")),
        make_entry(2, text="Obstacles: Money.\nFuture actions: A plan.", fields={}),
    ]

    report = compile_report(entries, make_meta())

    assert (
        "Trends reported\n---------------\n\n- Trend one.\n"
        "  — Library 1 (Vietnam); contribution 1, C3, C4\n\n"
        "Obstacles reported\n------------------\n\n- Money.\n"
        "  — Library 2 (Vietnam); contribution 2, C3\n\n"
        "Future actions\n--------------\n\n- A plan.\n"
        "  — Library 2 (Vietnam); contribution 2, C3\n"
    ) in report.text


def test_cover_note_of_a_resend_says_it_replaces_the_earlier_report() -> None:
    replaced = Replaced("WSIS 2025: contributions (3)", datetime(2025, 10, 1, 9, 0, tzinfo=UTC), 2)

    report = compile_report([make_entry(1)], make_meta(replaces=replaced))

    assert report.subject == (
        "Updated report, replaces the one of 1 October 2025: "
        "WSIS 2025: contributions from Example Library Association (1)"
    )
    assert (
        "This report replaces the one we sent on 1 October 2025 (“WSIS 2025: contributions (3)”): "
        "2 contributions have changed since."
    ) in report.text


def test_build_report_mail_threads_a_resend_to_the_report_it_replaces() -> None:
    raw = build_report_mail(
        compile_report([make_entry(1)], make_meta()),
        from_address="a@x.test",
        to_address="b@x.test",
        message_id="<r2@x.test>",
        date=COMPILED_AT,
        in_reply_to="<r1@x.test>",
    )

    message = message_from_bytes(raw, policy=default)
    assert (message["In-Reply-To"], message["References"]) == ("<r1@x.test>", "<r1@x.test>")


def test_compile_shows_an_english_attachment_as_the_members_english_version() -> None:
    entry = make_entry(
        1,
        language="es",
        text="Por qué: Porque sí.",
        fields={},
        member_english="Why: Because.",
    )

    report = compile_report([entry], make_meta())

    assert (
        "Language: Spanish; English version by the member\n\n"
        "Why:\n  Because.\n  Original (Spanish):\n  Porque sí.\n"
    ) in report.text
