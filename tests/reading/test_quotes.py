"""Specifications of `mailflow.reading.quotes.strip_reply`: quotes, forwards, signatures,
disclaimers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.reading.mime import FORWARD_MARKER
from mailflow.reading.quotes import Stripped, strip_reply

# --- quoted replies -----------------------------------------------------------------------------

REPLY_HEADERS = [
    ("en", "On Mon, Sep 8, 2025 at 10:00 AM WSIS Team <wsis@assoc.test> wrote:"),
    ("en-thunderbird", "On 08/09/2025 10:00, WSIS Team wrote:"),
    ("fr", "Le lun. 8 sept. 2025 à 10:00, Équipe SMSI <wsis@assoc.test> a écrit :"),
    ("es", "El lun, 8 sept 2025 a las 10:00, Equipo CMSI (<wsis@assoc.test>) escribió:"),
    ("de", "Am 08.09.2025 um 10:00 schrieb WSIS Team <wsis@assoc.test>:"),
    ("vi", "Vào Th 2, 8 thg 9, 2025 vào lúc 10:00 Nhóm WSIS <wsis@assoc.test> đã viết:"),
    ("ru", "08.09.2025 10:00 пользователь WSIS <wsis@assoc.test> написал:"),
    ("zh", "WSIS coordinator <wsis@assoc.test> 于2025年9月16日周二 10:02写道："),
    ("zh-date-first", "在 2025年9月16日周二 10:02，WSIS <wsis@assoc.test> 写道："),
]


@pytest.mark.parametrize(("language", "header"), REPLY_HEADERS, ids=[h[0] for h in REPLY_HEADERS])
def test_strip_reply_quote_under_reply_header_removed(language: str, header: str) -> None:
    text = f"Action lines: C3, C7.\n\n{header}\n> Please send your contribution.\n> Thanks\n"

    assert strip_reply(text) == Stripped("Action lines: C3, C7.", ("quote",))


def test_strip_reply_wrapped_reply_header_removed() -> None:
    text = (
        "Action lines: C3.\n\nOn Mon, Sep 8, 2025 at 10:00 AM Nguyen Van An <\n"
        "wsis@assoc.test> wrote:\n\n> Please send\n"
    )

    assert strip_reply(text) == Stripped("Action lines: C3.", ("quote",))


OUTLOOK_BLOCKS = [
    (
        "en",
        "From: WSIS <w@a.test>\nSent: Monday, September 8, 2025 10:00 AM\nTo: Hoa\nSubject: Call",
    ),
    ("fr", "De : WSIS <w@a.test>\nEnvoyé : lundi 8 septembre 2025 10:00\nÀ : Hoa\nObjet : Appel"),
    (
        "es",
        "De: WSIS <w@a.test>\nEnviado: lunes, 8 de septiembre de 2025\nPara: Hoa\nAsunto: Aviso",
    ),
    (
        "de",
        "Von: WSIS <w@a.test>\nGesendet: Montag, 8. September 2025 10:00\nAn: Hoa\nBetreff: Aufruf",
    ),
    (
        "vi",
        "Từ: WSIS <w@a.test>\nĐã gửi: Thứ Hai, 8 tháng 9, 2025 10:00\nĐến: Hoa\nChủ đề: Thư mời",
    ),
    (
        "bold",
        "*From:* WSIS <w@a.test>\n*Sent:* Monday, September 8, 2025\n*To:* Hoa\n*Subject:* Call",
    ),
]


@pytest.mark.parametrize(("language", "block"), OUTLOOK_BLOCKS, ids=[b[0] for b in OUTLOOK_BLOCKS])
def test_strip_reply_outlook_header_block_cuts(language: str, block: str) -> None:
    text = f"Action lines: C4.\n\n________________________________\n{block}\n\nPlease send.\n"

    assert strip_reply(text) == Stripped("Action lines: C4.", ("quote",))


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "----- Original Message -----",
        "-----Message d'origine-----",
        "-----Mensaje original-----",
        "-----Ursprüngliche Nachricht-----",
    ],
)
def test_strip_reply_original_message_separator_cuts(separator: str) -> None:
    text = f"Action lines: C4.\n\n{separator}\nFrom: WSIS\nTo: Hoa\n\nPlease send.\n"

    assert strip_reply(text) == Stripped("Action lines: C4.", ("quote",))


def test_strip_reply_bottom_posted_reply_kept() -> None:
    text = (
        "On Mon, Sep 8, 2025 at 10:00 AM WSIS <w@a.test> wrote:\n"
        "> Please send\n> your text\n\nAction lines: C4.\n"
    )

    assert strip_reply(text) == Stripped("Action lines: C4.", ("quote",))


def test_strip_reply_quoted_lines_without_header_removed() -> None:
    text = "Action lines: C4.\n> Please send\n> your text\n"

    assert strip_reply(text) == Stripped("Action lines: C4.", ("quote",))


def test_strip_reply_single_greater_than_line_kept() -> None:
    text = "Achievements:\n> 300 librarians trained"

    assert strip_reply(text) == Stripped(text, ())


def test_strip_reply_reply_with_empty_top_is_empty() -> None:
    text = "On Mon, Sep 8, 2025 at 10:00 AM WSIS <w@a.test> wrote:\n\n> Action lines: C4.\n"

    assert strip_reply(text) == Stripped("", ("quote",))


# --- lines that only look like headers -----------------------------------------------------------


def test_strip_reply_from_sentence_not_a_header() -> None:
    text = "From 2024 we trained 300 librarians.\nSent to all provinces: yes.\nTo: be continued"

    assert strip_reply(text) == Stripped(text, ())


def test_strip_reply_template_labels_not_a_header() -> None:
    text = "Organization: Hanoi Library\nDate: 2025\nSubject: digital literacy\nAction lines: C3"

    assert strip_reply(text) == Stripped(text, ())


def test_strip_reply_sentence_ending_wrote_without_date_kept() -> None:
    text = "Outputs: a guide.\nOn our blog we wrote:\nReading matters."

    assert strip_reply(text) == Stripped(text, ())


# --- forwards -----------------------------------------------------------------------------------

FORWARDED = (
    "From: Lan <lan@lib.vn>\nDate: Mon, 8 Sep 2025 10:00\nSubject: WSIS\nTo: Hoa <hoa@lib.vn>\n\n"
    "Organisation: Hanoi Library\nAction lines: C3\n\nBest regards,\nLan\nDirector\n"
)


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        FORWARD_MARKER,
        "-------- Message transféré --------",
        "---------- Mensaje reenviado ----------",
        "---------- Weitergeleitete Nachricht ----------",
        "---------- Thư đã chuyển tiếp ----------",
        "Begin forwarded message:",
    ],
)
def test_strip_reply_forward_with_empty_top_keeps_forwarded_text(marker: str) -> None:
    text = f"\n\n{marker}\n{FORWARDED}"

    assert strip_reply(text) == Stripped(
        "Organisation: Hanoi Library\nAction lines: C3", ("forward", "signature")
    )


def test_strip_reply_forward_under_cover_note_keeps_forwarded_text() -> None:
    text = (
        f"Please see our contribution below.\n\nBest regards,\nHoa\n\n{FORWARD_MARKER}\n{FORWARDED}"
    )

    assert strip_reply(text) == Stripped(
        "Organisation: Hanoi Library\nAction lines: C3",
        ("signature", "forward", "cover_note"),
    )


def test_strip_reply_outlook_forward_with_empty_top_keeps_text() -> None:
    text = (
        "________________________________\nFrom: Lan <lan@lib.vn>\n"
        "Sent: Monday, September 8, 2025 10:00 AM\nTo: Hoa\nSubject: FW: WSIS contribution\n\n"
        "Action lines: C8\n"
    )

    assert strip_reply(text) == Stripped("Action lines: C8", ("forward",))


def test_strip_reply_forward_below_own_contribution_removed() -> None:
    own = " ".join(["We trained librarians in digital skills across the province."] * 5)
    text = f"{own}\n\n{FORWARD_MARKER}\n{FORWARDED}"

    assert strip_reply(text) == Stripped(own, ("forward",))


def test_strip_reply_forward_without_headers_keeps_labelled_text() -> None:
    text = f"{FORWARD_MARKER}\n\nOrganisation: Hanoi Library\nAction lines: C3"

    assert strip_reply(text) == Stripped(
        "Organisation: Hanoi Library\nAction lines: C3", ("forward",)
    )


# --- signatures ---------------------------------------------------------------------------------


def test_strip_reply_dash_dash_signature_removed() -> None:
    text = "Action lines: C3.\n\n-- \nHoa Nguyen\nHanoi Library\n+84 24 1234 5678\n"

    assert strip_reply(text) == Stripped("Action lines: C3.", ("signature",))


@pytest.mark.parametrize(
    "line",
    [
        "Sent from my iPhone",
        "Envoyé de mon iPhone",
        "Enviado desde mi iPhone",
        "Được gửi từ iPhone của tôi",
    ],
)
def test_strip_reply_sent_from_device_removed(line: str) -> None:
    assert strip_reply(f"Action lines: C3.\n\n{line}\n") == Stripped(
        "Action lines: C3.", ("signature",)
    )


@pytest.mark.parametrize(
    "closing",
    ["Best regards,", "Cordialement,", "Atentamente,", "Mit freundlichen Grüßen", "Trân trọng,"],
)
def test_strip_reply_closing_with_name_block_removed(closing: str) -> None:
    name_block = "Nguyễn Thị Hoa\nDirector, Hanoi Library\nTel: +84 24 1234\n"
    text = f"Action lines: C3.\n\n{closing}\n{name_block}"

    assert strip_reply(text) == Stripped("Action lines: C3.", ("signature",))


def test_strip_reply_closing_and_name_on_one_line_removed() -> None:
    assert strip_reply("Action lines: C3.\nRegards, Hoa Nguyen") == Stripped(
        "Action lines: C3.", ("signature",)
    )


def test_strip_reply_sentence_starting_with_thanks_kept() -> None:
    text = "Action lines: C3.\nThanks to UNESCO we trained 300 librarians."

    assert strip_reply(text) == Stripped(text, ())


def test_strip_reply_last_line_of_contribution_kept() -> None:
    text = "Action lines: C3.\nFuture actions:\nA regional workshop"

    assert strip_reply(text) == Stripped(text, ())


def test_strip_reply_hyphen_bullets_kept() -> None:
    text = "Outputs:\n- Reading app\n- Portal\n\nObstacles: funding."

    assert strip_reply(text) == Stripped(text, ())


def test_strip_reply_closing_before_long_text_kept() -> None:
    long_line = "We will extend the programme to twelve provinces with support from partners."
    text = f"Action lines: C3.\nThank you\n{long_line}\n{long_line}"

    assert strip_reply(text) == Stripped(text, ())


# --- disclaimers --------------------------------------------------------------------------------

DISCLAIMERS = [
    "This email and any attachments are confidential and intended solely for the addressee.",
    "CONFIDENTIALITY NOTICE: The contents of this email message are confidential.",
    "Ce message et toutes les pièces jointes sont confidentiels et réservés à leurs destinataires.",
    "AVERTISSEMENT : Ce message et ses pièces jointes sont confidentiels et destinés à ses seuls "
    "destinataires.",
    "Este mensaje y sus anexos son confidenciales. Si usted no es el destinatario, bórrelo.",
    "Thư điện tử này và các tệp đính kèm có thể chứa thông tin bảo mật.",
    "Diese E-Mail enthält vertrauliche Informationen.",
]


@pytest.mark.parametrize("disclaimer", DISCLAIMERS)
def test_strip_reply_disclaimer_removed(disclaimer: str) -> None:
    text = f"Action lines: C3.\nWe trained 300 librarians.\n\n{disclaimer}\nMore legal text.\n"

    assert strip_reply(text) == Stripped(
        "Action lines: C3.\nWe trained 300 librarians.", ("disclaimer",)
    )


def test_strip_reply_disclaimer_after_signature_removes_both() -> None:
    text = (
        "Action lines: C3.\n\nBest regards,\nHoa\n\n"
        "This email and any attachments are confidential. If you are not the intended recipient, "
        "please delete it.\n"
    )

    assert strip_reply(text) == Stripped("Action lines: C3.", ("disclaimer", "signature"))


def test_strip_reply_disclaimer_without_blank_line_cut_at_its_line() -> None:
    text = "Action lines: C3.\nThis email and any attachments are confidential.\nDelete it."

    assert strip_reply(text) == Stripped("Action lines: C3.", ("disclaimer",))


def test_strip_reply_external_sender_banner_removed() -> None:
    text = (
        "CAUTION: This email originated from outside of the organization. Do not click links.\n\n"
        "Action lines: C3."
    )

    assert strip_reply(text) == Stripped("Action lines: C3.", ("disclaimer",))


def test_strip_reply_crlf_and_trailing_spaces_normalised() -> None:
    assert strip_reply("Action lines: C3.  \r\nWe did it.\r\n") == Stripped(
        "Action lines: C3.\nWe did it.", ()
    )


# --- properties ---------------------------------------------------------------------------------

LINE_PIECES = [
    "Action lines: C3",
    "On Mon, 8 Sep 2025 WSIS <w@a.test> wrote:",
    "> quoted",
    "From: WSIS <w@a.test>",
    "Sent: Monday 8 September 2025",
    "Subject: FW: WSIS",
    FORWARD_MARKER,
    "-- ",
    "Best regards,",
    "Hoa",
    "This email and any attachments are confidential.",
    "",
]


@given(
    st.lists(st.one_of(st.sampled_from(LINE_PIECES), st.text(max_size=80)), max_size=40).map(
        "\n".join
    )
)
@settings(max_examples=300, deadline=None)
def test_strip_reply_only_removes_lines(text: str) -> None:
    result = strip_reply(text)

    normalised = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert set(result.text.split("\n")) <= {line.rstrip() for line in normalised} | {""}
    assert set(result.removed) <= {"quote", "forward", "signature", "disclaimer", "cover_note"}


def test_strip_reply_very_long_line_returned_whole() -> None:
    text = "On " + "2025 <a@b.c> " * 15_000 + "wrote"

    assert strip_reply(text) == Stripped(text.rstrip(), ())


def test_strip_reply_many_closings_in_a_row_kept() -> None:
    text = "Action lines: C3.\n" + "Best regards,\n" * 2_000 + "We trained 300 librarians in 2025."

    assert strip_reply(text) == Stripped(text, ())


# --- attributions and sign-offs as the common clients write them ------------------------------

QUOTED = "> Thank you for your contribution.\n> Action lines: C3\n"


@pytest.mark.parametrize(
    ("own", "attribution"),
    [
        (
            "Thanks!",
            "On Mon, 15 Sep 2025 at 10:00, WSIS coordinator\n<wsis@association.example> wrote:",
        ),
        (
            "Unser Text.",
            "Hans Müller <wsis@association.example> schrieb am Mo., 15. Sept. 2025, 10:00:",
        ),
        ("Unser Text.", "Am 15.09.2025 um 10:00 schrieb WSIS coordinator:"),
        ("Onze tekst.", "Op 15 sep. 2025 om 10:00 heeft WSIS coordinator het volgende geschreven:"),
        (
            "Onze tekst.",
            "Op ma 15 sep. 2025 schreef WSIS coordinator <wsis@association.example> het volgende:",
        ),
        ("Наш текст.", "15 сентября 2025 г., в 10:00, пользователь WSIS coordinator написал:"),
        ("Our text.", "WSIS coordinator <wsis@association.example> wrote:"),
        ("Our text.", "2016-03-03 17:21 GMT+01:00 WSIS coordinator <wsis@association.example>:"),
        ("Our text.", "2016-03-03 17:21 GMT+01:00 WSIS coordinator:"),
    ],
)
def test_strip_reply_attribution_lines_of_common_clients(own: str, attribution: str) -> None:
    assert strip_reply(f"{own}\n\n{attribution}\n{QUOTED}") == Stripped(own, ("quote",))


def test_strip_reply_name_and_address_wrote_without_quote_marks_below() -> None:
    text = (
        "Our text.\n\nWSIS coordinator <wsis@association.example> wrote:\n"
        "Thank you for your contribution.\nAction lines: C3\n"
    )
    assert strip_reply(text) == Stripped("Our text.", ("quote",))


def test_strip_reply_zoho_separator_line() -> None:
    text = (
        "Our text.\n\n---- On Mon, 15 Sep 2025 10:00:00 +0700 WSIS coordinator "
        "<wsis@association.example> wrote ----\n\nThank you for your contribution.\n"
    )
    assert strip_reply(text) == Stripped("Our text.", ("quote",))


@pytest.mark.parametrize(
    "block",
    [
        "From: WSIS coordinator <wsis@association.example>\nDate: Monday, 15 September 2025 at "
        "10:00\nTo: Hoa <hoa@lib.example.vn>\nSubject: Re: WSIS 2025",  # Outlook for Mac
        "Da: WSIS coordinator <wsis@association.example>\nInviato: lunedì 15 settembre 2025 "
        "10:00\nA: Hoa\nOggetto: WSIS 2025",  # Italian Outlook
    ],
)
def test_strip_reply_header_blocks_of_outlook(block: str) -> None:
    text = f"Our text.\n\n{block}\n\nThank you for your contribution.\nAction lines: C3\n"
    assert strip_reply(text) == Stripped("Our text.", ("quote",))


def test_strip_reply_keeps_the_text_below_an_unquoted_attribution() -> None:
    text = (
        "On Mon, 15 Sep 2025 at 10:00, WSIS coordinator wrote:\n"
        f"{QUOTED}\nHere is our corrected text with C4.\n"
    )
    assert strip_reply(text) == Stripped("Here is our corrected text with C4.", ("quote",))


def test_strip_reply_keeps_a_long_cover_note_above_begin_forwarded_message() -> None:
    note = (
        "Dear coordinator, below is our contribution for this year: we lend e-readers in twelve "
        "villages and train volunteers from the secondary school, with the county council's "
        "support, and we name C3 and C4 as our action lines."
    )
    text = (
        f"{note}\n\nBegin forwarded message:\n\nFrom: Director <d@lib.example.vn>\n"
        "Subject: text\nDate: 1 Sep 2025\n\nAn older draft.\n"
    )
    assert strip_reply(text) == Stripped(note, ("forward",))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Notre texte ici.\n\nCordialement,\nMarie Dupont\nBibliothèque de Lyon",
            "Notre texte ici.",
        ),
        ("Nuestro texto.\n\nAtentamente,\nAna García", "Nuestro texto."),
        ("Nuestro texto.\n\nUn saludo cordial,\nAna García", "Nuestro texto."),
        ("我们的文本。\n\n此致\n敬礼！\n王芳", "我们的文本。"),
        ("我们的文本。\n\n顺祝商祺！\n王芳", "我们的文本。"),
        ("Nội dung.\n\nTrân trọng,\nNguyễn Hoa\nThư viện Hà Nội", "Nội dung."),
        ("Nội dung.\n\nXin chân thành cảm ơn!\nNguyễn Hoa", "Nội dung."),
        ("Our text.\n\nBest regards, Anna Lindqvist\nLakeside Library", "Our text."),
        ("Our text.\n\nThanks and best regards,\nAnna", "Our text."),
        ("Our text.\n\nSent from my iPhone", "Our text."),
        ("نصنا.\n\nوتفضلوا بقبول فائق الاحترام،\nليلى حداد", "نصنا."),
        ("Наш текст.\n\nС уважением,\nИван Петров", "Наш текст."),
        ("Notre texte.\n\nMerci d'avance,\nMarie", "Notre texte."),
    ],
)
def test_strip_reply_sign_offs_are_not_counted(text: str, kept: str) -> None:
    assert strip_reply(text) == Stripped(kept, ("signature",))
