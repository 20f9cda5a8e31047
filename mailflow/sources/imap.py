"""The association's IMAP mailbox as a mail source, through imap-tools.

Connects with TLS (``ssl`` or ``starttls``, certificates always verified; ``none`` for loopback),
selects the folder, lists UIDs above the ledger's cursor and fetches the **exact raw bytes** of
each message with its INTERNALDATE, in bulk chunks, without setting ``\\Seen`` (BODY.PEEK[]).
imap-tools manages the connection, login, folders, search and moves; the fetch itself goes through
its underlying imaplib client because imap-tools' own fetch re-serialises messages and omits
INTERNALDATE. Moving handled mail to ``processed_folder`` happens only when the pipeline calls
`mark_processed` after its commit; this source never deletes or expunges anything else.
"""

from __future__ import annotations

import imaplib
import logging
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, U
from imap_tools.errors import ImapToolsError, MailboxFolderSelectError, MailboxLoginError

from mailflow.auth import Credentials, Responder, choose, oauthbearer, xoauth2
from mailflow.config import ImapSettings
from mailflow.errors import AuthError, ConfigError, SourceError
from mailflow.redact import redact
from mailflow.sources.base import MAX_CHUNK_BYTES, FetchedMessage, in_arrival_order

log = logging.getLogger(__name__)

_FETCH_ITEMS = "(UID INTERNALDATE BODY.PEEK[])"
_UID = re.compile(rb"UID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")

#: What the socket, imaplib and imap-tools raise when the connection or the server failed: this
#: module is the boundary that turns each of them into a `SourceError` (`source_errors`), so no
#: caller needs to know them.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes socket.timeout, ConnectionError, ssl.SSLError
    imaplib.IMAP4.abort,
    imaplib.IMAP4.error,
    EOFError,
    ImapToolsError,  # an unexpected reply to a command (imap-tools checks every status)
)


@contextmanager
def source_errors(what: str) -> Iterator[None]:
    """Raise a `CONNECTION_ERRORS` error inside as a `SourceError` that says ``what`` failed."""
    try:
        yield
    except CONNECTION_ERRORS as exc:
        raise SourceError(f"{what}: {_describe(exc)}") from None


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying TLS context: system CAs, plus ``ca_file`` when configured."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot load CA certificates: {exc}", key="imap.ca_file") from None
    return context


class ImapSource:
    """One folder of one IMAP account."""

    uses_uids = True

    def __init__(self, settings: ImapSettings, credentials: Credentials | None = None) -> None:
        if settings.auth == "oauth2" and credentials is None:
            raise ConfigError("oauth2 sign-in needs a token store", key="imap.auth")
        self.settings = settings
        self.credentials = credentials
        self.account = settings.account
        self.folder = settings.folder
        self._box: Any = None

    # -- connection -------------------------------------------------------------------------
    def __enter__(self) -> ImapSource:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "ssl":
                box: Any = MailBox(
                    s.host, s.port, timeout=s.timeout_s, ssl_context=tls_context(s.ca_file)
                )
            elif s.security == "starttls":
                box = MailBoxStartTls(
                    s.host, s.port, timeout=s.timeout_s, ssl_context=tls_context(s.ca_file)
                )
            else:
                box = MailBoxUnencrypted(s.host, s.port, timeout=s.timeout_s)
        except ssl.SSLCertVerificationError as exc:
            raise SourceError(
                f"IMAP server {where}: TLS certificate not trusted ({exc.verify_message}); "
                "set imap.ca_file for a private CA",
                retryable=False,
            ) from None
        except CONNECTION_ERRORS as exc:
            raise SourceError(f"IMAP server {where}: cannot connect: {_describe(exc)}") from None
        try:
            if self.credentials is not None:
                self._oauth_login(box)
            else:
                box.login(s.user, s.password.reveal(), initial_folder=None)
        except MailboxLoginError:
            _quietly_logout(box)
            # Never include the server's reply verbatim: some servers echo the credentials.
            unset = (
                ""
                if s.password
                else "; the password is not set: set MAILFLOW_IMAP_PASSWORD "
                "(or imap.password_command)"
            )
            raise SourceError(
                f"IMAP server {where}: login refused for {s.user}{unset}", retryable=False
            ) from None
        except CONNECTION_ERRORS as exc:
            _quietly_logout(box)
            raise SourceError(f"IMAP server {where}: login failed: {_describe(exc)}") from None
        except AuthError:  # no token to be had: the message says what a person must do
            _quietly_logout(box)
            raise
        self._box = box
        self._select()

    def _oauth_login(self, box: Any) -> None:
        """Log in with an access token; once more with a new one if the server refuses it.

        A token that looked valid may have been revoked early, or the clocks disagree; only a
        second refusal, with a token fresh from the provider, is reported. `AuthError` (no token
        to be had) goes to the caller as it is: it says what a person must do.
        """
        assert self.credentials is not None
        s = self.settings
        mechanism = choose(" ".join(box.client.capabilities))
        for fresh in (False, True):
            token = self.credentials.token(fresh=fresh)
            if mechanism == "XOAUTH2":
                initial = xoauth2(s.user, token)
            else:
                initial = oauthbearer(s.user, token, s.host, s.port)
            try:
                box.login_result = box.client.authenticate(mechanism, Responder(initial))
                return
            except (MailboxLoginError, imaplib.IMAP4.error):
                if fresh:
                    raise MailboxLoginError(
                        command_result=("NO", [b"token refused"]), expected="OK"
                    ) from None
                log.info("IMAP server refused the access token for %s; trying a new one", s.user)

    def close(self) -> None:
        box, self._box = self._box, None
        if box is None:
            return
        _quietly_logout(box)
        # imaplib skips closing its socket when LOGOUT fails on a dead connection.
        for part in (box.client.file, box.client.sock):
            try:
                part.close()
            except OSError:
                log.debug("closing the IMAP socket failed", exc_info=True)

    def _select(self) -> None:
        try:
            self._box.folder.set(self.folder)
        except MailboxFolderSelectError as exc:  # a missing folder: a person must fix the config
            raise SourceError(
                f"IMAP folder {self.folder!r} cannot be selected: {_describe(exc)}",
                retryable=False,
            ) from None
        except CONNECTION_ERRORS as exc:
            raise SourceError(f"IMAP folder {self.folder!r}: {_describe(exc)}") from None
        except Exception as exc:  # anything else imap-tools refuses is not worth retrying
            raise SourceError(
                f"IMAP folder {self.folder!r} cannot be selected: {_describe(exc)}",
                retryable=False,
            ) from None

    # -- reading ----------------------------------------------------------------------------
    def uidvalidity(self) -> int:
        with source_errors(f"IMAP STATUS {self.folder!r}"):
            status = self._open().folder.status(self.folder, ["UIDVALIDITY"])
        return int(status["UIDVALIDITY"])

    def new_keys(self, after_uid: int) -> list[str]:
        with source_errors("IMAP UID SEARCH"):
            # "N:*" always matches the highest UID even when it is below N, so filter again.
            uids = self._open().uids(AND(uid=U(str(after_uid + 1), "*")))
        return sorted((uid for uid in uids if int(uid) > after_uid), key=int)

    def fetch(
        self, keys: Sequence[str], chunk_size: int, *, max_bytes: int = MAX_CHUNK_BYTES
    ) -> Iterator[list[FetchedMessage]]:
        for start in range(0, len(keys), chunk_size):
            for part in self._by_size(keys[start : start + chunk_size], max_bytes):
                data = self._uid_fetch(part, _FETCH_ITEMS)
                yield in_arrival_order(_parse_fetch(data))

    def _uid_fetch(self, uids: Sequence[str], items: str) -> list[Any]:
        with source_errors("IMAP UID FETCH"):
            typ, data = self._open().client.uid("FETCH", ",".join(uids), items)
        if typ != "OK":
            raise SourceError(f"IMAP UID FETCH refused: {data!r:.200}")
        return list(data)

    def _by_size(self, uids: Sequence[str], max_bytes: int) -> Iterator[list[str]]:
        """Split ``uids`` so no part holds more than ``max_bytes`` (a bigger mail goes alone)."""
        sizes: dict[str, int] = {}
        for item in self._uid_fetch(uids, "(UID RFC822.SIZE)"):
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid_match, size_match = _UID.search(line), _SIZE.search(line)
                if uid_match and size_match:
                    sizes[uid_match.group(1).decode()] = int(size_match.group(1))
        part: list[str] = []
        held = 0
        for uid in uids:
            size = sizes.get(uid, 0)
            if part and held + size > max_bytes:
                yield part
                part, held = [], 0
            part.append(uid)
            held += size
        if part:
            yield part

    def mark_processed(self, keys: Sequence[str]) -> None:
        """Move handled messages to ``processed_folder`` (if configured), never delete them."""
        target = self.settings.processed_folder
        if not target or not keys:
            return
        try:
            if not self._box.folder.exists(target):
                self._box.folder.create(target)
            self._box.move(list(keys), target)
        except CONNECTION_ERRORS as exc:
            # The ledger already holds these messages; a later poll finds them recorded.
            log.warning("could not move %d message(s) to %s: %s", len(keys), target, exc)

    # -- IDLE (used by serve) -----------------------------------------------------------------
    # imap-tools' own ``idle.wait`` sends IDLE and DONE on every call and cannot be interrupted
    # by a stop request cheaply, so `idle` watches the socket of imap-tools' client itself.
    def keep_alive(self) -> None:
        """Probe a quiet connection so a peer that vanished is noticed in about 90 s, even in
        IDLE."""
        sock = self._open().client.sock
        with source_errors("IMAP keepalive"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
                if hasattr(socket, name):  # Linux; elsewhere the system's keepalive timers apply
                    sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)

    def offers_idle(self) -> bool:
        """Whether the server offers IDLE (asked after login: capabilities may change with it)."""
        with source_errors("IMAP CAPABILITY"):
            typ, data = self._open().client.capability()
        words = b" ".join(d for d in data if isinstance(d, bytes)).upper().split()
        return typ == "OK" and b"IDLE" in words

    def take_news(self) -> bool:
        """Whether imaplib collected EXISTS/RECENT between commands; forgets all it collected.

        Nothing else reads those leftovers (EXPUNGE after moves, FETCH of flags changed by other
        clients…), and on a connection held for months they would only pile up.
        """
        untagged = self._open().client.untagged_responses
        news = any(untagged.get(name) for name in ("EXISTS", "RECENT"))
        untagged.clear()
        return news

    def idle(
        self, stop: threading.Event, until: float, check_s: float, tick: Callable[[], None]
    ) -> bool:
        """IDLE until new mail is announced (True), ``until`` (a `time.monotonic` value) passes
        or ``stop`` is set (False).

        The socket is watched with ``select`` in steps of ``check_s`` so nothing is sent to the
        server while waiting, and ``tick`` runs after each quiet step; a socket that turns
        readable with nothing to read was closed by the server.
        """
        box = self._open()
        with source_errors("IMAP IDLE"):
            box.idle.start()
            # A server may announce mail before its "+ idling"; imaplib then keeps it aside.
            news = self.take_news()
            sock = box.client.sock
            while not news and not stop.is_set():
                remaining = until - time.monotonic()
                if remaining <= 0:
                    break
                pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
                if not pending:
                    ready, _, _ = select.select([sock], [], [], min(check_s, remaining))
                    if not ready:
                        tick()
                        continue
                responses = box.idle.poll(timeout=0)
                if not responses:
                    raise SourceError("IMAP server closed the connection")
                for line in responses:
                    if line.startswith(b"* BYE"):
                        raise SourceError(f"IMAP server hung up: {line[:200]!r}")
                    words = line.upper().split()
                    if len(words) >= 3 and words[2] in (b"EXISTS", b"RECENT"):
                        news = True
            box.idle.stop()
        return news

    def _open(self) -> Any:
        if self._box is None:
            raise SourceError("IMAP connection is closed")
        return self._box


def _parse_fetch(data: list[Any]) -> Iterator[FetchedMessage]:
    """Turn imaplib's FETCH response (tuples of (envelope, literal), then b')') into messages."""
    for item in data:
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        head, raw = item[0], item[1]
        uid_match = _UID.search(head)
        uid = int(uid_match.group(1)) if uid_match else None
        date_match = _INTERNALDATE.search(head)
        internal_date = _internaldate(date_match.group(1)) if date_match else None
        if uid is None:
            # A server that omits UID breaks the cursor, not the message: key it by its bytes.
            import hashlib

            key = "nouid:" + hashlib.sha256(raw).hexdigest()
        else:
            key = str(uid)
        yield FetchedMessage(uid=uid, key=key, raw=bytes(raw), internal_date=internal_date)


def _internaldate(value: bytes) -> datetime | None:
    try:
        return datetime.strptime(value.decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z")
    except (ValueError, UnicodeDecodeError):
        return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    text = redact(str(exc) or exc.__class__.__name__)  # a server may echo the LOGIN command
    return text[:300]


def _quietly_logout(box: Any) -> None:
    try:
        box.logout()
    except Exception:  # the connection may already be gone; nothing to save
        log.debug("IMAP logout failed", exc_info=True)
        try:  # but do close the socket, or it lingers until garbage collection
            box.client.shutdown()
        except Exception:
            log.debug("IMAP socket shutdown failed", exc_info=True)
