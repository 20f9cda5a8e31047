"""The whole campaign over real servers: members mail through Postfix into Dovecot, mailflow
polls, answers, is reviewed, compiles and sends the report, and IFLA's reply acknowledges it.

Needs root and Debian's postfix, dovecot-imapd and dovecot-lmtpd (skipped otherwise). Mail
between the test's people goes through Postfix (SMTP on loopback) into Dovecot (LMTP); mailflow
reads the association's mailbox over IMAP and sends through the same Postfix.
"""

from __future__ import annotations

import json
import smtplib
import time
import uuid
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from imap_tools import MailBoxUnencrypted
from support.postfix import Postfix
from support.servers import SHARED_PASSWORD, Dovecot

from mailflow.cli import main

pytestmark = pytest.mark.servers

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class World:
    """The people of the test, their addresses on the test Postfix, and mailflow's config."""

    def __init__(self, tmp_path: Path, dovecot: Dovecot, postfix: Postfix) -> None:
        tag = uuid.uuid4().hex[:8]
        self.dovecot, self.postfix = dovecot, postfix
        self.association = f"wsis-{tag}@association.test"
        self.ifla = f"ifla-{tag}@members.test"
        self.anna = f"anna-{tag}@members.test"
        self.minh = f"minh-{tag}@members.test"
        self.stranger = f"stranger-{tag}@members.test"
        self.away = f"away-{tag}@members.test"
        self.config = tmp_path / "mailflow.toml"
        self.config.write_text(
            f"""
[ledger]
url = "sqlite:///ledger.sqlite3"
[imap]
host = "127.0.0.1"
port = {dovecot.imap_port}
security = "none"
user = "{self.association}"
[smtp]
host = "127.0.0.1"
port = {postfix.smtp_port}
security = "none"
user = ""
from = "WSIS coordinator <{self.association}>"
[campaign]
name = "WSIS e2e {tag}"
association = "Test Library Association"
deadline = "2099-09-30T23:59:59+07:00"
recipient = "{self.ifla}"
""",
            encoding="utf-8",
        )
        (tmp_path / "members.csv").write_text(
            "email,name,organisation,country,language\n"
            f"{self.anna},Anna Berg,Lakeside Library,Sweden,en\n"
            f"{self.minh},Trần Văn Minh,Thư viện Sư phạm,Viet Nam,vi\n"
            f"{self.away},Away Person,Away Library,Kenya,en\n",
            encoding="utf-8",
        )
        self.members_csv = tmp_path / "members.csv"
        self.runner = CliRunner()
        self.env = {"MAILFLOW_CONFIG": str(self.config), "MAILFLOW_IMAP_PASSWORD": SHARED_PASSWORD}

    def cli(self, *args: str) -> str:
        result = self.runner.invoke(main, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.postfix.host, self.postfix.smtp_port, timeout=30) as smtp:
            smtp.send_message(message)

    def mail(self, sender: str, to: str, subject: str, body: str, **headers: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message["Message-ID"] = make_msgid(domain="members.test")
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        self.send(message)
        return str(message["Message-ID"])

    def inbox(self, user: str) -> list[EmailMessage]:
        with MailBoxUnencrypted(self.postfix.host, self.dovecot.imap_port).login(
            user, SHARED_PASSWORD, initial_folder="INBOX"
        ) as box:
            uids = box.uids()
            if not uids:
                return []
            _, data = box.client.uid("FETCH", ",".join(uids), "(BODY.PEEK[])")
            return [
                message_from_bytes(item[1], policy=policy.default)  # type: ignore[misc]
                for item in data
                if isinstance(item, tuple)
            ]

    def wait_inbox(self, user: str, count: int) -> list[EmailMessage]:
        return eventually(
            lambda: found if len(found := self.inbox(user)) >= count else None,
            f"{count} message(s) in {user}'s mailbox",
        )

    def status(self) -> dict[str, Any]:
        return json.loads(self.cli("status", "--json"))  # type: ignore[no-any-return]


CONTRIBUTION = """\
Organisation: {org}
Country: {country}
Action lines: C3 Access to information and knowledge, C4 Capacity building
Why: {why}
Outputs: our digital skills programme https://library.example.org/skills
Achievements: 1,200 people trained.
Trends: more mobile users.
Obstacles: slow connections in rural branches.
Future actions: a regional network of trainers with neighbouring countries.
"""


@pytest.fixture
def world(tmp_path: Path, dovecot: Dovecot, postfix_mta: Postfix) -> World:
    return World(tmp_path, dovecot, postfix_mta)


def test_campaign_end_to_end(world: World) -> None:
    w = world
    w.cli("init")
    w.cli("members", "import", str(w.members_csv))
    long_why = " ".join(["we trained librarians in many villages"] * 40)
    anna_id = w.mail(
        w.anna,
        w.association,
        "WSIS contribution",
        CONTRIBUTION.format(org="Lakeside Library", country="Sweden", why=long_why),
    )
    w.mail(
        w.minh,
        w.association,
        "Đóng góp WSIS",
        CONTRIBUTION.format(
            org="Thư viện Sư phạm",
            country="Viet Nam",
            why="Chúng tôi mở phòng đọc số cho sinh viên.",
        ),
    )
    stranger_id = w.mail(
        w.stranger,
        w.association,
        "Our contribution",
        CONTRIBUTION.format(org="Far Library", country="Peru", why="We lend laptops."),
    )
    w.mail(
        w.away,
        w.association,
        "Automatic reply: WSIS",
        "I am away until Monday.",
        Auto_Submitted="auto-replied",
    )
    w.wait_inbox(w.association, 4)

    summary = w.cli("poll")

    assert summary.startswith("4 new, 0 already recorded")
    # Anna is over the limit: her confirmation says so, threaded to her mail.
    anna_mail = w.wait_inbox(w.anna, 1)
    assert len(anna_mail) == 1
    confirmation = anna_mail[0]
    assert confirmation["In-Reply-To"] == anna_id
    assert confirmation["Subject"] == "Re: WSIS contribution"
    assert confirmation["Auto-Submitted"] == "auto-replied"
    text = confirmation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "the limit is 200" in text
    # Minh's confirmation is in Vietnamese; nobody answers the stranger or the auto-reply.
    minh_mail = w.wait_inbox(w.minh, 1)
    assert minh_mail[0]["Content-Language"] == "vi"
    status = w.status()
    assert status["submissions"] == {
        "accepted": 1,
        "needs_revision": 1,
        "held": 1,
        "rejected": 0,
        "superseded": 0,
    }
    assert status["messages"]["auto_reply"] == 1
    assert w.inbox(w.stranger) == [] and w.inbox(w.away) == []

    # Anna replies to the confirmation with a shorter text: version 2 replaces version 1.
    w.mail(
        w.anna,
        w.association,
        "Re: WSIS contribution",
        CONTRIBUTION.format(
            org="Lakeside Library",
            country="Sweden",
            why="Our reading rooms give free access to e-books.",
        ),
        In_Reply_To=str(confirmation["Message-ID"]),
    )
    w.wait_inbox(w.association, 5)
    w.cli("poll")
    rows = json.loads(w.cli("submissions", "list", "--json"))
    by_member = {row["member"]: row for row in rows}
    assert by_member[w.anna]["version"] == 2
    assert by_member[w.anna]["status"] == "accepted"
    assert by_member[w.anna]["supersedes"] is not None

    # The coordinator accepts the stranger's held mail: now the stranger is answered.
    held = by_member[w.stranger]
    assert held["status"] == "held"
    assert [i["code"] for i in held["issues"]] == ["not_member"]
    w.cli("review", str(held["id"]), "--accept", "--note", "a new member, joining in October")
    stranger_mail = w.wait_inbox(w.stranger, 1)
    assert stranger_mail[0]["In-Reply-To"] == stranger_id

    # Compile and send the report; IFLA reads it and replies.
    w.cli("compile", "--out", str(w.config.parent / "report"))
    w.cli("send-report")
    report = w.wait_inbox(w.ifla, 1)[0]
    attachments = sorted(part.get_filename() for part in report.iter_attachments())
    assert attachments == ["contributions.csv", "contributions.json", "report.docx"]
    refused = w.runner.invoke(main, ["send-report"], env=w.env)
    assert refused.exit_code == 1
    assert "already sent" in refused.output
    w.mail(
        w.ifla,
        w.association,
        "Re: " + str(report["Subject"]),
        "Thank you, received.",
        In_Reply_To=str(report["Message-ID"]),
    )
    w.wait_inbox(w.association, 6)
    w.cli("poll")

    status = w.status()
    assert status["report"]["state"] == "acknowledged"
    assert status["report"]["acknowledged_at"] is not None
    assert status["messages"]["acknowledgement"] == 1
    assert status["submissions"] == {
        "accepted": 3,
        "needs_revision": 0,
        "held": 0,
        "rejected": 0,
        "superseded": 1,
    }
    assert status["outbox"]["sent"] == 5  # 3 confirmations + Anna's v2 + the report
    assert status["outbox"]["failed"] == 0
