"""Processing of recorded mail: who gets answered, the loop breaker, versions, limits."""

from __future__ import annotations

import dataclasses
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from sqlalchemy import func, select

from mailflow import members, pipeline, submissions, views
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
    assert kinds["<r1@members.test>"] == "member_note"


THANKS = (
    "From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\n"
    "Subject: Re: {subject}\r\nMessage-ID: <{mid}@members.test>\r\n"
    "In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "{text}\r\n\r\n"
    "On Mon, 15 Sep 2025 at 10:00, WSIS coordinator <wsis@association.test> wrote:\r\n"
    "> Thank you for your contribution.\r\n> Action lines: C3\r\n"
)


def _confirmation_id(ledger: Ledger) -> str:
    with ledger.transaction() as session:
        return session.scalars(select(OutboxMail.message_id)).one()


def test_thank_you_reply_to_a_confirmation_is_a_member_note(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))
    pipeline.run_once(settings, ledger, send=False)
    reply_to = _confirmation_id(ledger)
    text = "Thanks so much!\r\n\r\nBest regards,\r\nHoa"
    deliver(
        settings, "2.mail", THANKS.format(subject="WSIS 1", mid="t1", reply_to=reply_to, text=text)
    )

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.kinds == {"member_note": 1}
    with ledger.transaction() as session:
        sub = session.scalars(select(Submission)).one()
        shown = submissions.as_dict(session, sub, full=True)
    assert (sub.version, sub.status) == (1, "accepted")
    assert count(ledger, OutboxMail) == 1  # the first confirmation only: a note is not answered
    notes = [m for m in shown["mail"] if m["kind"] == "member_note"]
    assert notes == [
        {
            "direction": "in",
            "kind": "member_note",
            "message_id": "<t1@members.test>",
            "subject": "Re: WSIS 1",
            "at": notes[0]["at"],
            "text": "Thanks so much!",
        }
    ]


def test_status_counts_and_lists_member_notes(settings: Settings, ledger: Ledger) -> None:
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))
    pipeline.run_once(settings, ledger, send=False)
    text = "Merci beaucoup !"
    reply = THANKS.format(subject="WSIS 1", mid="t2", reply_to=_confirmation_id(ledger), text=text)
    deliver(settings, "2.mail", reply)
    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        shown = views.status(session, settings)

    assert (shown["messages"]["member_note"], shown["messages"]["contribution"]) == (1, 1)
    assert [(n["from"], n["subject"]) for n in shown["member_notes"]] == [
        ("hoa@members.test", "Re: WSIS 1")
    ]


def test_short_note_without_a_reply_header_from_a_member_with_a_submission_is_a_note(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra=""))
    pipeline.run_once(settings, ledger, send=False)
    note = (
        "From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\nSubject: merci\r\n"
        "Message-ID: <m1@members.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Merci beaucoup pour la confirmation, bonne journée !\r\n"
    )
    deliver(settings, "2.mail", note)

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.kinds == {"member_note": 1}
    assert count(ledger, Submission) == 1


def test_short_reply_to_the_call_from_a_member_without_a_submission_is_a_note(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    with ledger.transaction() as session:
        session.add(
            OutboxMail(
                kind="call",
                message_id="<call-1@association.test>",
                sender="wsis@association.test",
                recipient="hoa@members.test",
                data=b"",
            )
        )
    text = "Cảm ơn anh/chị, chúng tôi sẽ gửi bài trước hạn."
    reply = THANKS.format(
        subject="WSIS 2025", mid="v1", reply_to="<call-1@association.test>", text=text
    )
    deliver(settings, "1.mail", reply)

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.kinds == {"member_note": 1}
    assert count(ledger, Submission) == 0


def test_short_text_from_a_member_with_no_submission_and_no_reply_is_a_contribution(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    first = (
        "From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\nSubject: WSIS\r\n"
        "Message-ID: <f1@members.test>\r\n\r\nThanks, the text follows tomorrow.\r\n"
    )
    deliver(settings, "1.mail", first)

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.kinds == {"contribution": 1}
    assert summary.statuses == {"needs_revision": 1}


def test_confirmation_held_back_by_the_loop_breaker_shows_in_the_history(
    settings: Settings, ledger: Ledger
) -> None:
    add_member(ledger)
    config = dataclasses.replace(settings, security=SecuritySettings(max_auto_replies_per_day=1))
    for n in range(2):
        deliver(settings, f"{n}.mail", CONTRIBUTION.format(n=n, extra=""))

    pipeline.run_once(config, ledger, send=False)

    with ledger.transaction() as session:
        latest = session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert latest is not None
        shown = submissions.as_dict(session, latest, full=True)
    assert shown["confirmation_note"] == "daily_limit"
    assert [(m["direction"], m["kind"], m.get("note")) for m in shown["mail"]] == [
        ("in", "contribution", None),
        ("out", "confirmation", "not sent: daily limit for this address"),
    ]


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


def test_reprocess_reads_and_judges_as_the_poll_did_limits_included(
    settings: Settings, ledger: Ledger, monkeypatch: object
) -> None:
    from mailflow import campaign
    from mailflow.reading import mime

    add_member(ledger)
    deliver(settings, "1.mail", CONTRIBUTION.format(n=1, extra="") + "x" * 2000 + "\r\n")
    small_limits = mime.Limits(max_message_bytes=1000)
    original = mime.read_message
    monkeypatch.setattr(  # type: ignore[attr-defined]
        mime,
        "read_message",
        lambda raw, limits=small_limits, **kw: original(raw, small_limits, **kw),
    )
    pipeline.run_once(settings, ledger, send=False)
    with ledger.transaction() as session:
        polled = [
            (i["code"], i["params"]) for i in session.scalars(select(Submission)).one().issues
        ]

    seen, changed = campaign.reprocess(settings, ledger, None)

    with ledger.transaction() as session:
        issues = session.scalars(select(Submission)).one().issues
        again = [(i["code"], i["params"]) for i in issues]
    assert (seen, changed, again) == (1, 0, polled)
    assert ("too_large", {"limits": "message_too_large"}) in again


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
