"""mailflow.redact: registered secrets disappear from texts, in every form a server echoes."""

from __future__ import annotations

import base64

from mailflow.auth import xoauth2
from mailflow.redact import KEEP_PER_SLOT, MASK, redact, register

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


def test_a_slot_keeps_only_its_latest_secrets() -> None:
    register(SECRET)
    tokens = [f"access-token-{n:02}" for n in range(KEEP_PER_SLOT + 1)]
    for token in tokens:
        register(token, slot="oauth2 access_token")

    assert redact(" ".join(tokens)) == " ".join([tokens[0], *[MASK] * KEEP_PER_SLOT])
    assert redact(SECRET) == MASK


def test_an_xoauth2_response_is_redacted_in_base64() -> None:
    blob = base64.b64encode(xoauth2("wsis@association.test", "at-XyZ-token-1234").encode()).decode()

    assert redact(f"535 5.7.8 {blob} refused") == "535 5.7.8 *** refused"
