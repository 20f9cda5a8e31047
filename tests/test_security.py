"""Security: verified TLS by default, passwords that never leak, member text that stays data.

TLS is tested against a Dovecot that requires it (`tls_servers`) and the aiosmtpd TLS servers,
all with certificates from a trustme CA made for the test session: mailflow refuses them until
that CA is configured. The password test runs a whole campaign cycle at DEBUG and then searches
every log line, every CLI output and every ledger column for the passwords. The last tests send
hostile member text through the real pipeline and check the mail headers, the HTML and the shell.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from imap_tools import MailBox, MailBoxUnencrypted
from servers import Mailbox
from smtp_server import SmtpTestServer, TlsMaterial
from sqlalchemy import select
from tls_servers import (  # noqa: F401  (pytest finds fixtures by name)
    TlsMailbox,
    tls_dovecot_fixture,
    tls_mailbox_fixture,
)

from mailflow import logs, members, pipeline
from mailflow.cli import main
from mailflow.config import ImapSettings, Secret, Settings
from mailflow.errors import SourceError
from mailflow.ledger import Ledger
from mailflow.ledger.models import Base, InboundMessage
from mailflow.sources.imap import tls_context

PACKAGE = Path(__file__).resolve().parents[1] / "mailflow"


def contribution(n: int, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", f"Member {n} <member{n}@library.test>")
    message["To"] = "wsis@association.test"
    message["Subject"] = headers.pop("Subject", f"WSIS contribution {n}")
    message["Message-ID"] = f"<security-{n}@library.test>"
    message["Date"] = "Mon, 08 Sep 2025 10:00:00 +0000"
    message.set_content(
        headers.pop(
            "body",
            f"Organisation: Library {n}\nAction lines: C3\nWhy: we opened {n} reading rooms.\n"
            f"Outputs: https://library.test/{n}\n",
        )
    )
    return message.as_bytes()


def add_member(ledger: Ledger, address: str, **fields: str) -> None:
    with ledger.transaction() as session:
        members.upsert(session, [address], **fields)


# -- TLS on IMAP --------------------------------------------------------------------------------
def tls_settings(
    settings: Settings, mailbox: TlsMailbox, security: str, ca_file: str = ""
) -> Settings:
    port = mailbox.server.imaps_port if security == "ssl" else mailbox.server.imap_port
    imap = ImapSettings(
        host="127.0.0.1",
        port=port,
        security=security,
        user=mailbox.user,
        password=Secret(mailbox.password),
        ca_file=ca_file,
        timeout_s=20,
    )
    return dataclasses.replace(settings, imap=imap)


def tls_append(mailbox: TlsMailbox, ca: TlsMaterial, raw: bytes) -> None:
    context = tls_context(str(ca.ca_file))
    with MailBox("127.0.0.1", mailbox.server.imaps_port, ssl_context=context).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        box.append(raw, "INBOX")


@pytest.mark.servers
@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_tls_server_with_unknown_ca_is_refused_by_default(
    settings: Settings, ledger: Ledger, tls_mailbox: TlsMailbox, security: str
) -> None:
    config = tls_settings(settings, tls_mailbox, security)

    with pytest.raises(SourceError) as caught:
        pipeline.run_once(config, ledger, send=False)

    assert str(caught.value).startswith(
        f"IMAP server 127.0.0.1:{config.imap.port}: TLS certificate not trusted ("
    )
    assert str(caught.value).endswith("); set imap.ca_file for a private CA")
    assert caught.value.retryable is False


@pytest.mark.servers
@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_tls_server_is_read_once_its_ca_is_configured(
    settings: Settings,
    ledger: Ledger,
    tls_mailbox: TlsMailbox,
    tls_ca: TlsMaterial,
    security: str,
) -> None:
    raw = contribution(1)
    tls_append(tls_mailbox, tls_ca, raw)
    config = tls_settings(settings, tls_mailbox, security, ca_file=str(tls_ca.ca_file))

    summary = pipeline.run_once(config, ledger, send=False)

    assert summary.new == 1
    with ledger.transaction() as session:
        assert session.scalars(select(InboundMessage.raw)).one() == raw.replace(b"\n", b"\r\n")


# -- TLS on SMTP, from the config file ----------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "security"), [("starttls_smtp_server", "starttls"), ("tls_smtp_server", "ssl")]
)
def test_smtp_tls_confirmation_waits_until_the_ca_is_configured(
    settings: Settings,
    ledger: Ledger,
    tls_ca: TlsMaterial,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    fixture: str,
    security: str,
) -> None:
    server: SmtpTestServer = request.getfixturevalue(fixture)
    add_member(ledger, "member1@library.test", name="Member 1")
    (Path(settings.imap.maildir) / "new" / "1.security.test").write_bytes(contribution(1))
    config = tmp_path / "mailflow.toml"
    common = (
        f'[ledger]\nurl = "{settings.ledger.url}"\n'
        f'[imap]\nmaildir = "{settings.imap.maildir}"\nuser = "wsis@association.test"\n'
        f'[smtp]\nhost = "{server.host}"\nport = {server.port}\nsecurity = "{security}"\n'
        f'user = ""\nfrom = "WSIS <wsis@association.test>"\n'
    )
    campaign = '[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n'
    runner = CliRunner()

    config.write_text(campaign + common, encoding="utf-8")
    refused = runner.invoke(main, ["--config", str(config), "poll"])
    listed = runner.invoke(main, ["--config", str(config), "outbox", "list"])
    config.write_text(campaign + common + f'ca_file = "{tls_ca.ca_file}"\n', encoding="utf-8")
    accepted = runner.invoke(main, ["--config", str(config), "outbox", "flush"])

    assert refused.exit_code == 0, refused.output
    assert "TLS certificate verification failed" in listed.output
    assert accepted.output == "outbox: 1 sent\n"
    assert [r.tls for r in server.received] == [True]


# -- passwords ----------------------------------------------------------------------------------
SMTP_USER, SMTP_PASSWORD = "wsis@association.test", "s3cret-Pa55"


def forms(user: str, password: str) -> set[str]:
    """The password as it could leak: plain, and inside SMTP AUTH PLAIN / LOGIN exchanges."""
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    login = base64.b64encode(password.encode()).decode()
    return {password, plain, login}


def ledger_text(ledger: Ledger) -> str:
    """Every column of every row of every table, as text (bytes as Latin-1)."""
    chunks: list[str] = []
    with ledger.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        chunks.append(value.decode("latin-1"))
                    else:
                        chunks.append(str(value))
    return "\n".join(chunks)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything mailflow logs, at DEBUG, as the service would set it up."""
    stream = io.StringIO()
    handler = logs.setup("text", "DEBUG", stream=stream)
    yield stream
    logs.teardown(handler)
    logging.getLogger().setLevel(logging.WARNING)


@pytest.mark.servers
def test_full_cycle_at_debug_never_shows_a_password(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    auth_smtp_server: SmtpTestServer,
    debug_log: io.StringIO,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    with MailBoxUnencrypted("127.0.0.1", fresh_mailbox.server.imap_port).login(
        fresh_mailbox.user, fresh_mailbox.password, initial_folder=None
    ) as box:
        box.append(contribution(1), "INBOX")
        box.append(contribution(2, body="no action line here, just thanks"), "INBOX")
        box.append(contribution(3, From="Stranger <stranger@elsewhere.test>"), "INBOX")
    secret_file = tmp_path / "smtp-password"
    secret_file.write_text(SMTP_PASSWORD + "\n", encoding="utf-8")
    config = tmp_path / "mailflow.toml"
    config.write_text(
        f'[ledger]\nurl = "{settings.ledger.url}"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{fresh_mailbox.user}"\n'
        f'[smtp]\nhost = "{auth_smtp_server.host}"\nport = {auth_smtp_server.port}\n'
        f'security = "none"\nuser = "{SMTP_USER}"\nfrom = "WSIS <{SMTP_USER}>"\n'
        f'password_command = "cat {secret_file}"\n'
        f'[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\nrecipient = "ifla@ifla.test"\n',
        encoding="utf-8",
    )
    (tmp_path / "members.csv").write_text(
        "email,name,organisation,country,language\n"
        "member1@library.test,Member 1,Library 1,Kenya,en\n"
        "member2@library.test,Member 2,Library 2,Chile,es\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    env = {"MAILFLOW_IMAP_PASSWORD": fresh_mailbox.password}
    outputs = []
    for command in (
        ["members", "import", str(tmp_path / "members.csv")],
        ["call"],
        ["poll"],
        ["review", "3", "--accept"],
        ["compile", "--out", str(tmp_path / "report")],
        ["send-report"],
        ["status", "--json"],
        ["outbox", "list", "--json"],
        ["submissions", "list", "--json"],
    ):
        result = runner.invoke(main, ["--config", str(config), *command], env=env)
        assert result.exit_code == 0, (command, result.output)
        outputs.append(result.output)

    captured = capfd.readouterr()
    seen = {
        "log": debug_log.getvalue(),
        "stdout/stderr": captured.out + captured.err,
        "cli": "\n".join(outputs),
        "ledger": ledger_text(ledger),
        "report": "\n".join(
            p.read_bytes().decode("latin-1") for p in (tmp_path / "report").iterdir()
        ),
    }
    assert "DEBUG" in seen["log"] and "recorded <security-1@library.test>" in seen["log"]
    # Sent with AUTH: 2 calls, 2 confirmations, 1 after the review, the report.
    assert [r.login for r in auth_smtp_server.received] == [SMTP_USER] * 6
    secrets = forms(SMTP_USER, SMTP_PASSWORD) | forms(fresh_mailbox.user, fresh_mailbox.password)
    leaks = {
        (where, secret) for where, text in seen.items() for secret in secrets if secret in text
    }
    assert leaks == set()
