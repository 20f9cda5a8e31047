"""No password reaches an output, a log line or the ledger, whatever a server echoes back.

Every error path of the SMTP sink and the IMAP source runs against servers that repeat the
credentials they were sent (tests/support/smtp_server.py in echo mode, tests/support/imap_echo.py);
then the CLI's output, the debug log and the ledger's files are searched for the password, as
written and in every base64 form a server could echo (decoded back at every alignment).
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.imap_echo import EchoingImapServer
from support.leaks import leaks as leaks_of
from support.smtp_server import SmtpTestServer

from mailflow import logs
from mailflow.answering import outbox
from mailflow.cli import main
from mailflow.config_loader import load
from mailflow.ledger import Ledger

USER = "wsis@association.test"
PASSWORD = 'Tr0ub4dor&3-echo"pw'


def leaks(text: str) -> list[str]:
    """Where ``text`` holds the password (`support.leaks.leaks`)."""
    return leaks_of(text, PASSWORD)


class Workspace:
    """A config for the echoing servers, an initialised ledger, and everything shown or logged."""

    def __init__(self, root: Path, smtp: SmtpTestServer, imap_port: int) -> None:
        self.root = root
        self.config = root / "mailflow.toml"
        self.config.write_text(
            f'[ledger]\nurl = "sqlite:///{root / "ledger.sqlite3"}"\n'
            f'[imap]\nhost = "127.0.0.1"\nport = {imap_port}\nsecurity = "none"\nuser = "{USER}"\n'
            f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\n'
            f'user = "{USER}"\nfrom = "WSIS coordinator <{USER}>"\n'
            '[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
            encoding="utf-8",
        )
        self.env = {"MAILFLOW_SMTP_PASSWORD": PASSWORD, "MAILFLOW_IMAP_PASSWORD": PASSWORD}
        self.shown: list[str] = []
        self.log = io.StringIO()
        self.run("init")
        self.ledger = Ledger(load(self.config, environ={}).ledger.url)

    def run(self, *args: str) -> int:
        level = logging.getLogger().level
        handler = logs.setup("text", "DEBUG", stream=self.log)
        try:
            result = CliRunner().invoke(
                main, ["--config", str(self.config), *args], env=self.env, catch_exceptions=False
            )
        finally:
            logs.teardown(handler)
            logging.getLogger().setLevel(level)  # what logs.setup changed, for the next tests
        self.shown.append(result.output)
        return result.exit_code

    def queue(self, n: int) -> None:
        with self.ledger.transaction() as session:
            outbox.queue(
                session,
                kind="confirmation",
                message_id=f"<confirm-{n}@association.test>",
                sender=USER,
                recipient=f"member{n}@members.test",
                subject="Re: contribution",
                data=f"Message-ID: <confirm-{n}@association.test>\r\n\r\nThank you.\r\n".encode(),
            )

    def everything(self) -> str:
        """All that was shown and logged, and the ledger's files (WAL included) as text."""
        self.run("status", "--json")
        self.run("outbox", "list", "--json")
        self.run("outbox", "list")
        self.ledger.close()
        files = sorted(self.root.glob("ledger.sqlite3*"))
        stored = "".join(path.read_bytes().decode("latin-1") for path in files)
        return "\n".join([*self.shown, self.log.getvalue(), stored])


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer(users={USER: PASSWORD}) as server:
        yield server


def test_leaks_finds_the_password_in_every_echoed_form() -> None:
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    login = base64.b64encode(PASSWORD.encode()).decode()

    assert leaks(f"535 {plain}") and leaks(f"535 {login}") and leaks(f"BAD {PASSWORD}")
    assert leaks("535 5.7.8 credentials *** are not valid here") == []


def test_smtp_server_echoing_credentials_on_every_error_path_leaks_nothing(
    tmp_path: Path, smtp: SmtpTestServer
) -> None:
    work = Workspace(tmp_path, smtp, imap_port=1)
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    echo = f"you sent {PASSWORD} {plain}"

    work.queue(1)
    smtp.echo_auth(535)  # credentials refused for good: an error before anything is sent
    refused = work.run("outbox", "flush")
    smtp.echo_auth(454)  # refused for now: a retry, its reply stored (and shown: exit 1)
    deferred = work.run("outbox", "flush")
    smtp.echo_auth(None)
    for command, code in (("MAIL", 550), ("RCPT", 451), ("DATA", 554)):
        smtp.fail(command, code, echo, times=None)
        work.run("outbox", "flush")
        smtp.reset()
    text = work.everything()

    assert (refused, deferred) == (1, 1)
    assert "are not valid here" in text  # the replies are there, redacted
    assert f"you sent *** {plain[:20]}" in text
    assert leaks(text) == []


@pytest.mark.parametrize("mode", ["bad", "no", "bye"])
def test_imap_server_echoing_login_leaks_nothing(
    tmp_path: Path, smtp: SmtpTestServer, mode: str
) -> None:
    with EchoingImapServer(mode) as imap:
        work = Workspace(tmp_path, smtp, imap.port)
        code = work.run("poll", "--no-send")
        sent = imap.logins
    text = work.everything()

    assert code == 1
    assert len(sent) == 1 and PASSWORD.encode() in sent[0].replace(b'\\"', b'"')
    assert leaks(text) == []
