"""Text to fields: sections, action lines, links, word counts, language, and where the text is."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CORPUS

from mailflow.reading.action_lines import find_action_lines, find_c7_sublines
from mailflow.reading.contribution import extract
from mailflow.reading.language import detect_language
from mailflow.reading.links import find_links
from mailflow.reading.mime import AttachmentText, MessageText, read_message
from mailflow.reading.sections import find_sections
from mailflow.reading.validate import Rules, judge
from mailflow.reading.words import count_words

FILLER = " ".join(["word"] * 45)


def message(
    body: str,
    *,
    attachments: tuple[AttachmentText, ...] = (),
    links: tuple[str, ...] = (),
) -> MessageText:
    return MessageText(
        subject="WSIS contribution",
        from_name="Hoa",
        from_address="hoa@members.test",
        message_id="<1@members.test>",
        in_reply_to=(),
        references=(),
        date=None,
        body=body,
        body_format="plain",
        links=links,
        attachments=attachments,
        charset_fallback=False,
        problems=(),
    )


def attachment(
    filename: str,
    text: str,
    *,
    links: tuple[str, ...] = (),
    problem: str | None = None,
    content_type: str = "application/octet-stream",
) -> AttachmentText:
    return AttachmentText(
        filename=filename,
        content_type=content_type,
        size=len(text.encode()),
        text=text,
        links=links,
        problem=problem,
    )


# --- word count ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("The library trained 300 people.", 5),
        ("Hello, world — this is e-learning!", 5),
        ("C3/C8 and https://lib.example/report", 3),
        ("- * -- ... ! ?", 0),
        ("Thư viện Quốc gia Việt Nam đã tổ chức", 9),
        ("图书馆开展了数字素养培训。", 12),
        ("日本語のテキスト", 8),
        ("ห้องสมุด", 6),
        ("المكتبة الوطنية تدعم الوصول إلى المعلومات", 6),
        ("Word2019年", 2),
        ("我们支持 C3 和 C8 行动方针", 11),
        ("Организация: Библиотека", 2),
        ("1. Organisation: Hanoi Library", 4),
        ("Dấu câu , ; : không tính", 4),
    ],
)
def test_count_words_counts_like_a_word_processor(text: str, words: int) -> None:
    assert count_words(text) == words


@given(st.text())
def test_count_words_never_raises_and_is_not_negative(text: str) -> None:
    assert count_words(text) >= 0


# --- action lines by code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("We contribute to C3.", ("C3",)),
        ("C 3", ("C3",)),
        ("C-3", ("C3",)),
        ("c3", ("C3",)),
        ("Action Line C3", ("C3",)),
        ("AL3 and AL 4", ("C3", "C4")),
        ("C7 e-learning", ("C7",)),
        ("C3, C4 and C8", ("C3", "C4", "C8")),
        ("C3/C8", ("C3", "C8")),
        ("C8; C3", ("C3", "C8")),
        ("C10", ("C10",)),
        ("C11", ("C11",)),
        ("C1", ("C1",)),
        ("C1, C10 and C11", ("C1", "C10", "C11")),
        ("ABC1", ()),
        ("C1000", ()),
        ("C12", ()),
        ("C0", ()),
        ("https://x.org/C3", ()),
        ("see https://x.org/C3 and C4", ("C4",)),
        ("mail c3@library.example", ()),
        ("room 3C and PC3", ()),
        ("al 3 de octubre", ()),
        ("Action line 3", ("C3",)),
        ("action lines 2, 4 and 11", ("C2", "C4", "C11")),
        ("lignes d'action 3 et 8", ("C3", "C8")),
        ("我们支持C3和C8", ("C3", "C8")),
        ("Ｃ３", ("C3",)),
        ("the WSIS Action Lines (C1–C11)", ()),
        ("lines C1-C11 of the plan; we chose C4", ("C4",)),
        ("C3–C5", ("C3", "C4", "C5")),
        ("C8 - C3", ("C3", "C8")),
        ("", ()),
    ],
)
def test_find_action_lines_by_code(text: str, codes: tuple[str, ...]) -> None:
    assert find_action_lines(text) == codes


# --- action lines by name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Capacity building for librarians", ("C4",)),
        ("capacity-building", ("C4",)),
        ("We improve access to information and knowledge", ("C3",)),
        (
            "Cultural diversity and identity, linguistic diversity and local content",
            ("C8",),
        ),
        ("Ethical dimensions of our work", ("C10",)),
        ("International and regional cooperation", ("C11",)),
        ("Renforcement des capacités et accès à l'information", ("C3", "C4")),
        ("acceso a la informacion y creacion de capacidad", ("C3", "C4")),
        ("xây dựng năng lực cho cán bộ thư viện", ("C4",)),
        ("XAY DUNG NANG LUC", ("C4",)),
        ("Tiếp cận thông tin và tri thức", ("C3",)),
        ("Cơ sở hạ tầng thông tin và truyền thông", ("C2",)),
        ("وبناء القدرات", ("C4",)),
        ("النفاذ إلى المعلومات والمعرفة", ("C3",)),
        ("图书馆致力于能力建设和国际合作", ("C4", "C11")),
        ("獲取資訊和知識與文化多樣性", ("C3", "C8")),
        ("Доступ к информации и знаниям", ("C3",)),
        ("Культурное разнообразие", ("C8",)),
        ("e-learning courses", ("C7",)),
        ("eLearning and e-health", ("C7",)),
        ("A media campaign on social media", ()),
        ("Chiến dịch truyền thông trên mạng xã hội", ()),
        ("The library capacity", ()),
    ],
)
def test_find_action_lines_by_name(text: str, codes: tuple[str, ...]) -> None:
    assert find_action_lines(text) == codes


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Media", ("C9",)),
        ("Truyền thông", ("C9",)),
        ("媒体", ("C9",)),
        ("C3 and the media", ("C3", "C9")),
    ],
)
def test_find_action_lines_ambiguous_names_count_only_in_a_section(
    text: str, codes: tuple[str, ...]
) -> None:
    assert (find_action_lines(text, section=True), find_action_lines(text)) == (
        codes,
        tuple(code for code in codes if code != "C9"),
    )


def test_extract_c7_sublines_from_the_action_lines_section() -> None:
    result = extract(message("Action lines: C7 (e-learning, e-health)\nWhy: e-science too"))
    assert (result.action_lines, result.c7_sublines) == (("C7",), ("e-learning", "e-health"))


def test_find_c7_sublines_in_reference_order() -> None:
    assert find_c7_sublines("e-science, E-Learning, học trực tuyến and 电子政务") == (
        "e-government",
        "e-learning",
        "e-science",
    )


# --- links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("See https://lib.example/report.", ("https://lib.example/report",)),
        ("(https://lib.example/a)", ("https://lib.example/a",)),
        ("https://en.wikipedia.org/wiki/C_(x)", ("https://en.wikipedia.org/wiki/C_(x)",)),
        ("<https://lib.example/a>, and more", ("https://lib.example/a",)),
        ("[report](https://lib.example/r)", ("https://lib.example/r",)),
        ("https://lib.example/a; https://lib.example/a/", ("https://lib.example/a",)),
        ("HTTP://LIB.example/A http://lib.example/A", ("HTTP://LIB.example/A",)),
        ("链接：https://lib.example/zh。谢谢", ("https://lib.example/zh",)),
        ("项目网址https://lib.example/zh。", ("https://lib.example/zh",)),
        (
            "见https://lib.example/a，以及https://lib.example/b项目",
            (
                "https://lib.example/a",
                "https://lib.example/b",
            ),
        ),
        ("xhttps://lib.example/a", ()),
        ("https://lib.example/a… more", ("https://lib.example/a",)),
        ("ftp://lib.example/a mailto:a@b.example", ()),
        ("http:// and https://", ()),
        (
            "a https://one.example b http://two.example/x?y=1#z",
            (
                "https://one.example",
                "http://two.example/x?y=1#z",
            ),
        ),
        ('"https://lib.example/q"', ("https://lib.example/q",)),
    ],
)
def test_find_links_edge_cases(text: str, links: tuple[str, ...]) -> None:
    assert find_links(text) == links


def test_find_links_appends_extra_links_after_text_links() -> None:
    links = find_links(
        "https://b.example", ["https://a.example", "mailto:x@y.example", "https://b.example/"]
    )
    assert links == ("https://b.example", "https://a.example")


# --- sections -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("Organisation: Hanoi Library", "organisation"),
        ("1. Organisation: Hanoi Library", "organisation"),
        ("1) **Organization**: Hanoi Library", "organisation"),
        ("I. NAME OF LIBRARY: Hanoi Library", "organisation"),
        ("1 - Organisation: Hanoi Library", "organisation"),
        ("Q1. Organisation: Hanoi Library", "organisation"),
        ("(1) Organisation: Hanoi Library", "organisation"),
        ("1.2 Organisation: Hanoi Library", "organisation"),
        ("> Organisation: Hanoi Library", "organisation"),
        ("### Organisation | Hanoi Library", "organisation"),
        ("- __Library__ - Hanoi Library", "organisation"),
        ("* **Tên thư viện:** Hanoi Library", "organisation"),
        ("Bibliothèque : Hanoi Library", "organisation"),
        ("Nombre de la biblioteca: Hanoi Library", "organisation"),
        ("المكتبة: Hanoi Library", "organisation"),
        ("图书馆名称：Hanoi Library", "organisation"),
        ("Библиотека: Hanoi Library", "organisation"),
        ("Organisation | Hanoi Library |", "organisation"),
        ("| Organisation | Hanoi Library |", "organisation"),
        ("Organisation    Hanoi Library", "organisation"),
        ("Organisation\tHanoi Library", "organisation"),
    ],
)
def test_find_sections_label_forms(line: str, field: str) -> None:
    assert find_sections(line) == ({field: "Hanoi Library"}, True)


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Country", "country"),
        ("Quốc gia", "country"),
        ("Action lines", "action_lines"),
        ("Các dòng hành động WSIS", "action_lines"),
        ("Направления деятельности ВВУИО", "action_lines"),
        ("Líneas de acción", "action_lines"),
        ("Lignes d'action", "action_lines"),
        ("行动方针", "action_lines"),
        ("خطوط العمل", "action_lines"),
        ("Why", "why"),
        ("¿Por qué?", "why"),
        ("Lý do", "why"),
        ("原因", "why"),
        ("Почему", "why"),
        ("السبب", "why"),
        ("Pourquoi", "why"),
        ("Outputs (documents, projects, campaigns, with links)", "outputs"),
        ("Kết quả", "outputs"),
        ("Résultats", "outputs"),
        ("Achievements", "achievements"),
        ("Thành tựu", "achievements"),
        ("Logros", "achievements"),
        ("Trends", "trends"),
        ("Xu hướng", "trends"),
        ("Obstacles", "obstacles"),
        ("Khó khăn", "obstacles"),
        ("障碍", "obstacles"),
        ("Future actions", "future_actions"),
        ("Perspectives futures", "future_actions"),
        ("Próximos pasos", "future_actions"),
        ("Kế hoạch tương lai", "future_actions"),
        ("Дальнейшие действия", "future_actions"),
        ("الإجراءات المستقبلية", "future_actions"),
        ("未来行动", "future_actions"),
        ("未來行動", "future_actions"),
        ("障礙", "obstacles"),
        ("機構", "organisation"),
        ("地區", "country"),
    ],
)
def test_find_sections_labels_in_seven_languages(label: str, field: str) -> None:
    text = f"{label}\nthe text of it\n\n**{label}:** more"
    assert find_sections(text) == ({field: "the text of it\n\nmore"}, True)


def test_find_sections_fullwidth_colon_and_chinese_numbering() -> None:
    text = "一、机构：国家图书馆\n（二）国家：中国"
    assert find_sections(text) == ({"organisation": "国家图书馆", "country": "中国"}, True)


def test_find_sections_chinese_label_and_text_after_one_space() -> None:
    text = "机构　国家图书馆\n国家 中国\n原因 老年读者需要帮助"
    assert find_sections(text) == (
        {"organisation": "国家图书馆", "country": "中国", "why": "老年读者需要帮助"},
        True,
    )


def test_find_sections_runs_to_next_label_and_drops_the_preamble() -> None:
    text = (
        "Dear colleagues, here is our text.\n\n"
        "Organisation: Hanoi Library\n"
        "Why:\nWe train people.\nEvery week.\n"
        "Obstacles:\n\n"
        "Future actions: more training"
    )
    assert find_sections(text) == (
        {
            "organisation": "Hanoi Library",
            "why": "We train people.\nEvery week.",
            "future_actions": "more training",
        },
        True,
    )


def test_find_sections_contact_lines_end_a_section() -> None:
    text = "Why: we care\nContact person: Hoa\nE-mail: hoa@lib.example\nObstacles: money"
    assert find_sections(text) == ({"why": "we care", "obstacles": "money"}, True)


def test_find_sections_contact_lines_alone_are_not_labels_of_a_contribution() -> None:
    assert find_sections("Dear all,\nName: Hoa\nPhone: 123\nWe work on C3.") == ({}, False)


def test_find_sections_organisation_and_country_keep_their_first_line() -> None:
    text = "Library: Hanoi Library\nCountry: Viet Nam\n\nWe trained 300 people in 2025."
    assert find_sections(text) == ({"organisation": "Hanoi Library", "country": "Viet Nam"}, True)


@pytest.mark.parametrize(
    "line", ["Library/Organisation: Hanoi Library", "Name of your library: Hanoi Library"]
)
def test_find_sections_organisation_label_variants(line: str) -> None:
    assert find_sections(line) == ({"organisation": "Hanoi Library"}, True)


def test_find_sections_combined_label_fills_each_field() -> None:
    fields, _ = find_sections("3. Achievements, trends and obstacles: all three")
    assert fields == {"achievements": "all three", "trends": "all three", "obstacles": "all three"}


def test_find_sections_longer_heading_that_starts_with_a_label() -> None:
    fields, _ = find_sections("Future actions at regional and international level:\nA network")
    assert fields == {"future_actions": "A network"}


@pytest.mark.parametrize(
    "text",
    [
        "We improved access to information in 2025.",
        "Why we did it is simple",
        "Library staff trained 300 people",
        "Library activities in 2025:\nmany",
        "Whyever: no",
        "图书馆 2025 年开展了培训",
    ],
)
def test_find_sections_free_text_has_no_labels(text: str) -> None:
    assert find_sections(text) == ({}, False)


# --- language -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The library trained many people in digital skills this year.", "en"),
        ("Thư viện Quốc gia Việt Nam đã tổ chức nhiều hoạt động đào tạo.", "vi"),
        ("La bibliothèque a organisé des ateliers pour les enfants du quartier.", "fr"),
        ("La biblioteca organizó talleres de alfabetización digital para adultos.", "es"),
        ("تقدم المكتبة الوطنية خدمات الوصول إلى المعلومات للجميع", "ar"),
        ("国家图书馆开展了数字素养培训活动", "zh"),
        ("Библиотека провела обучение цифровой грамотности для пожилых людей.", "ru"),
    ],
)
def test_detect_language_returns_iso_639_1(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Letters of one language only among those known: decided without the detector.
        ("Бібліотека провела навчання з цифрової грамотності для літніх людей.", "uk"),
        ("کتابخانه ملی برای همه مردم کارگاه‌های آموزشی برگزار کرد و گزارش داد", "fa"),
        ("Thu vien Quoc gia Viet Nam da to chuc nhieu hoat dong dao tao cho ban doc.", "vi"),
        # One Vietnamese name in English prose is not Vietnamese.
        (
            "The National Library of Việt Nam and our association trained many rural "
            "librarians in digital skills and open access this year.",
            "en",
        ),
    ],
)
def test_detect_language_letters_of_a_neighbour_language_go_to_the_detector(
    text: str, language: str
) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "ok", "C3 https://lib.example/a-long-path", "12345 678"])
def test_detect_language_short_text_is_none(text: str) -> None:
    assert detect_language(text) is None


# --- extract --------------------------------------------------------------------------------------

LABELLED = """\
Organisation: Hanoi Public Library
Country: Viet Nam
Action lines: C3 Access to information; C4
Why: We provide free access to information and train staff.
Outputs: Digital skills handbook https://lib.example/handbook
Achievements: 2,000 readers reached.
Obstacles: Capacity building is underfunded; cultural diversity is hard to serve.
Future actions: A regional network with e-learning.
"""


def test_extract_labelled_body() -> None:
    result = extract(message(LABELLED))
    assert (
        result.source,
        result.labelled,
        result.fields["organisation"],
        result.fields["country"],
        result.action_lines,
        result.links,
        result.word_count,
        result.word_count_method,
        result.language,
    ) == (
        "body",
        True,
        "Hanoi Public Library",
        "Viet Nam",
        ("C3", "C4"),
        ("https://lib.example/handbook",),
        51,
        "word-processor",
        "en",
    )


def test_extract_action_lines_section_rules_over_names_elsewhere() -> None:
    result = extract(message(LABELLED))
    assert (result.action_lines, result.c7_sublines) == (("C3", "C4"), ())


def test_extract_without_section_recognises_lines_in_the_whole_text() -> None:
    body = "Our library works on capacity building and e-learning for rural readers, C8 too."
    result = extract(message(body))
    assert (result.action_lines, result.c7_sublines, result.labelled, result.fields) == (
        ("C4", "C7", "C8"),
        ("e-learning",),
        False,
        {},
    )


def test_extract_empty_section_falls_back_to_the_whole_text() -> None:
    result = extract(message("Action lines:\n\nWhy: capacity building"))
    assert result.action_lines == ("C4",)


def test_extract_cover_note_uses_the_attachment() -> None:
    document = attachment("contribution.docx", LABELLED, links=("https://lib.example/extra",))
    result = extract(message("Please find our contribution attached.", attachments=(document,)))
    assert (result.source, result.word_count, result.links, result.text) == (
        "attachment:contribution.docx",
        51,
        ("https://lib.example/handbook", "https://lib.example/extra"),
        LABELLED.strip(),
    )


def test_extract_full_text_holds_body_and_attachments() -> None:
    document = attachment("contribution.txt", "Attached text.")
    result = extract(message("Body text.", attachments=(document,)))
    assert result.full_text == "Body text.\n\nAttached text."


def test_extract_body_and_attachment_with_substance_are_both_used() -> None:
    document = attachment("more.pdf", f"Capacity building {FILLER}")
    result = extract(message(f"C3 {FILLER}", attachments=(document,)))
    assert (result.source, result.word_count, result.action_lines) == (
        "body+attachment:more.pdf",
        93,
        ("C3", "C4"),
    )


def test_extract_substantial_body_ignores_a_short_attachment() -> None:
    document = attachment("note.txt", "C9 only")
    result = extract(message(f"C3 {FILLER}", attachments=(document,)))
    assert (result.source, result.action_lines) == ("body", ("C3",))


def test_extract_ignores_attachments_that_are_not_documents() -> None:
    image = attachment("logo.png", "", problem="unsupported_type", content_type="image/png")
    result = extract(message("C3 short note", attachments=(image,)))
    assert (result.source, result.unreadable) == ("body", ())


def test_extract_reports_unreadable_documents() -> None:
    old = attachment("contribution.doc", "", problem="unsupported_type")
    broken = attachment("report.pdf", "", problem="unreadable")
    result = extract(message("See attached.", attachments=(old, broken)))
    assert result.unreadable == ("contribution.doc", "report.pdf")


def test_extract_links_from_html_anchors() -> None:
    result = extract(message("Our report is online.", links=("https://lib.example/r",)))
    assert result.links == ("https://lib.example/r",)


def test_extract_language_of_the_sections_not_of_the_labels() -> None:
    body = (
        "Name of your library or organisation: Thư viện tỉnh\n"
        "WSIS Action Lines (please give the codes, e.g. C3, C8): C3\n"
        "Why (explain how your work relates to the action lines): Số hóa tài liệu.\n"
        "Outputs (documents, projects or campaigns, with links): Cổng thông tin\n"
        "Achievements, trends and obstacles: Thiếu kinh phí\n"
        "Future actions (regional and international initiatives): Hợp tác"
    )
    result = extract(message(body))
    assert (detect_language(body), result.language, result.fields["organisation"]) == (
        "en",
        "vi",
        "Thư viện tỉnh",
    )


def test_extract_empty_message() -> None:
    result = extract(message(""))
    assert (result.text, result.word_count, result.language, result.action_lines) == (
        "",
        0,
        None,
        (),
    )


@pytest.mark.parametrize(
    ("line", "sections"),
    [
        (" " * 1990 + "x", ({}, False)),
        ("* " * 995 + "x", ({}, False)),
        ("> " * 995, ({}, False)),
        ("Why" + " " * 1990 + "x", ({"why": "x"}, True)),
        ("b" * 150_000, ({}, False)),
    ],
)
def test_find_sections_and_action_lines_stay_linear_on_pathological_lines(
    line: str, sections: tuple[dict[str, str], bool]
) -> None:
    # Guarded by pytest-timeout: a regex that backtracks would take minutes here.
    assert (find_sections(line), find_action_lines(line)) == (sections, ())


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_extract_never_raises(text: str) -> None:
    result = extract(message(text, attachments=(attachment("a.txt", text),)))
    assert result.word_count >= 0


def _corpus_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.csv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return [row["file"] for row in csv.DictReader(handle)]


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
@pytest.mark.parametrize("path", _corpus_files())
def test_extract_and_judge_hold_their_invariants_on_real_world_mail(path: str) -> None:
    contribution = extract(read_message((CORPUS / path).read_bytes()))
    verdict = judge(
        contribution,
        is_member=True,
        received_at=datetime(2025, 9, 10, tzinfo=UTC),
        authentication_results=(),
        rules=Rules(),
    )
    assert (
        contribution.word_count == count_words(contribution.text),
        contribution.action_lines == tuple(sorted(set(contribution.action_lines), key=_number)),
        all(re.fullmatch(r"C(?:[1-9]|1[01])", code) for code in contribution.action_lines),
        all(link.lower().startswith(("http://", "https://")) for link in contribution.links),
        len(set(contribution.links)) == len(contribution.links),
        ("empty" in verdict.codes())
        == (contribution.word_count == 0 and "unreadable_attachment" not in verdict.codes()),
    ) == (True, True, True, True, True, True), path


def _number(code: str) -> int:
    return int(code[1:])


def test_find_sections_label_before_a_long_line_keeps_all_its_text() -> None:
    prose = "Thư viện đã tổ chức nhiều lớp học về kỹ năng số cho người dân nông thôn. " * 20

    fields, labelled = find_sections(f"Obstacles: {prose}\nFuture actions: more")

    assert fields == {"obstacles": prose.strip(), "future_actions": "more"}
    assert labelled


# --- invisible marks, bare www links, long label lines, duplicated text ------------------------

AR_MARKED = (
    "\u200fالمؤسسة: مكتبة الواحة العامة\n"
    "\u200fخطوط العمل: \u2067C3\u2069 الوصول إلى المعلومات والمعرفة\n"
    "\u200fالسبب: نقدم للأسر خدمات المعلومات وبناء القدرات في الأحياء.\n"
)


def test_extract_invisible_marks_do_not_hide_labels_or_add_action_lines() -> None:
    contribution = extract(message(AR_MARKED))
    assert (contribution.fields["organisation"], contribution.action_lines) == (
        "مكتبة الواحة العامة",
        ("C3",),
    )
    assert contribution.text.startswith("\u200fالمؤسسة")  # the stored text keeps the marks


@pytest.mark.parametrize(
    "mark", ["\u200e", "\u200f", "\u061c", "\u202b", "\u2067", "\u200b", "\ufeff", "\u00ad"]
)
def test_extract_each_invisible_mark_before_a_label_is_ignored(mark: str) -> None:
    contribution = extract(message(f"{mark}Organisation: Lakeside Library\nAction lines: C3\n"))
    assert contribution.fields["organisation"] == "Lakeside Library"


def test_count_words_of_visible_text_ignores_marks_between_words() -> None:
    contribution = extract(message("C3 \u200f \u200e libraries\u00ad for all"))
    assert contribution.word_count == 4


def test_find_links_bare_www_gets_a_scheme() -> None:
    assert find_links("See www.lakeside-library.example.org/wsis, and (www.x.example.net).") == (
        "https://www.lakeside-library.example.org/wsis",
        "https://www.x.example.net",
    )


def test_find_links_www_inside_a_url_or_address_is_not_a_second_link() -> None:
    text = "https://www.lib.example.org/a and info@www.lib.example.org"
    assert find_links(text) == ("https://www.lib.example.org/a",)


def test_find_sections_label_before_a_very_long_line_is_a_label() -> None:
    long_text = "We trained teachers in the villages. " * 80  # over 2,000 characters
    fields, labelled = find_sections(f"Trends: {long_text}\nObstacles: Funding.")
    assert (labelled, fields["trends"], fields["obstacles"]) == (
        True,
        long_text.strip(),
        "Funding.",
    )


EN_PASTED = (
    "Organisation: Lakeside Library\nAction lines: C3 Access to information\n"
    "Why: we lend e-readers and teach digital skills in twelve villages around the lake, "
    "with volunteers from the secondary school and the county council."
)


def test_extract_body_and_attachment_with_the_same_text_count_once() -> None:
    sent = message(
        f"Dear coordinator,\n\n{EN_PASTED}\n\nBest regards,\nAnna",
        attachments=(attachment("wsis.docx", EN_PASTED),),
    )
    contribution = extract(sent)
    assert (contribution.source, contribution.word_count, contribution.fields["why"]) == (
        "attachment:wsis.docx (the body has the same text)",
        count_words(EN_PASTED),
        EN_PASTED.split("Why: ")[1],
    )


def test_extract_body_and_a_different_attachment_are_both_read() -> None:
    other = "Annex: " + " ".join(f"item{n}" for n in range(60))
    contribution = extract(message(EN_PASTED, attachments=(attachment("annex.txt", other),)))
    assert contribution.source == "body+attachment:annex.txt"
