"""Headers as real mail writes them: blank or junk lines first, odd display names, charsets."""

from __future__ import annotations

import base64

import pytest

from mailflow.reading import headers

BODY = b"\n\nThe contribution.\n"


def sender_and_subject(raw: bytes) -> tuple[tuple[str, str], str]:
    message = headers.parse(raw)
    return headers.sender(message), headers.header(message, "Subject")


@pytest.mark.parametrize("lead", [b"\n", b"\r\n", b"\n\n", b"   \n", b"X-Mozilla-Status 0001\n"])
def test_parse_blank_or_junk_line_before_the_headers_is_skipped(lead: bytes) -> None:
    raw = lead + b"From: Hoa <hoa@lib.example.vn>\nSubject: WSIS 2025" + BODY
    assert sender_and_subject(raw) == (("Hoa", "hoa@lib.example.vn"), "WSIS 2025")


def test_parse_text_without_headers_stays_a_body() -> None:
    message = headers.parse(b"\nDear colleagues,\nour text follows.\n")
    assert (headers.sender(message), str(message.get_payload())) == (
        ("", ""),
        "Dear colleagues,\nour text follows.\n",
    )


def test_parse_continuation_line_without_indentation_joins_the_field_above() -> None:
    raw = (
        b"From: Ana <ana@bib.example.es>\nSubject: Contribucion WSIS\n2025 Biblioteca Central\n"
        b"To: wsis@association.example" + BODY
    )
    message = headers.parse(raw)
    assert (headers.header(message, "Subject"), message.get_payload()) == (
        "Contribucion WSIS 2025 Biblioteca Central",
        "The contribution.\n",
    )


def test_sender_encoded_display_name_with_a_comma_is_one_name() -> None:
    raw = b"From: =?iso-8859-1?Q?B=FCrling,=20Andreas?= <a.buerling@stadtbib.example.de>" + BODY
    assert sender_and_subject(raw)[0] == ("Bürling, Andreas", "a.buerling@stadtbib.example.de")


def test_sender_unquoted_brackets_in_the_display_name() -> None:
    raw = b"From: Biblioteca [Sede Central] <sede@bib.example.es>" + BODY
    assert sender_and_subject(raw)[0] == ("Biblioteca [Sede Central]", "sede@bib.example.es")


def test_sender_of_two_from_fields_is_the_first_as_mail_clients_show() -> None:
    raw = b"From: Ana <ana@bib.example.es>\nFrom: Relay <relay@lists.example.org>" + BODY
    assert sender_and_subject(raw)[0] == ("Ana", "ana@bib.example.es")


def test_sender_encoded_word_cannot_smuggle_in_an_address() -> None:
    raw = b"From: =?utf-8?Q?boss=40association.example_<x@y>?= <intruder@evil.example>" + BODY
    assert sender_and_subject(raw)[0] == (
        "boss@association.example <x@y>",
        "intruder@evil.example",
    )


@pytest.mark.parametrize(
    ("label", "codec", "subject"),
    [
        ("gb2312", "gb18030", "信息社会峰会 2025 镕"),  # 镕 is GBK, not GB 2312
        ("shift_jis", "cp932", "①図書館の報告"),  # ① is cp932's extension
        ("ks_c_5601-1987", "cp949", "도서관 기여 똠"),
        ("big5", "big5hkscs", "圖書館貢獻 㗎"),
        ("iso-8859-1", "cp1252", "Contribution – été"),
    ],
)
def test_header_encoded_words_decode_with_the_superset(
    label: str, codec: str, subject: str
) -> None:
    encoded = base64.b64encode(subject.encode(codec)).decode()
    raw = f"From: x@lib.example\nSubject: =?{label}?B?{encoded}?=".encode() + BODY
    assert sender_and_subject(raw)[1] == subject


@pytest.mark.parametrize(
    ("charset", "subject"),
    [
        ("utf-8", "Đóng góp của thư viện"),
        ("windows-1251", "Вклад библиотеки в ВВУИО"),
        ("gbk", "图书馆的贡献报告"),
        ("windows-1256", "مساهمة المكتبة"),
    ],
)
def test_header_raw_8bit_bytes_decode_in_the_charset_of_the_text(
    charset: str, subject: str
) -> None:
    raw = (
        f"From: x@lib.example\nSubject: {subject}\nContent-Type: text/plain; charset={charset}"
        "\n\nText.\n"
    ).encode(charset)
    assert sender_and_subject(raw)[1] == subject
