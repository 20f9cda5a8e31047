"""mailflow.untrusted: the one sanitizer of text from strangers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailflow.untrusted import (
    MAX_UNTRUSTED,
    clean,
    clean_line,
    clean_text,
    csv_cell,
    printable,
    shown_name,
)


@given(st.text())
def test_clean_is_one_line_without_controls_or_bidi(text: str) -> None:
    cleaned = clean(text)

    assert len(cleaned) <= MAX_UNTRUSTED
    assert not any(ch in cleaned for ch in "\r\n\x00\x85\u2028\u2029\u202e\u2066\u2069\ufeff")


def test_clean_line_drops_bidi_overrides_and_line_breaks() -> None:
    assert clean_line("Ali\u202ecod.exe\r\nBcc: x") == "Alicod.exe Bcc: x"


def test_clean_text_keeps_paragraphs_and_drops_controls() -> None:
    assert clean_text("one\r\ntwo\x00\tthree\u2029four") == "one\ntwo three\nfour"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Viet Nam", "Viet Nam"),
        ("", ""),
    ],
)
def test_csv_cell_guards_formula_starts(value: str, expected: str) -> None:
    assert csv_cell(value) == expected


def test_printable_drops_controls_and_decodes_escaped_bytes() -> None:
    escaped = "Nguy\udcc3\udcaan\x07"  # "ê" as the parser keeps undecoded UTF-8 bytes

    assert printable(escaped) == "Nguyên"


def test_shown_name_isolates_and_drops_overrides_and_invisible_characters() -> None:
    name = "\u202eأحمد\u200b\u2066 Ali\u2069\ufeff"

    assert shown_name(name) == "\u2068أحمد Ali\u2069"


def test_shown_name_keeps_zero_width_joiners_persian_needs() -> None:
    assert shown_name("می\u200cخواهم") == "\u2068می\u200cخواهم\u2069"


def test_shown_name_leaves_ascii_alone() -> None:
    assert shown_name("Hoa \u202eNguyen") == "Hoa Nguyen"
