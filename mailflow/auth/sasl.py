"""The SASL strings that carry an OAuth2 access token to IMAP and SMTP servers.

XOAUTH2 is Google's and Microsoft's mechanism (and Dovecot's); OAUTHBEARER is its standard
form (RFC 7628), which a server may offer instead. Both are built here unencoded: imaplib and
smtplib base64-encode what an authenticator returns. Each string is registered with
`mailflow.redact` as it is built, so a server that quotes the base64 blob it refused shows
``***`` instead (the token's own registration covers only the characters that encode it alone).
This module builds strings only; choosing a mechanism and talking to the server is the job of
`mailflow.sources.imap` and the SMTP sink.
"""

from __future__ import annotations

from mailflow.redact import register

#: Mechanisms in order of preference when a server offers both.
MECHANISMS = ("OAUTHBEARER", "XOAUTH2")


def xoauth2(user: str, token: str) -> str:
    """``user=<user>^Aauth=Bearer <token>^A^A`` (the XOAUTH2 initial response)."""
    return _kept(f"user={user}\x01auth=Bearer {token}\x01\x01")


def oauthbearer(user: str, token: str, host: str, port: int) -> str:
    """The RFC 7628 initial response: a GS2 header naming the user, then host, port and token."""
    return _kept(
        f"n,a={_saslname(user)},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    )


def choose(offered: str | bytes) -> str:
    """The preferred mechanism among those a server offers (words of a CAPABILITY/EHLO line).

    XOAUTH2 when the server names neither: Microsoft and Google accept it, and a server that
    does not will refuse the login, which is the right error to show.
    """
    words = (offered.decode("ascii", "replace") if isinstance(offered, bytes) else offered).upper()
    names = {word.removeprefix("AUTH=") for word in words.split()}
    for mechanism in MECHANISMS:
        if mechanism in names:
            return mechanism
    return "XOAUTH2"


class Responder:
    """The client's side of a token exchange, for imaplib and smtplib: the initial response,
    then empty lines.

    A server that refuses the token sends its reason as a challenge and waits for an empty
    response before its final refusal (RFC 7628 §3.2.3; Google's and Microsoft's XOAUTH2
    alike); repeating the token instead would be a protocol error.
    """

    def __init__(self, initial: str) -> None:
        self._next = initial

    def __call__(self, challenge: bytes | None = None) -> str:
        answer, self._next = self._next, ""
        return answer


def _kept(response: str) -> str:
    register(response, slot="oauth2 SASL response")
    return response


def _saslname(user: str) -> str:
    # RFC 5801: "," and "=" in the authorization identity are escaped as =2C and =3D.
    return user.replace("=", "=3D").replace(",", "=2C")
