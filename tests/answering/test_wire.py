"""Property tests of mailflow.answering.wire (the RFC 5322 writer): readers read back its mail."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.header import Header

from hypothesis import given
from hypothesis import strategies as st

from mailflow.answering.wire import SUBJECT_ROOM, encoded_words, header_line, text_part
from mailflow.untrusted import clean


@given(
    name=st.sampled_from(["Subject", "To", "Reply-To"]),
    value=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t")),
)
def test_header_line_writes_what_header_folding_writes(name: str, value: str) -> None:
    folded = Header(value, header_name=name).encode(linesep="\r\n")

    assert header_line(name, value) == f"{name}: {folded}\r\n"


@given(st.text(min_size=1, max_size=300).map(lambda text: "Re: " + clean(text) + " é"))
def test_non_ascii_subject_is_encoded_words_a_reader_decodes_back(subject: str) -> None:
    value = encoded_words(subject, SUBJECT_ROOM)
    message = message_from_bytes(f"Subject: {value}\r\n\r\n".encode("ascii"), policy=policy.default)
    lines = f"Subject: {value}".split("\r\n")

    assert message["Subject"] == subject
    assert max(len(line) for line in lines) <= 78
    assert all(len(word) <= 75 for word in re.findall(r"=\?utf-8\?b\?[^?]*\?=", value))


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r"), max_size=2000))
def test_text_part_lines_fit_and_readers_decode_it_back(text: str) -> None:
    part = text_part(text, "plain")
    message = message_from_bytes(part, policy=policy.default)

    assert max(len(line) for line in part.split(b"\r\n")) <= 998
    assert message.get_content().replace("\r\n", "\n") == text
