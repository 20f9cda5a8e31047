"""Accounts of the web console: passwords, roles, lockout after failed logins, the session key.

A password is kept only as a salted scrypt hash (`hash_password`, standard library; n=2**14,
r=8, p=1, about 16 MiB and 50 ms a check). `authenticate` checks a name and password and
throttles guessing: after `MAX_FAILURES` wrong passwords in a row the account is locked for
`LOCKOUT`, and a wrong name costs the same hash as a wrong password, so timing does not tell
which names exist. Roles are ``coordinator`` (decides) and ``viewer`` (reads). The key that
signs the console's session cookies is made once per ledger (`session_key`). What a page shows
and who may post is the web layer's (`mailflow.web`); this module knows no HTTP.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.errors import MailflowError, NotFoundError
from mailflow.ledger.models import WebSecret, WebUser

ROLES = ("coordinator", "viewer")
#: Wrong passwords in a row before an account is locked, and for how long.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")


class AccountError(MailflowError):
    """An account cannot be created or changed as asked (the message says why)."""


class LoginRefused(MailflowError):
    """A login failed: wrong name or password, or the account is locked for a while."""

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        self.locked_until = locked_until
        super().__init__(message)


@dataclass(frozen=True)
class Account:
    """Who is logged in, as the web layer keeps it."""

    id: int
    name: str
    role: str

    @property
    def can_decide(self) -> bool:
        return self.role == "coordinator"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` with a fresh 16-byte salt (base64 without padding)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the hash ``stored``, compared in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest + "==")
        actual = _scrypt(password, base64.b64decode(salt + "=="), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


@functools.cache
def _dummy_hash() -> str:
    """Checked when a name is unknown, so a wrong name takes as long as a wrong password."""
    return hash_password("not a password", salt=b"\0" * 16)


def normalise_name(name: str) -> str:
    return name.strip().lower()


def add_user(session: Session, name: str, password: str, role: str) -> tuple[WebUser, bool]:
    """Create the account ``name`` or set its password and role; True when it was created."""
    name = normalise_name(name)
    if not name or len(name) > 100 or not set(name) <= _NAME_CHARS:
        raise AccountError(
            f"{name!r} is not a usable account name: use letters, digits and . _ - @"
        )
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalars(select(WebUser).where(WebUser.name == name)).first()
    created = user is None
    if user is None:
        user = WebUser(name=name)
        session.add(user)
    user.password_hash = hash_password(password)
    user.role = role
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user, created


def list_users(session: Session) -> list[WebUser]:
    return list(session.scalars(select(WebUser).order_by(WebUser.name)))


def authenticate(
    session: Session, name: str, password: str, *, now: datetime | None = None
) -> Account | LoginRefused:
    """The account when ``password`` is right and it is not locked; else the refusal.

    The refusal is returned, not raised, so that the caller commits the count of failures.
    Each wrong password counts; the `MAX_FAILURES`-th in a row locks the account for `LOCKOUT`,
    and while it is locked even the right password is refused. A right password resets the count.
    """
    now = now or datetime.now(UTC)
    user = session.scalars(select(WebUser).where(WebUser.name == normalise_name(name))).first()
    if user is None:
        check_password(password, _dummy_hash())
        return LoginRefused("wrong name or password")
    if user.locked_until is not None and user.locked_until > now:
        check_password(password, _dummy_hash())
        return LoginRefused(_LOCKED, locked_until=user.locked_until)
    if not check_password(password, user.password_hash):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins = 0
            user.locked_until = now + LOCKOUT
            return LoginRefused(_LOCKED, locked_until=user.locked_until)
        return LoginRefused("wrong name or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return Account(id=user.id, name=user.name, role=user.role)


_LOCKED = "account locked for a while after repeated failed logins"


def account(session: Session, user_id: int) -> Account:
    """The account with this id (a session cookie names it); NotFoundError once it is gone."""
    user = session.get(WebUser, user_id)
    if user is None:
        raise NotFoundError(f"no console account {user_id}")
    return Account(id=user.id, name=user.name, role=user.role)


def session_key(session: Session) -> str:
    """The key that signs the console's session cookies, made on first use and kept."""
    row = session.get(WebSecret, "session")
    if row is None:
        row = WebSecret(name="session", value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value
