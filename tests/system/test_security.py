"""Security: verified TLS by default, passwords that never leak, member text that stays data.

TLS is tested against a Dovecot that requires it (`tls_servers`) and the aiosmtpd TLS servers,
all with certificates from a trustme CA made for the test session: mailflow refuses them until
that CA is configured. The password test runs a whole campaign cycle at DEBUG and then searches
every log line, every CLI output and every ledger column for the passwords. The last tests send
hostile member text through the real pipeline and check the mail headers, the HTML and the shell.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import io
import json
import logging
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from imap_tools import MailBox, MailBoxUnencrypted
from sqlalchemy import select
from support import ROOT
from support.servers import SHARED_PASSWORD, Mailbox, dovecot_available
from support.smtp_server import SmtpTestServer, TlsMaterial
from support.tls_servers import (  # noqa: F401  (pytest finds fixtures by name)
    TlsDovecot,
    TlsMailbox,
    tls_dovecot_fixture,
    tls_mailbox_fixture,
)

from mailflow import logs, members, pipeline
from mailflow.cli import main
from mailflow.config import ImapSettings, Secret, Settings
from mailflow.errors import SourceError
from mailflow.ledger import Ledger
from mailflow.ledger.models import Base, InboundMessage, OutboxMail
from mailflow.sources.imap import tls_context

PACKAGE = ROOT / "mailflow"


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


@pytest.mark.servers
def test_imap_tls_certificate_for_another_name_is_refused_even_with_its_ca(
    settings: Settings, ledger: Ledger, tls_ca: TlsMaterial
) -> None:
    if reason := dovecot_available():
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-tls-other-"))
    server = TlsDovecot.start_tls(base, tls_ca.ca.issue_cert("elsewhere.test"))
    try:
        mailbox = TlsMailbox(server, "wsis@association.test", SHARED_PASSWORD)
        config = tls_settings(settings, mailbox, "ssl", ca_file=str(tls_ca.ca_file))
        with pytest.raises(SourceError, match="TLS certificate not trusted") as caught:
            pipeline.run_once(config, ledger, send=False)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    assert "127.0.0.1" in str(caught.value)
    assert caught.value.retryable is False


def test_tls_context_verifies_certificates_and_host_names() -> None:
    context = tls_context()

    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert ImapSettings().security == "ssl"


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

    assert refused.exit_code == 1, refused.output
    assert refused.output.splitlines()[-1].startswith(
        "Error: 1 mail not sent: TLS certificate verification failed for "
    )
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
        f'[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\nrecipient = "ifla@ifla.test"\n'
        'association = "Lakeside Library Association"\n',
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


# -- member text stays data: headers, HTML, shell -----------------------------------------------
def encoded(text: str) -> str:
    """``text`` as one RFC 2047 encoded-word, CR and LF included."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def poll_and_compile(settings: Settings, ledger: Ledger, outdir: Path) -> list[Path]:
    from mailflow import campaign

    pipeline.run_once(settings, ledger)
    return campaign.compile_report(settings, ledger, outdir).files


def sent_mail(settings: Settings) -> list[tuple[bytes, EmailMessage]]:
    files = sorted(p for p in Path(settings.smtp.outdir).iterdir() if p.suffix == ".eml")
    return [
        (p.read_bytes(), message_from_bytes(p.read_bytes(), policy=policy.default)) for p in files
    ]


def test_member_text_never_adds_a_header_to_the_confirmation(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger, "member1@library.test")  # no roster name: the mail's display name is used
    name = encoded("Evil\r\n\r\nforged body and a bare \r to split lines")
    subject = encoded("Report\r\nBcc: evil2@attacker.test\r\n\r\nforged body")
    references = encoded("\r\nBcc: evil3@attacker.test")
    raw = (
        f"From: {name} <member1@library.test>\r\n"
        f"To: wsis@association.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <inject-1@library.test>\r\n"
        f"References: <a@library.test> {references}\r\n"
        f"Date: Mon, 08 Sep 2025 10:00:00 +0000\r\n\r\n"
        f"Action lines: C3\r\nWhy: we opened reading rooms.\r\n"
    ).encode()
    (Path(settings.imap.maildir) / "new" / "1.inject.test").write_bytes(raw)

    pipeline.run_once(settings, ledger)

    [(data, mail)] = sent_mail(settings)
    header_block = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    assert [line for line in header_block.splitlines() if line.lower().startswith(b"bcc")] == []
    assert "Bcc" not in mail
    assert [a.addr_spec for a in mail["To"].addresses] == ["member1@library.test"]
    assert "\n" not in str(mail["Subject"]) and "\r" not in str(mail["Subject"])
    assert mail["In-Reply-To"] == "<inject-1@library.test>"
    with ledger.transaction() as session:
        assert session.scalars(select(OutboxMail.recipient)).all() == ["member1@library.test"]


HOSTILE_MARKUP = {
    "organisation": "<script>alert('org')</script> Library",
    "why": '<img src=x onerror="alert(1)"> we opened reading rooms',
    "link": 'https://library.test/a"><script>alert(2)</script>',
}


def test_encoded_display_name_cannot_pose_as_a_member(settings: Settings, ledger: Ledger) -> None:
    add_member(ledger, "member1@library.test", name="Member One")
    name = encoded("Member One <member1@library.test>,")
    # Written as bytes: EmailMessage would decode the name while serialising the header.
    raw = contribution(1).replace(
        b"From: Member 1 <member1@library.test>", f"From: {name} <attacker@evil.test>".encode()
    )
    (Path(settings.imap.maildir) / "new" / "1.pose.test").write_bytes(raw)

    pipeline.run_once(settings, ledger)

    with ledger.transaction() as session:
        assert session.scalars(select(InboundMessage.sender)).all() == ["attacker@evil.test"]
        assert session.scalars(select(OutboxMail.recipient)).all() == []


def test_member_text_is_escaped_in_the_confirmation_and_the_report_html(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    add_member(ledger, "member1@library.test", name="<b>Member</b> <script>x()</script>")
    raw = contribution(
        1,
        Subject="<script>alert('subject')</script>",
        body=(
            f"Organisation: {HOSTILE_MARKUP['organisation']}\nAction lines: C3\n"
            f"Why: {HOSTILE_MARKUP['why']}\nOutputs: {HOSTILE_MARKUP['link']} javascript:alert(3)\n"
        ),
    )
    (Path(settings.imap.maildir) / "new" / "1.markup.test").write_bytes(raw)

    files = poll_and_compile(settings, ledger, tmp_path / "report")

    pages = [p.read_text(encoding="utf-8") for p in files if p.suffix == ".html"]
    [(_, confirmation)] = sent_mail(settings)
    html_part = confirmation.get_body(("html",))
    assert html_part is not None
    pages.append(html_part.get_content())
    assert len(pages) == 2
    for page in pages:
        lowered = page.lower()
        assert "<script" not in lowered
        assert "<img" not in lowered
        assert 'href="javascript:' not in lowered
    assert "&lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt; Library" in pages[0]


#: The only module allowed to start a process, and what it may start it with.
SUBPROCESS_USERS = {"config.py"}


def calls_in(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)]


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def test_no_module_hands_text_to_a_shell() -> None:
    risky = {"os.system", "os.popen", "os.spawnl", "os.spawnlp", "os.execv", "os.execvp", "eval"}
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "testing":
            # mailflow.testing starts Dovecot and Postfix for the tests and the benchmark, with
            # fixed argument lists; nothing that handles mail imports it.
            continue
        for call in calls_in(path):
            name = dotted(call.func)
            shell = any(
                k.arg == "shell" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                for k in call.keywords
            )
            if name in risky or name.startswith("subprocess.") or shell:
                found.setdefault(path.name, []).append(
                    name + (" shell=True" if shell else "") + f" {ast.unparse(call.args[0])}"
                    if call.args
                    else name
                )
    # The one process mailflow starts is the configured password_command, split by shlex.
    assert found == {"config.py": ["subprocess.run shlex.split(self._command)"]}


def test_member_text_with_shell_syntax_runs_nothing(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    payloads = [
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"; touch {marker} #",
        f"| touch {marker}",
    ]
    add_member(ledger, "member1@library.test", name=payloads[0], organisation=payloads[1])
    message = EmailMessage()
    message["From"] = f"{payloads[2]} <member1@library.test>"
    message["To"] = "wsis@association.test"
    message["Subject"] = " ".join(payloads)
    message["Message-ID"] = f"<$(touch {marker})@library.test>"
    message.set_content("Action lines: C3\nWhy: " + " ".join(payloads) + "\n")
    message.add_attachment(
        b"Outputs: https://library.test/", maintype="text", subtype="plain", filename=payloads[3]
    )
    (Path(settings.imap.maildir) / "new" / "1.shell.test").write_bytes(message.as_bytes())

    files = poll_and_compile(settings, ledger, tmp_path / "report")

    assert not marker.exists()
    assert {p.parent for p in files} == {tmp_path / "report"}
    assert len(sent_mail(settings)) == 1


@pytest.mark.servers
@pytest.mark.parametrize("which", ["imap", "smtp"])
def test_refused_password_is_in_no_error_log_or_ledger(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    auth_smtp_server: SmtpTestServer,
    debug_log: io.StringIO,
    tmp_path: Path,
    which: str,
) -> None:
    add_member(ledger, "member1@library.test", name="Member 1")
    with MailBoxUnencrypted("127.0.0.1", fresh_mailbox.server.imap_port).login(
        fresh_mailbox.user, fresh_mailbox.password, initial_folder=None
    ) as box:
        box.append(contribution(1), "INBOX")
    wrong = "wr0ng-Pa55-7f3a"
    config = tmp_path / "mailflow.toml"
    config.write_text(
        f'[ledger]\nurl = "{settings.ledger.url}"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{fresh_mailbox.user}"\n'
        f'[smtp]\nhost = "{auth_smtp_server.host}"\nport = {auth_smtp_server.port}\n'
        f'security = "none"\nuser = "{SMTP_USER}"\nfrom = "WSIS <{SMTP_USER}>"\n'
        f'[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
        encoding="utf-8",
    )
    env = {
        "MAILFLOW_IMAP_PASSWORD": wrong if which == "imap" else fresh_mailbox.password,
        "MAILFLOW_SMTP_PASSWORD": wrong if which == "smtp" else SMTP_PASSWORD,
    }

    result = CliRunner().invoke(main, ["--config", str(config), "poll"], env=env)
    status = CliRunner().invoke(main, ["--config", str(config), "status", "--json"], env=env)

    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert status.exit_code == 0
    # The error is kept for `status`, so the ledger searched below holds its text.
    assert json.loads(status.output)["service"]["last_error"].endswith(result.output[7:].strip())
    user = fresh_mailbox.user if which == "imap" else SMTP_USER
    text = "\n".join([result.output, status.output, debug_log.getvalue(), ledger_text(ledger)])
    assert {secret for secret in forms(user, wrong) if secret in text} == set()


def test_roster_text_never_adds_a_header_to_calls_and_reminders(
    settings: Settings, ledger: Ledger
) -> None:
    from mailflow import campaign

    evil = "Eve\r\nBcc: victim@attacker.test\r\n\r\nforged body"
    add_member(ledger, "eve@library.test", name=evil, organisation=evil)

    campaign.send_call(settings, ledger, force=True)
    campaign.send_reminders(settings, ledger, force=True)

    mails = sent_mail(settings)
    assert len(mails) == 2
    for data, mail in mails:
        header_block = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        assert [line for line in header_block.splitlines() if line.lower().startswith(b"bcc")] == []
        assert [a.addr_spec for a in mail["To"].addresses] == ["eve@library.test"]


def test_from_with_several_mailboxes_is_nobody_in_particular(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger, "member1@library.test", name="Member One")
    raw = contribution(1).replace(
        b"From: Member 1 <member1@library.test>",
        b"From: Member One <member1@library.test>, <attacker@evil.test>",
    )
    (Path(settings.imap.maildir) / "new" / "1.two-from.test").write_bytes(raw)

    pipeline.run_once(settings, ledger)

    with ledger.transaction() as session:
        assert session.scalars(select(InboundMessage.sender)).all() == [""]
        assert session.scalars(select(OutboxMail.recipient)).all() == []
