"""Text from strangers stays inert: no link or one-line stored field carries a CR or LF."""

from __future__ import annotations

import csv
import io
import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow import members, pipeline
from mailflow.campaign.export import export
from mailflow.config import Settings
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, Member, OutboxMail, Submission
from mailflow.reading.links import find_links

HOSTILE = (
    "From: =?utf-8?q?Hoa=0D=0ABcc=3A_victim=40x=2Etest?= <hoa@members.test>\r\n"
    "To: wsis@association.test\r\n"
    "Subject: =?utf-8?q?WSIS=0D=0ABcc=3A_victim=40x=2Etest?=\r\n"
    "Message-ID: <hostile-links@members.test>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<p>Organisation: Hanoi Library</p><p>Action lines: C3</p>"
    '<p>Outputs: <a href="http://evil.example/a&#13;&#10;Bcc: victim@x.test">our site</a>'
    " and http://plain.example/b\x0bBcc:victim@x.test</p>\r\n"
    "--B\r\nContent-Type: text/plain\r\n"
    "Content-Disposition: attachment; filename*=utf-8''notes%0D%0ABcc%3A%20x.txt\r\n\r\n"
    "Why: we lend e-readers. See http://doc.example/c\x85next\r\n"
    "--B--\r\n"
)


def test_find_links_end_at_control_characters() -> None:
    text = "see http://a.example/x\x00y and http://b.example/p\u2028q"

    links = find_links(text, ["http://c.example/z\r\nBcc: v@x.test", "http://d.example/\x1b[0m"])

    assert links == (
        "http://a.example/x",
        "http://b.example/p",
        "http://c.example/z",
        "http://d.example/",
    )


def test_hostile_mail_stores_no_cr_or_lf_in_links_or_one_line_fields(
    settings: Settings, ledger: Ledger
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["hoa@members.test"], name="Hoa", language="vi")
    (Path(settings.imap.maildir) / "new" / "1.hostile").write_bytes(HOSTILE.encode())

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        inbound = session.scalars(select(InboundMessage)).one()
        submission = session.scalars(select(Submission)).one()
        one_line = [
            inbound.subject,
            inbound.sender,
            *submission.links,
            *submission.attachments,
            submission.sender_address,
            submission.fields.get("organisation", ""),
        ]
    exported = json.loads(export(settings, ledger, "json"))
    assert [link for link in submission.links if "Bcc" in link] == []
    assert set(submission.links) >= {"http://evil.example/a", "http://plain.example/b"}
    assert [value for value in one_line if "\r" in value or "\n" in value] == []
    assert [link for row in exported for link in row["links"] if "\r" in link or "\n" in link] == []


def test_confirmation_shows_a_name_isolated_without_overrides(
    settings: Settings, ledger: Ledger
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["hoa@members.test"], name="\u202eأحمد\u200b", language="en")
    mail = (
        "From: hoa@members.test\r\nTo: wsis@association.test\r\nSubject: WSIS\r\n"
        "Message-ID: <bidi@members.test>\r\n\r\n"
        "Action lines: C3\r\nWhy: we lend e-readers. https://lib.example.org\r\n"
    )
    (Path(settings.imap.maildir) / "new" / "1.bidi").write_bytes(mail.encode())

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        data = session.scalars(select(OutboxMail.data)).one()
        stored = session.scalars(select(Member.name)).one()
    text = message_from_bytes(data, policy=policy.default).get_body(("plain",)).get_content()
    assert "\u2068أحمد\u2069" in text
    assert "\u202e" not in text and "\u200b" not in text
    assert stored == "\u202eأحمد\u200b"  # what the roster says is kept as it was written


def test_export_csv_guards_every_cell_a_spreadsheet_would_run(
    settings: Settings, ledger: Ledger
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["hoa@members.test"], name="=cmd|' /C calc'!A0", language="en")
    mail = (
        "From: hoa@members.test\r\nTo: wsis@association.test\r\nSubject: @SUM(1+1)\r\n"
        "Message-ID: <formula@members.test>\r\n\r\n"
        'Organisation: \t=HYPERLINK("http://evil.example")\r\nCountry: +1-2\r\n'
        "Action lines: C3\r\nWhy: -2+3 we lend e-readers. https://lib.example.org\r\n"
    )
    (Path(settings.imap.maildir) / "new" / "1.formula").write_bytes(mail.encode())
    pipeline.run_once(settings, ledger, send=False)

    rows = list(csv.reader(io.StringIO(export(settings, ledger, "csv"))))

    starts = ("=", "+", "-", "@", "\t", "\r")
    assert [cell for row in rows[1:] for cell in row if cell.startswith(starts)] == []
    assert {'\'=HYPERLINK("http://evil.example")', "'+1-2"} <= set(rows[1])


def nested_too_deeply(depth: int = 5000) -> bytes:
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(depth)
    )
    closing = "".join(f"--b{n}--\r\n" for n in reversed(range(depth)))
    head = (
        "From: hoa@members.test\r\nTo: wsis@association.test\r\nSubject: WSIS\r\n"
        "Message-ID: <nested@members.test>\r\nMIME-Version: 1.0\r\n"
    )
    return (
        head + opening + "Content-Type: text/plain\r\n\r\nAction lines: C3\r\n" + closing
    ).encode()


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Your message had parts nested too deeply inside one another for us to read it"),
        ("fr", "Votre message contenait des parties imbriquées trop profondément"),
    ],
)
def test_member_whose_mail_is_nested_too_deeply_is_told_so(
    settings: Settings, ledger: Ledger, language: str, sentence: str
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["hoa@members.test"], name="Hoa", language=language)
    (Path(settings.imap.maildir) / "new" / "1.nested").write_bytes(nested_too_deeply())

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        data = session.scalars(select(OutboxMail.data)).one()
        issues = session.scalars(select(Submission.issues)).one()
    text = message_from_bytes(data, policy=policy.default).get_body(("plain",)).get_content()
    assert " ".join(sentence.split()) in " ".join(text.split())
    assert {"code": "too_large", "limits": "too_deeply_nested"} in [
        {"code": i["code"], "limits": i["params"].get("limits")} for i in issues
    ]


def test_mail_claiming_to_be_iflas_acknowledgement_without_the_report_id_stays_held(
    settings: Settings, ledger: Ledger
) -> None:
    claim = (
        f"From: Maria <{settings.campaign.recipient}>\r\nTo: wsis@association.test\r\n"
        "Subject: Re: WSIS 2025 report - received, thank you\r\n"
        "Message-ID: <fake-ack@ifla.example>\r\nIn-Reply-To: <not-our-report@x.test>\r\n\r\n"
        "We acknowledge receipt of your report.\r\n"
    )
    (Path(settings.imap.maildir) / "new" / "1.ack").write_bytes(claim.encode())

    summary = pipeline.run_once(settings, ledger, send=False)

    assert (summary.kinds, summary.statuses) == ({"contribution": 1}, {"held": 1})
    with ledger.transaction() as session:
        assert session.scalars(select(OutboxMail)).all() == []
