"""mailflow.redact: registered secrets disappear from texts, in every form a server echoes."""

from __future__ import annotations

import base64

from mailflow.redact import redact, register

SECRET = "Unit-redact-pw-91"


def test_redact_removes_the_secret_its_base64_and_an_auth_plain_blob() -> None:
    register(SECRET)
    plain = base64.b64encode(f"\0user@x.test\0{SECRET}".encode()).decode()
    login = base64.b64encode(SECRET.encode()).decode()

    assert redact(f"535 {SECRET} {login}") == "535 *** ***"
    assert base64.b64encode(SECRET.encode()).decode() not in redact(plain)
    assert redact(plain).endswith("***")


def test_redact_removes_the_imap_quoted_form() -> None:
    register('Quote"d-pw\\x')

    assert redact('BAD [b\'LOGIN "u" "Quote\\\\"d-pw\\\\\\\\x"\']') == 'BAD [b\'LOGIN "u" "***"\']'


def test_redact_leaves_text_alone_without_secrets() -> None:
    assert redact("250 2.0.0 Ok: queued as 4XyZ") == "250 2.0.0 Ok: queued as 4XyZ"


def test_short_secrets_are_not_searched_for() -> None:
    register("ab")

    assert redact("a tab and a cab") == "a tab and a cab"
