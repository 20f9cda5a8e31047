"""Processing of recorded mail: who gets answered, the loop breaker, versions, limits."""

from __future__ import annotations

import dataclasses
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from sqlalchemy import func, select

from mailflow import members, pipeline
from mailflow.config import ImapSettings, SecuritySettings, Settings
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, OutboxMail, Submission

CONTRIBUTION = (
    "From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\n"
    "Subject: WSIS {n}\r\nMessage-ID: <c{n}@members.test>\r\n{extra}\r\n"
    "Action lines: C3\r\nWhy: we lend e-readers in {n} villages. https://lib.example.org\r\n"
)


def deliver(settings: Settings, name: str, raw: str | bytes) -> None:
    data = raw.encode() if isinstance(raw, str) else raw
    (Path(settings.imap.maildir) / "new" / name).write_bytes(data)


def add_member(ledger: Ledger, address: str = "hoa@members.test") -> None:
    with ledger.transaction() as session:
        members.upsert(session, [address], name="Hoa", language="vi")


def count(ledger: Ledger, model: type) -> int:
    with ledger.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_loop_breaker_caps_automatic_mails_per_address_per_day(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    config = dataclasses.replace(settings, security=SecuritySettings(max_auto_replies_per_day=3))
    for n in range(6):
        deliver(settings, f"{n}.mail", CONTRIBUTION.format(n=n, extra=""))

    summary = pipeline.run_once(config, ledger, send=False)

    assert summary.new == 6
    assert summary.confirmations_queued == 3
    assert count(ledger, OutboxMail) == 3
    assert count(ledger, Submission) == 6


def test_non_member_is_held_and_not_answered(settings: Settings, ledger: Ledger) -> None:
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.statuses == {"held": 1}
    assert count(ledger, OutboxMail) == 0


def test_auto_reply_from_a_member_is_recorded_not_answered(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra="Auto-Submitted: auto-replied\r\n"))

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.kinds == {"auto_reply": 1}
    assert count(ledger, Submission) == 0
    assert count(ledger, OutboxMail) == 0


def test_reply_that_only_quotes_is_not_a_new_version(settings: Settings, ledger: Ledger) -> None:
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))
    pipeline.run_once(settings, ledger, send=False)
    quoted = (
        "From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\n"
        "Subject: Re: WSIS 1\r\nMessage-ID: <r1@members.test>\r\n"
        "In-Reply-To: <c1@members.test>\r\n\r\n"
        "On Mon, 15 Sep 2025 at 10:00, WSIS coordinator <wsis@association.test> wrote:\r\n"
        "> Action lines: C3\r\n> Why: we lend e-readers in 1 villages.\r\n"
    )
    deliver(settings, "2.mail", quoted)

    pipeline.run_once(settings, ledger, send=False)

    assert count(ledger, Submission) == 1
    with ledger.transaction() as session:
        kinds = dict(session.execute(select(InboundMessage.message_id, InboundMessage.kind)).all())
    assert kinds["<r1@members.test>"] == "other"


def test_later_contribution_supersedes_the_earlier(settings: Settings, ledger: Ledger) -> None:
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))
    pipeline.run_once(settings, ledger, send=False)
    deliver(settings, "2.mail", CONTRIBUTION.format(n=2, extra=""))

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        rows = session.execute(
            select(Submission.version, Submission.status, Submission.supersedes_id).order_by(
                Submission.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, "superseded", None), (2, "accepted", 1)]


def test_message_over_the_size_cap_is_recorded_with_an_issue(
    settings: Settings, ledger: Ledger, monkeypatch: object
) -> None:
    from mailflow.reading import mime

    add_member(ledger)
    big = CONTRIBUTION.format(n=1, extra="") + "x" * 2000 + "\r\n"
    deliver(settings, "1.mail", big)
    small_limits = mime.Limits(max_message_bytes=1000)
    original = mime.read_message
    monkeypatch.setattr(  # type: ignore[attr-defined]
        mime,
        "read_message",
        lambda raw, limits=small_limits, **kw: original(raw, small_limits, **kw),
    )

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        sub = session.scalars(select(Submission)).one()
        codes = [i["code"] for i in sub.issues]
    assert "too_large" in codes
    assert count(ledger, InboundMessage) == 1


def test_versions_in_one_second_follow_maildir_arrival_not_name_text(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    # Same second; the microseconds field 1000 (later) sorts before 999 as text.
    deliver(settings, "1700000000.M999P42Q1.host", CONTRIBUTION.format(n=1, extra=""))
    deliver(settings, "1700000000.M1000P42Q2.host", CONTRIBUTION.format(n=2, extra=""))

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        rows = session.execute(
            select(InboundMessage.source_key, Submission.version, Submission.status)
            .join(Submission, Submission.inbound_id == InboundMessage.id)
            .order_by(Submission.version)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("1700000000.M999P42Q1.host", 1, "superseded"),
        ("1700000000.M1000P42Q2.host", 2, "accepted"),
    ]


def test_confirmation_reply_to_is_the_from_address_without_reply_to_key(
    settings: Settings, ledger: Ledger
) -> None:
    # The IMAP user keeps its built-in placeholder, as with any Maildir source.
    config = dataclasses.replace(settings, imap=ImapSettings(maildir=settings.imap.maildir))
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))

    pipeline.run_once(config, ledger, send=False)

    with ledger.transaction() as session:
        data = session.scalars(select(OutboxMail.data)).one()
    headers = BytesHeaderParser(policy=policy.default).parsebytes(data)
    assert headers["Reply-To"] == "WSIS coordinator <wsis@association.test>"
    assert b"association.example" not in data


def test_confirmation_reply_to_comes_from_the_reply_to_key(
    settings: Settings, ledger: Ledger
) -> None:
    config = dataclasses.replace(
        settings, smtp=dataclasses.replace(settings.smtp, reply_to="desk@association.test")
    )
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))

    pipeline.run_once(config, ledger, send=False)

    with ledger.transaction() as session:
        data = session.scalars(select(OutboxMail.data)).one()
    assert BytesHeaderParser(policy=policy.default).parsebytes(data)["Reply-To"] == (
        "desk@association.test"
    )
