"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it receives.

`SmtpTestServer` runs aiosmtpd's threaded `Controller` on a free loopback port and records every
accepted message (envelope and exact bytes) in `received`, and every connection in `connections`.
It can be told to fail the next MAIL, RCPT or DATA with a chosen code and text (once, N times, or
until `reset`), to drop the connection after the message data arrived but before the final reply
(`drop_during_data`; `drop_at` hangs up at MAIL or RCPT too), to hang up on idle clients
(`hang_up`), to offer PIPELINING or not (it does by default, as Postfix does), to require AUTH
(PLAIN/LOGIN, also over plain text on loopback), and to serve TLS, implicit or by STARTTLS, with
a certificate from a trustme CA so verification can be tested both ways. It knows nothing about
mailflow; the sink under test is in `mailflow.answering.sinks`.

Using the fixtures: make them visible to the test modules from ``tests/conftest.py``::

    from support.smtp_server import (  # noqa: F401  (pytest finds fixtures by name)
        auth_smtp_server, smtp_server, starttls_smtp_server, tls_ca, tls_smtp_server,
    )

(``tests/`` has no ``__init__.py``, so pytest puts it on ``sys.path``; with a package, import
from ``tests.smtp_server``.) Then a test asks for ``smtp_server`` and sends to
``smtp_server.host``/``smtp_server.port``; for the TLS servers, ``tls_ca.ca_file`` is the PEM file
of the CA that signed their certificate (issued for ``127.0.0.1`` and ``localhost``).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
COMMANDS = ("MAIL", "RCPT", "DATA")


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # exactly as received, dot-unstuffed, CRLF line endings
    mail_options: tuple[str, ...]
    login: str | None  # the AUTH identity, if the client authenticated
    tls: bool  # whether the message came over TLS (implicit or STARTTLS)
    helo: str | None  # the name the client gave in EHLO/HELO


@dataclass
class _Failure:
    code: int
    text: str
    remaining: int | None  # None: until reset

    @property
    def reply(self) -> str:
        return f"{self.code} {self.text}"


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    data_delay_s: float = 0.0
    echo_auth: int | None = None  # refuse AUTH with this code, repeating what the client sent
    pipelining: bool = True  # offer PIPELINING (RFC 2920) in the EHLO reply, as Postfix does


def _take_failure(state: _State, lock: threading.Lock, command: str) -> str | None:
    """The reply of the next failure given for ``command`` (used up), or None."""
    with lock:
        queue = state.failures.get(command)
        if not queue:
            return None
        failure = queue[0]
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
        return failure.reply


class _Handler:
    """aiosmtpd handler hooks; runs in the server's event-loop thread."""

    def __init__(self, state: _State, lock: threading.Lock) -> None:
        self._state = state
        self._lock = lock

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # this hook takes over aiosmtpd's own EHLO bookkeeping
        with self._lock:
            pipelining = self._state.pipelining
        if pipelining:  # aiosmtpd reads pipelined commands one line at a time, in order
            responses.insert(len(responses) - 1, "250-PIPELINING")
        return responses

    def _take_failure(self, command: str) -> str | None:
        return _take_failure(self._state, self._lock, command)

    def _take_drop(self, server: SMTP, command: str) -> bool:
        """Hang up now if told to drop at `command`; the reply returned after it goes nowhere."""
        with self._lock:
            left = self._state.drops.get(command, 0)
            if left <= 0:
                return False
            self._state.drops[command] = left - 1
        assert isinstance(server.transport, asyncio.Transport)
        server.transport.abort()
        return True

    def _auth_missing(self, session: Session) -> bool:
        with self._lock:
            required = bool(self._state.users)
        return required and not session.authenticated

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self._auth_missing(session):
            return "530 5.7.0 Authentication required"
        if self._take_drop(server, "MAIL"):
            return "421 4.3.0 connection dropped by the test server"
        failure = self._take_failure("MAIL")
        if failure is not None:
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self._take_drop(server, "RCPT"):
            return "421 4.3.0 connection dropped by the test server"
        failure = self._take_failure("RCPT")
        if failure is not None:
            return failure
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._take_drop(server, "DATA"):
            # The client has sent the whole message and waits for the final reply.
            return "421 4.3.0 connection dropped by the test server"
        failure = self._take_failure("DATA")
        if failure is not None:
            return failure
        with self._lock:
            delay = self._state.data_delay_s
        if delay:  # a slow server: the client waits for the final reply
            await asyncio.sleep(delay)
        assert envelope.mail_from is not None and envelope.original_content is not None
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        tls = server.transport is not None and (
            server.transport.get_extra_info("ssl_object") is not None
        )
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content),
            mail_options=tuple(envelope.mail_options),
            login=login,
            tls=tls,
            helo=session.host_name,
        )
        with self._lock:
            self._state.received.append(received)
            number = len(self._state.received)
        return f"250 2.0.0 OK queued as {number}"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        with self._lock:
            expected = self._state.users.get(data.login.decode("utf-8", "replace"))
        ok = expected is not None and expected.encode() == data.password
        return AuthResult(success=ok, handled=False, auth_data=data)


class _QuietSession(Session):
    """aiosmtpd 1.4 sets the deprecated `login_data` on every successful AUTH, which warns.

    Under ``filterwarnings = error`` that warning would turn into an exception inside the server
    thread and break AUTH; the value is kept, the warning dropped.
    """

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _SMTP(SMTP):
    #: Set by the controller: the server's state and its lock (for `SmtpTestServer.echo_auth`).
    state: _State
    lock: threading.Lock

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    async def smtp_AUTH(self, arg: str) -> None:
        refusal = _take_failure(self.state, self.lock, "AUTH") if arg else None
        if refusal is not None:  # the AUTH line (with its initial response) is answered at once
            await self.push(refusal)
            return
        with self.lock:
            echo = self.state.echo_auth
        if echo is None or not arg:
            await super().smtp_AUTH(arg)
            return
        # A careless server: it refuses and repeats the credentials exactly as the client sent
        # them (AUTH PLAIN's blob, or AUTH LOGIN's base64 user name and password).
        mechanism, _, initial = arg.partition(" ")
        sent = [initial] if initial else []
        if mechanism.upper() == "LOGIN":
            if not initial:
                sent.append(await self._raw_challenge(b"VXNlcm5hbWU6"))
            sent.append(await self._raw_challenge(b"UGFzc3dvcmQ6"))
        elif not initial:
            sent.append(await self._raw_challenge(b""))
        await self.push(f"{echo} 5.7.8 credentials {' '.join(sent)} are not valid here")

    async def _raw_challenge(self, challenge: bytes) -> str:
        await self.push(b"334 " + challenge)
        line: bytes = await self._reader.readline()
        return line.strip().decode("ascii", "replace")


class _Controller(Controller):
    """Counts connections and listens on a port chosen by the OS (port 0)."""

    def __init__(self, on_connect: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_connect = on_connect
        self.protocols: list[SMTP] = []  # one per connection, touched only in the loop thread

    def factory(self) -> SMTP:  # called once per accepted connection
        self._on_connect()
        protocol = _SMTP(self.handler, **self.SMTP_kwargs)
        protocol.state, protocol.lock = self.handler._state, self.handler._lock
        self.protocols.append(protocol)
        return protocol

    async def hang_up(self) -> None:
        for protocol in self.protocols:
            if protocol.transport is not None and not protocol.transport.is_closing():
                protocol.transport.close()

    def _trigger_server(self) -> None:
        # The listener is bound by now: learn the port the OS chose before connecting to it.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpTestServer:
    """An in-process SMTP server on loopback; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        tls: str = "none",  # "none" | "starttls" | "implicit"
        certificate: trustme.LeafCert | None = None,
        require_starttls: bool = False,
        smtputf8: bool = True,
        offer_auth: bool = True,  # False: AUTH only after TLS, so a plain server offers none
        pipelining: bool = True,  # False: no PIPELINING, so a client sends one command at a time
    ) -> None:
        if tls not in ("none", "starttls", "implicit"):
            raise ValueError(f"tls must be none, starttls or implicit, not {tls!r}")
        if tls != "none" and certificate is None:
            raise ValueError("a TLS server needs a certificate")
        self._lock = threading.Lock()
        self._state = _State(users=dict(users or {}), pipelining=pipelining)
        handler = _Handler(self._state, self._lock)
        kwargs: dict[str, Any] = {
            "hostname": HOST,
            "port": 0,
            "server_hostname": "smtp.test",
            "authenticator": handler.authenticate,
            "auth_require_tls": not offer_auth,
            "enable_SMTPUTF8": smtputf8,
        }
        if tls != "none":
            assert certificate is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            certificate.configure_cert(context)
            if tls == "implicit":
                kwargs["ssl_context"] = context
            else:
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = require_starttls
        self._controller = _Controller(self._count_connection, handler, **kwargs)
        self.tls = tls
        self.host = HOST

    def _count_connection(self) -> None:
        with self._lock:
            self._state.connections += 1

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    def start(self) -> SmtpTestServer:
        self._controller.start()
        with self._lock:
            self._state.connections = 0  # forget the controller's own start-up probe
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def received(self) -> list[Received]:
        """The messages accepted so far, oldest first."""
        with self._lock:
            return list(self._state.received)

    @property
    def connections(self) -> int:
        """How many connections clients opened since start (or the last `reset`)."""
        with self._lock:
            return self._state.connections

    def fail(self, command: str, code: int, text: str, *, times: int | None = 1) -> None:
        """Answer the next `times` MAIL/RCPT/DATA/AUTH commands with ``code text`` (None: until
        reset).

        Failures given for the same command queue up in order: ``fail("RCPT", 550, ...)`` then
        ``fail("RCPT", 452, ...)`` refuses the next recipient with 550 and the one after with 452.
        A DATA failure is the reply after the message data (the message is not recorded).
        """
        if command not in (*COMMANDS, "AUTH"):
            raise ValueError(f"command must be one of {COMMANDS} or AUTH, not {command!r}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for 'until reset'")
        with self._lock:
            self._state.failures.setdefault(command, []).append(_Failure(code, text, times))

    def drop_during_data(self, *, times: int = 1) -> None:
        """Hang up on the next `times` messages after their data arrived, before the reply."""
        self.drop_at("DATA", times=times)

    def drop_at(self, command: str, *, times: int = 1) -> None:
        """Hang up instead of answering the next `times` MAIL, RCPT or DATA commands.

        For DATA the hang-up comes after the message data arrived, before the final reply.
        """
        if command not in COMMANDS:
            raise ValueError(f"command must be one of {COMMANDS}, not {command!r}")
        with self._lock:
            self._state.drops[command] = times

    def delay_data(self, seconds: float) -> None:
        """Wait ``seconds`` after each message's data before accepting it (a slow server)."""
        with self._lock:
            self._state.data_delay_s = seconds

    def echo_auth(self, code: int | None) -> None:
        """Refuse every AUTH with ``code`` (e.g. 535, or 454 for a temporary refusal), the reply
        repeating the credentials as the client sent them; None: authenticate normally."""
        with self._lock:
            self._state.echo_auth = code

    def hang_up(self) -> None:
        """Close every open client connection from the server side, as an idle timeout would."""
        future = asyncio.run_coroutine_threadsafe(self._controller.hang_up(), self._controller.loop)
        future.result(timeout=10)

    def reset(self) -> None:
        """Forget failures, drops, delays, received messages and the connection count."""
        with self._lock:
            self._state.failures.clear()
            self._state.drops.clear()
            self._state.received.clear()
            self._state.connections = 0
            self._state.data_delay_s = 0.0


def closed_port() -> int:
    """A loopback port with nothing listening on it (connections to it are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class TlsMaterial:
    """A trustme CA and a server certificate for 127.0.0.1/localhost, with the CA as a PEM file."""

    ca: trustme.CA
    certificate: trustme.LeafCert
    ca_file: Path


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    ca = trustme.CA()
    certificate = ca.issue_cert(HOST, "localhost")
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TlsMaterial(ca, certificate, ca_file)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A plain SMTP server on loopback, no AUTH."""
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def auth_smtp_server() -> Iterator[SmtpTestServer]:
    """A plain SMTP server that requires AUTH as ``wsis@association.test`` / ``s3cret-Pa55``."""
    with SmtpTestServer(users={"wsis@association.test": "s3cret-Pa55"}) as server:
        yield server


@pytest.fixture
def starttls_smtp_server(tls_ca: TlsMaterial) -> Iterator[SmtpTestServer]:
    """An SMTP server offering STARTTLS (and requiring it) with a certificate from `tls_ca`."""
    with SmtpTestServer(
        tls="starttls", certificate=tls_ca.certificate, require_starttls=True
    ) as server:
        yield server


@pytest.fixture
def tls_smtp_server(tls_ca: TlsMaterial) -> Iterator[SmtpTestServer]:
    """An SMTP server speaking implicit TLS (SMTPS) with a certificate from `tls_ca`."""
    with SmtpTestServer(tls="implicit", certificate=tls_ca.certificate) as server:
        yield server


__all__ = [
    "Received",
    "SmtpTestServer",
    "TlsMaterial",
    "auth_smtp_server",
    "closed_port",
    "smtp_server",
    "starttls_smtp_server",
    "tls_ca",
    "tls_smtp_server",
]
