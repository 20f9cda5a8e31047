"""Secrets kept out of everything mailflow shows, logs or stores, whatever a server echoes back.

Some servers repeat what they were sent when they refuse it: an IMAP server answering ``LOGIN``
with ``BAD`` and the command, an SMTP server whose 535 reply quotes the ``AUTH PLAIN`` blob. Their
words reach error messages, the log, the outbox's ``smtp_reply`` and ``status``. Every password
mailflow uses is `register`-ed when it is revealed (`mailflow.config.Secret.reveal`, the SMTP
sink's settings), every OAuth2 token and secret when it is loaded or obtained (`mailflow.auth`:
tokens, the SASL strings built from them, what crosses the token endpoint's wire), and `redact`
replaces in a text every registered secret in the forms a server could echo:

* as written, as an IMAP quoted string (``\\"`` and ``\\\\`` escaped) and as Python shows it in
  the repr of bytes (how imaplib's errors quote a reply);
* in base64, as ``AUTH LOGIN`` sends it alone, and inside any base64 text at any of the three
  byte alignments (``AUTH PLAIN`` sends ``\\0user\\0password`` as one base64 blob, so the
  password's own base64 never appears there as such).

Secrets shorter than `MIN_SECRET` characters are not searched for (every second word would
match). Secrets that are replaced as time goes on (an OAuth2 access token every hour, a rotated
refresh token, the SASL string built from each) are registered in a named ``slot``, which keeps
only its `KEEP_PER_SLOT` latest: a ``serve`` running for months would otherwise search every
line for thousands of dead tokens. This module knows nothing of where texts come from; the SMTP
sink, the IMAP source, the log handler, the CLI's error line and the OAuth2 errors each call
`redact`.
"""

from __future__ import annotations

import base64
import re
import threading

__all__ = ["KEEP_PER_SLOT", "MASK", "MIN_SECRET", "forget", "redact", "register"]

MASK = "***"
#: Shorter secrets are not searched for.
MIN_SECRET = 4
#: Base64 fragments shorter than this are not searched for.
_MIN_FRAGMENT = 6
#: How many of a slot's latest secrets are searched for (the one in use, those just before it).
KEEP_PER_SLOT = 8

_lock = threading.Lock()
_kept: set[str] = set()  # secrets registered without a slot: kept until `forget`
_slots: dict[str, list[str]] = {}  # slot -> its latest secrets, oldest first
_forms: dict[str, frozenset[str]] = {}  # every searched secret -> its echoed forms
_pattern: re.Pattern[str] | None = None


def register(secret: str | None, *, slot: str | None = None) -> None:
    """Remember ``secret``: from now on `redact` removes it (and its echoed forms).

    With a ``slot`` (e.g. ``"oauth2 access token"``), only the slot's `KEEP_PER_SLOT` latest
    secrets are kept: registering a new one forgets the oldest.
    """
    if not secret or len(secret) < MIN_SECRET:
        return
    with _lock:
        if slot is None:
            if secret in _kept:
                return
            _kept.add(secret)
        else:
            latest = _slots.setdefault(slot, [])
            if secret in latest:
                return
            latest.append(secret)
            del latest[:-KEEP_PER_SLOT]
        _rebuild()


def forget() -> None:
    """Forget every registered secret (a process that loads another configuration; tests)."""
    global _pattern
    with _lock:
        _kept.clear()
        _slots.clear()
        _forms.clear()
        _pattern = None


def _rebuild() -> None:
    """Recompile the pattern from the secrets kept (called with the lock held)."""
    global _pattern
    live = _kept.union(*_slots.values())
    for gone in _forms.keys() - live:
        del _forms[gone]
    for secret in live - _forms.keys():
        _forms[secret] = frozenset(_echoed_forms(secret))
    every = set().union(*_forms.values())
    longest_first = sorted(every, key=len, reverse=True)
    _pattern = re.compile("|".join(re.escape(form) for form in longest_first)) if every else None


def redact(text: str) -> str:
    """``text`` with every registered secret, in every echoed form, replaced by `MASK`."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def _echoed_forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8", "surrogatepass")
    quoted = secret.replace("\\", "\\\\").replace('"', '\\"')
    forms = {secret, quoted, repr(raw)[2:-1], repr(quoted.encode("utf-8", "surrogatepass"))[2:-1]}
    forms.add(base64.b64encode(raw).decode("ascii"))
    forms.update(_base64_fragments(raw))
    return {form for form in forms if len(form) >= MIN_SECRET}


def _base64_fragments(raw: bytes) -> set[str]:
    """The base64 characters that encode ``raw`` alone, wherever it starts in a longer base64
    text (byte offset 0, 1 or 2 within a 3-byte group); characters that also carry bits of
    neighbouring bytes are left off."""
    fragments = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        start = -(-offset * 8 // 6)  # the first character holding no bit of the filler
        end = (offset + len(raw)) * 8 // 6  # the last character whose bits are all the secret's
        fragment = encoded[start:end]
        if len(fragment) >= _MIN_FRAGMENT:
            fragments.add(fragment)
    return fragments
