"""Private remarks to the coordinator stay out of the report: mail as members write it, read as a
poll reads it (`mailflow.reading.prepare.read`), then as the report reads it
(`mailflow.report.content.read_content`)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.reading.prepare import read
from mailflow.report import ReportEntry, ReportMeta, compile_report
from mailflow.report.content import Content, read_content
from mailflow.report.remarks import without_private_remarks


def mail(body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Member <member@members.test>"
    message["To"] = "wsis@association.test"
    message["Subject"] = "WSIS contribution"
    message["Message-ID"] = "<remark@members.test>"
    message.set_content(body)
    return message.as_bytes()


def report_reading(body: str) -> Content:
    _text, contribution = read(mail(body))
    return read_content(contribution.text, contribution.fields)


FREE_TEXTS = {
    "en_greeting_sentence_and_postscript": (
        "Dear coordinator, I am sending this from my personal address because our\n"
        "server is down. Our library trained 300 people in digital skills (C4), see\n"
        "https://lakeside.example.org/skills.\n"
        "\n"
        "PS: please don't publish my phone number\n",
        "Our library trained 300 people in digital skills (C4), see\n"
        "https://lakeside.example.org/skills.",
    ),
    "en_aside_in_brackets": (
        "Our library runs a free e-government help desk (C7) (note for the coordinator:\n"
        "the figures are provisional). We will open a second desk in 2026.\n",
        "Our library runs a free e-government help desk (C7). We will open a second desk in 2026.",
    ),
    "fr_entre_nous": (
        "Bonjour Marie,\n"
        "\n"
        "La bibliothèque municipale a numérisé 2 000 ouvrages anciens (C8). Entre nous,\n"
        "le ministère a réduit notre budget de moitié. Nous préparons un atelier régional\n"
        "sur la conservation numérique pour 2026.\n"
        "\n"
        "Cordialement,\n"
        "Claire\n",
        "La bibliothèque municipale a numérisé 2 000 ouvrages anciens (C8). "
        "Nous préparons un atelier régional\n"
        "sur la conservation numérique pour 2026.",
    ),
    "es_aside_and_posdata": (
        "Nuestra biblioteca formó a 300 personas en competencias digitales (C4)\n"
        "(nota para la coordinadora: no publique mi teléfono). Seguiremos en 2026.\n"
        "\n"
        "P.D.: mi móvil es el 555 1234.\n",
        "Nuestra biblioteca formó a 300 personas en competencias digitales (C4). "
        "Seguiremos en 2026.",
    ),
    "ru_between_us_and_not_for_publication": (
        "Здравствуйте!\n"
        "Наша библиотека провела 40 семинаров по цифровой грамотности (C4). Между\n"
        "нами, финансирование сократили вдвое. Не для публикации: директор уходит.\n"
        "В 2026 году мы откроем центр для пожилых читателей.\n",
        "Наша библиотека провела 40 семинаров по цифровой грамотности (C4). "
        "В 2026 году мы откроем центр для пожилых читателей.",
    ),
    "zh_apology_and_do_not_publish": (
        "我们图书馆开展了数字素养培训（C4），共有500人参加。不好意思，我用个人邮箱发送。"
        "请勿公开我的电话号码。明年我们将把项目扩大到农村地区。\n",
        "我们图书馆开展了数字素养培训（C4），共有500人参加。明年我们将把项目扩大到农村地区。",
    ),
    "ar_between_us_and_please_do_not_publish": (
        "أطلقت المكتبة الوطنية برنامجاً لمحو الأمية الرقمية في المدارس (C4). بيني وبينك،"
        " الميزانية قليلة جداً. يرجى عدم نشر رقم هاتفي. سنواصل البرنامج في عام 2026.\n",
        "أطلقت المكتبة الوطنية برنامجاً لمحو الأمية الرقمية في المدارس (C4). "
        "سنواصل البرنامج في عام 2026.",
    ),
    "vi_apology_and_between_us": (
        "Kính gửi anh chị,\n"
        "Thư viện tỉnh đã số hóa 1.200 tài liệu về di sản văn hóa địa phương (C8).\n"
        "Xin lỗi vì gửi muộn. Nói riêng với anh, kinh phí năm nay bị cắt giảm.\n"
        "Năm tới chúng tôi sẽ mở rộng dự án sang các huyện miền núi.\n",
        "Thư viện tỉnh đã số hóa 1.200 tài liệu về di sản văn hóa địa phương (C8).\n"
        "Năm tới chúng tôi sẽ mở rộng dự án sang các huyện miền núi.",
    ),
}


@pytest.mark.parametrize("name", sorted(FREE_TEXTS))
def test_free_text_leaves_out_private_remarks(name: str) -> None:
    body, expected = FREE_TEXTS[name]

    content = report_reading(body)

    assert (content.fields.get("why"), content.free_text) == (None, expected), name


def test_labelled_field_leaves_out_a_private_sentence_and_aside() -> None:
    body = (
        "Organización: Biblioteca Pública de Cusco\n"
        "País: Perú\n"
        "Líneas de acción: C3\n"
        "Por qué: Ofrecemos acceso libre a la información local.\n"
        "Obstáculos: Falta de fondos para conservar los fondos locales. Entre nosotros,\n"
        "el director no apoya el proyecto.\n"
        "Acciones futuras: Un catálogo regional en 2026 (sólo para la coordinadora: aún\n"
        "no está aprobado).\n"
    )

    content = report_reading(body)

    assert (content.fields["obstacles"], content.fields["future_actions"]) == (
        "Falta de fondos para conservar los fondos locales.",
        "Un catálogo regional en 2026.",
    )


def test_members_english_version_leaves_out_private_remarks_too() -> None:
    body = (
        "Thư viện đã tổ chức 12 lớp kỹ năng số cho người cao tuổi (C4).\n"
        "\n"
        "English version:\n"
        "The library ran 12 digital skills classes for older people (C4). Between you\n"
        "and me, we are short of staff.\n"
    )

    content = report_reading(body)

    assert (content.free_text, content.english_text, content.english_by) == (
        "Thư viện đã tổ chức 12 lớp kỹ năng số cho người cao tuổi (C4).",
        "The library ran 12 digital skills classes for older people (C4).",
        "member",
    )


KEPT = {
    "a word inside a sentence": (
        "Our reading campaign was kept confidential until its launch in 2024."
    ),
    "a mail-sentence with a link": (
        "Sorry, the results are not in yet: they will be on https://lib.example.org/2026."
    ),
    "a mail-sentence naming an action line": "Please find below our work on C4 capacity building.",
    "a long mail-sentence": (
        "I am writing about the project we started with the regional university, which brought "
        "reading clubs, digital skills classes and a mobile library to twelve villages where the "
        "nearest branch is more than forty kilometres away, and which the council now wants to "
        "extend."
    ),
    "a greeting-like title": "Madame Bovary reading circles met 40 times in 2025.",
    "a negation that is not a request": "We do not publish a printed catalogue any more.",
    "a Chinese sentence with 公开 inside": "我们图书馆向公众公开了全部地方文献。",
}


@pytest.mark.parametrize("name", sorted(KEPT))
def test_private_remarks_keep_sentences_that_are_not_clearly_private(name: str) -> None:
    assert without_private_remarks(KEPT[name]) == KEPT[name], name


def test_greeting_paragraph_with_a_link_keeps_all_but_its_greeting_and_private_sentences() -> None:
    body = (
        "Dear colleagues, our new catalogue is at https://lib.example.org/catalogue. Sorry for\n"
        "the delay.\n"
        "\n"
        "We trained 80 teachers in information literacy (C4).\n"
    )

    content = report_reading(body)

    assert content.free_text == (
        "Our new catalogue is at https://lib.example.org/catalogue.\n\n"
        "We trained 80 teachers in information literacy (C4)."
    )


def test_coordinators_edit_is_taken_as_written() -> None:
    edited = "Entre nous, the library doubled its opening hours (C3)."

    content = read_content("Why: anything", {"why": "anything"}, edited=edited)

    assert content.free_text == edited


def test_compile_leaves_private_remarks_out_of_the_report_and_its_files() -> None:
    text = (
        "Dear coordinator, I am sending this from my personal address because our server is "
        "down. Our library trained 300 people in digital skills (C4).\n\n"
        "Entre nous, the council may close two branches.\n\n"
        "PS: please don't publish my phone number, +84 90 123 4567."
    )
    entry = ReportEntry(
        submission_id=1,
        organisation="Lakeside Library",
        country="Viet Nam",
        member_name="Lan",
        member_address="lan@members.test",
        language="en",
        action_lines=("C4",),
        text=text,
        fields={},
        links=(),
        word_count=50,
        received_at=datetime(2025, 9, 10, 8, 30, tzinfo=UTC),
    )
    meta = ReportMeta(
        association="Example Library Association",
        campaign="WSIS 2025",
        deadline=datetime(2025, 9, 30, 16, 59, 59, tzinfo=UTC),
        word_limit=200,
        recipient="maria.debrasdefer@ifla.org",
        compiled_at=datetime(2025, 10, 1, 9, 0, tzinfo=UTC),
    )

    report = compile_report([entry], meta)

    files = {name: data for name, _mime, data in report.attachments}
    item = json.loads(files["contributions.json"])["contributions"][0]
    assert item["text"] == "Our library trained 300 people in digital skills (C4)."
    private = ("personal address", "council", "phone", "4567", "Entre nous", "Dear coordinator")
    for phrase in private:
        assert phrase not in report.text, phrase
        assert phrase not in report.html, phrase


def test_private_aside_on_a_paragraphs_first_line_keeps_the_paragraph_break() -> None:
    text = "We opened a makerspace (C4).\n\n(not for publication) Attendance doubled in 2025."

    assert without_private_remarks(text) == (
        "We opened a makerspace (C4).\n\nAttendance doubled in 2025."
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*" \t\n.!?()[]（）。，,:PpSs", "P.S.", "Entre nous, ", "Dear x, ", "Sorry ", "C4"]
        ),
        max_size=80,
    ).map("".join)
)
def test_private_remarks_never_raise_and_never_add_text(text: str) -> None:
    cleaned = without_private_remarks(text)

    assert len(cleaned) <= len(text)


def test_private_remarks_take_linear_time_on_long_runs() -> None:
    hostile = (" " * 50_000 + "(") + ("a. " * 30_000) + "\n" * 20_000 + "Sorry" * 10_000
    started = time.perf_counter()

    without_private_remarks(hostile)

    assert time.perf_counter() - started < 2.0


# One opening of each kind in each language: each goes, whole, from a text that says more.
OPENINGS = [
    "P.S. Call me on my mobile",
    "PS: my number is 555 0100",
    "Note for the coordinator: the figures are provisional",
    "Between you and me, the budget was cut",
    "Off the record, the director is leaving",
    "Please don't publish the figures yet",
    "I am sending this from my personal address",
    "Sorry for the late reply",
    "Please confirm receipt",
    "Let me know if you need anything else",
    "Entre nous, le budget a baissé",
    "Merci de ne pas publier mon numéro",
    "Je vous envoie ce texte depuis mon adresse personnelle",
    "Désolée pour le retard",
    "N’hésitez pas à m’appeler",
    "Entre nosotros, el presupuesto bajó",
    "Por favor, no publique mi teléfono",
    "Le envío esto desde mi correo personal",
    "Disculpe la demora",
    "P.D.: mi móvil es el 555 0100",
    "Между нами, бюджет сократили",
    "Пожалуйста, не публикуйте мой телефон",
    "Извините за задержку",
    "Не стесняйтесь звонить мне",
    "私下说，预算减少了",
    "请勿公开我的电话号码",
    "不好意思，我用个人邮箱发送",
    "如有问题请联系我",
    "بيني وبينك، الميزانية قليلة",
    "يرجى عدم نشر رقم هاتفي",
    "أعتذر عن التأخير",
    "Nói riêng với anh, kinh phí bị cắt",
    "Xin đừng công bố số điện thoại của tôi",
    "Xin lỗi vì gửi muộn",
    "Tái bút: số của tôi là 0901",
]


@pytest.mark.parametrize("opening", OPENINGS)
def test_private_remark_goes_in_every_language(opening: str) -> None:
    text = f"Our library trained 300 readers.\n\n{opening}."

    assert without_private_remarks(text) == "Our library trained 300 readers.", opening
