"""The SASL strings that carry a token, and the choice between XOAUTH2 and OAUTHBEARER."""

from __future__ import annotations

import pytest

from mailflow.auth import Responder, choose, oauthbearer, xoauth2


def test_xoauth2_string_is_googles_format() -> None:
    assert xoauth2("wsis@association.example", "at-1") == (
        "user=wsis@association.example\x01auth=Bearer at-1\x01\x01"
    )


def test_oauthbearer_string_follows_rfc7628_with_escaped_user() -> None:
    assert oauthbearer("a,b=c@example.org", "at-1", "imap.example.org", 993) == (
        "n,a=a=2Cb=3Dc@example.org,\x01host=imap.example.org\x01port=993"
        "\x01auth=Bearer at-1\x01\x01"
    )


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        ("IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER", "OAUTHBEARER"),
        (b"IMAP4rev1 AUTH=XOAUTH2", "XOAUTH2"),
        ("PLAIN LOGIN XOAUTH2", "XOAUTH2"),  # an EHLO AUTH line
        ("PLAIN LOGIN oauthbearer", "OAUTHBEARER"),
        ("PLAIN LOGIN", "XOAUTH2"),  # neither named: the server's refusal is the error to show
    ],
)
def test_choose_prefers_oauthbearer(offered: str | bytes, chosen: str) -> None:
    assert choose(offered) == chosen


def test_responder_answers_a_refusal_with_an_empty_line() -> None:
    answer = Responder("initial")
    assert [answer(None), answer(b'{"status":"401"}'), answer(b"again")] == ["initial", "", ""]
