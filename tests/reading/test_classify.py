"""Tests for mailflow.reading.classify: each rule on small hand-written mail, and the third-party
corpus."""

from __future__ import annotations

import csv
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The third-party corpus of real-world mail (see its SOURCES.md); not copied into this repository.
from support import CORPUS

from mailflow.reading import headers
from mailflow.reading.classify import Classification, classify
from mailflow.states import MessageKind


def _mail(head: str, body: str = "Hello, here is our contribution.\n") -> EmailMessage:
    """A message from header lines (one per line) and a body."""
    return headers.parse((head.strip() + "\n\n" + body).encode())


PLAIN = "From: Hoa <hoa@lib.example.vn>\nTo: wsis@association.example\nSubject: WSIS 2025"


# --- contributions ---------------------------------------------------------------------------


def test_classify_plain_member_mail_is_contribution() -> None:
    assert classify(_mail(PLAIN)) == Classification(MessageKind.CONTRIBUTION, "default")


def test_classify_auto_submitted_no_is_contribution() -> None:
    assert classify(_mail(PLAIN + "\nAuto-Submitted: no")).kind is MessageKind.CONTRIBUTION


def test_classify_outlook_auto_response_suppress_alone_is_contribution() -> None:
    message = _mail(PLAIN + "\nX-Auto-Response-Suppress: All")
    assert classify(message).kind is MessageKind.CONTRIBUTION


def test_classify_postmaster_without_bounce_content_is_contribution() -> None:
    message = _mail("From: Bob <postmaster@lib.example.org>\nSubject: Our WSIS report")
    assert classify(message).kind is MessageKind.CONTRIBUTION


def test_classify_forwarded_bounce_from_member_is_contribution() -> None:
    message = _mail(PLAIN.replace("WSIS 2025", "Fwd: Undelivered Mail Returned to Sender"))
    assert classify(message).kind is MessageKind.CONTRIBUTION


# --- bounces ---------------------------------------------------------------------------------

DSN = """From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: wsis@association.example
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Hoa@Lib.example.vn
Action: {action}
Status: {status}

--B
Content-Type: text/rfc822-headers

From: wsis@association.example
To: hoa@lib.example.vn
Message-ID: <confirm-1@association.example>
Subject: Re: WSIS 2025

--B--
"""


def test_classify_dsn_failed_is_permanent_bounce() -> None:
    message = headers.parse(DSN.format(action="failed", status="5.1.1").encode())
    assert classify(message) == Classification(
        MessageKind.BOUNCE,
        "dsn",
        original_message_ids=("<confirm-1@association.example>",),
        failed_recipients=("hoa@lib.example.vn",),
        permanent=True,
    )


def test_classify_dsn_delayed_is_temporary_bounce() -> None:
    message = headers.parse(DSN.format(action="delayed", status="4.4.1").encode())
    result = classify(message)
    assert (result.kind, result.permanent, result.failed_recipients) == (
        MessageKind.BOUNCE,
        False,
        ("hoa@lib.example.vn",),
    )


def test_classify_dsn_delivered_is_automated_success_notice() -> None:
    message = headers.parse(DSN.format(action="delivered", status="2.0.0").encode())
    assert classify(message) == Classification(MessageKind.AUTOMATED, "dsn-success")


def test_classify_bounce_wins_over_auto_submitted() -> None:
    message = headers.parse(DSN.format(action="failed", status="5.1.1").encode())
    assert "auto-replied" in headers.header(message, "Auto-Submitted")
    assert classify(message).kind is MessageKind.BOUNCE


def test_classify_mailer_daemon_plain_text_bounce() -> None:
    message = _mail(
        "From: MAILER-DAEMON@mx.example.org\nSubject: failure notice",
        "Sorry.\n\n<hoa@lib.example.vn>:\nmailbox unavailable\n\n"
        "--- Below this line is a copy of the message.\n\n"
        "Message-ID: <confirm-2@association.example>\nSubject: Re: WSIS\n",
    )
    result = classify(message)
    assert (result.kind, result.reason, result.original_message_ids) == (
        MessageKind.BOUNCE,
        "mailer-daemon",
        ("<confirm-2@association.example>",),
    )


def test_classify_mailer_daemon_return_path_is_bounce() -> None:
    message = _mail("Return-Path: <MAILER-DAEMON@mx.example.org>\nFrom: Mail <m@mx.example.org>")
    assert classify(message).reason == "mailer-daemon"


def test_classify_postmaster_with_bounce_subject_is_bounce() -> None:
    result = classify(_mail("From: postmaster@lib.example.org\nSubject: Undeliverable: Re: WSIS"))
    assert (result.kind, result.reason) == (MessageKind.BOUNCE, "postmaster")


def test_classify_null_sender_with_failure_text_is_bounce() -> None:
    message = _mail(
        "Return-Path: <>\nFrom: gateway@lib.example.org\nSubject: Notice",
        "Your message to hoa@lib.example.vn was rejected: mailbox full.\n",
    )
    result = classify(message)
    assert (result.kind, result.reason) == (MessageKind.BOUNCE, "null-sender")


def test_classify_bounce_in_reply_to_gives_original_id() -> None:
    message = _mail(
        "From: postmaster@lib.example.org\nSubject: Delivery failure\n"
        "In-Reply-To: <confirm-3@association.example>"
    )
    assert classify(message).original_message_ids == ("<confirm-3@association.example>",)


# --- automated -------------------------------------------------------------------------------


def _report(report_type: str) -> EmailMessage:
    return headers.parse(
        (
            "From: reports@example.org\nSubject: Report\nMIME-Version: 1.0\n"
            f'Content-Type: multipart/report; report-type={report_type}; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nA report.\n--B--\n"
        ).encode()
    )


@pytest.mark.parametrize(
    ("report_type", "reason"),
    [("feedback-report", "arf"), ("tlsrpt", "tlsrpt"), ("disposition-notification", "mdn")],
)
def test_classify_report_types_are_automated(report_type: str, reason: str) -> None:
    assert classify(_report(report_type)) == Classification(MessageKind.AUTOMATED, reason)


def test_classify_dmarc_aggregate_report_is_automated() -> None:
    message = headers.parse(
        b"From: noreply-dmarc@example.org\nSubject: Report domain: association.example "
        b"Submitter: example.org\nMIME-Version: 1.0\nContent-Type: application/zip\n"
        b"Content-Transfer-Encoding: base64\n\nUEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\n"
    )
    assert classify(message) == Classification(MessageKind.AUTOMATED, "dmarc")


def test_classify_report_domain_subject_without_archive_is_contribution() -> None:
    message = _mail("From: Hoa <hoa@lib.example.vn>\nSubject: Report domain: our library")
    assert classify(message).kind is MessageKind.CONTRIBUTION


# --- auto-replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header_line", "reason"),
    [
        ("Auto-Submitted: auto-replied", "header:auto-submitted"),
        ("Auto-Submitted: auto-generated; owner-email=x@example.org", "header:auto-submitted"),
        ("X-Autoreply: yes", "header:x-autoreply"),
        ("X-Autorespond: On vacation", "header:x-autorespond"),
        ("Precedence: bulk", "header:precedence"),
        ("Precedence: junk", "header:precedence"),
        ("Precedence: list", "header:precedence"),
        ("Precedence: auto_reply", "header:precedence"),
        ("List-Id: <members.association.example>", "header:list-id"),
        ("List-Unsubscribe: <mailto:leave@association.example>", "header:list-unsubscribe"),
        ("Return-Path: <>", "null-return-path"),
        (
            "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: hoa@lib.example.vn",
            "header:x-auto-response-suppress",
        ),
    ],
)
def test_classify_auto_reply_headers(header_line: str, reason: str) -> None:
    assert classify(_mail(PLAIN + "\n" + header_line)) == Classification(
        MessageKind.AUTO_REPLY, reason
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: WSIS 2025",
        "Auto reply: WSIS 2025",
        "Out of Office: WSIS 2025",
        "Réponse automatique : WSIS 2025",
        "Respuesta automática: WSIS 2025",
        "Abwesenheitsnotiz: WSIS 2025",
        "Trả lời tự động: WSIS 2025",
        "自动回复: WSIS 2025",
        "Автоматический ответ: WSIS 2025",
        "رد تلقائي: WSIS 2025",
        "Absent du bureau : WSIS 2025",
        "Fuera de la oficina: WSIS 2025",
        "Vắng mặt: WSIS 2025",
        "不在办公室：WSIS 2025",
        "Вне офиса: WSIS 2025",
        "خارج المكتب: WSIS 2025",
        "Nicht im Büro: WSIS 2025",
        "Risposta automatica: WSIS 2025",
        "Fuori ufficio: WSIS 2025",
        "Automatisch antwoord: WSIS 2025",
        "Afwezig: WSIS 2025",
        "Resposta automática: WSIS 2025",
        "Fora do escritório: WSIS 2025",
    ],
)
def test_classify_auto_reply_subjects(subject: str) -> None:
    message = _mail(f"From: Hoa <hoa@lib.example.vn>\nSubject: {subject}")
    assert classify(message) == Classification(MessageKind.AUTO_REPLY, "subject")


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("From: Library system <hoa@lib.example.vn>\nSubject: [AUTO GENERATED] Loans", "subject"),
        ("From: x@lib.example.vn\nSubject: [Automated message] Your account", "subject"),
        ("From: Portal <noreply@portal.example.org>\nSubject: WSIS 2025", "sender"),
        ("From: Portal <no-reply@portal.example.org>\nSubject: WSIS 2025", "sender"),
        ("From: Portal <do_not_reply@portal.example.org>\nSubject: WSIS 2025", "sender"),
        ("From: Portal <DoNotReply@portal.example.org>\nSubject: WSIS 2025", "sender"),
        ("From: notifications@github.example\nSubject: Re: WSIS", "sender"),
        ("From: mailer@lists.example.org\nSubject: WSIS 2025", "sender"),
        ("From: bounce@news.example.org\nSubject: WSIS 2025", "sender"),
        (
            "From: Redmine <redmine@lib.example.vn>\nX-Redmine-Project: wsis\nSubject: [WSIS #7]",
            "header:x-redmine-project",
        ),
        (
            "From: GitHub <x@github.example>\nX-GitHub-Reason: mention\nSubject: Re: wsis",
            "header:x-github-reason",
        ),
        (
            "From: Jira <jira@lib.example.org>\nX-JIRA-FingerPrint: abc\nSubject: [JIRA] WSIS",
            "header:x-jira-fingerprint",
        ),
        (
            "From: root@lib.example.org\nX-Cron-Env: <SHELL=/bin/sh>\nSubject: backup",
            "header:x-cron-env",
        ),
        ("From: root@lib.example.org\nSubject: Cron <root@web1> /usr/bin/backup", "cron"),
    ],
)
def test_classify_mail_a_program_wrote_is_automated(head: str, reason: str) -> None:
    assert classify(_mail(head)) == Classification(MessageKind.AUTOMATED, reason)


def test_classify_a_members_own_noreply_looking_address_is_a_contribution() -> None:
    message = _mail("From: Library <mailer@lib.example.vn>\nSubject: [AUTO] WSIS 2025 text")
    found = classify(message, member_addresses=frozenset({"mailer@lib.example.vn"}))
    assert found == Classification(MessageKind.CONTRIBUTION, "default")


def test_classify_subject_mentioning_office_is_contribution() -> None:
    message = _mail("From: Hoa <hoa@lib.example.vn>\nSubject: Our office of digital services")
    assert classify(message).kind is MessageKind.CONTRIBUTION


# --- acknowledgements, own mail, other -------------------------------------------------------


def test_classify_reply_to_report_is_acknowledgement() -> None:
    message = _mail(
        "From: Maria <maria@ifla.example.org>\nSubject: Re: WSIS 2025 report\n"
        "In-Reply-To: <report-7@association.example>\n"
        "References: <call-1@association.example> <report-7@association.example>"
    )
    result = classify(message, report_message_ids={"<report-7@association.example>"})
    assert result == Classification(
        MessageKind.ACKNOWLEDGEMENT,
        "reply-to-report",
        original_message_ids=("<report-7@association.example>",),
    )


def test_classify_reply_to_other_mail_is_contribution() -> None:
    message = _mail(PLAIN + "\nIn-Reply-To: <call-1@association.example>")
    result = classify(message, report_message_ids={"<report-7@association.example>"})
    assert result.kind is MessageKind.CONTRIBUTION


def test_classify_out_of_office_reply_to_report_is_auto_reply() -> None:
    message = _mail(
        "From: Maria <maria@ifla.example.org>\nSubject: Automatic reply: WSIS 2025 report\n"
        "In-Reply-To: <report-7@association.example>"
    )
    result = classify(message, report_message_ids={"<report-7@association.example>"})
    assert result.kind is MessageKind.AUTO_REPLY


def test_classify_own_address_is_other() -> None:
    message = _mail(
        "From: WSIS <WSIS@Association.example>\nSubject: Re: WSIS 2025\n"
        "Auto-Submitted: auto-replied"
    )
    result = classify(message, own_addresses={"wsis@association.example"})
    assert result == Classification(MessageKind.OTHER, "own-address")


def test_classify_calendar_invitation_is_other() -> None:
    message = headers.parse(
        b"From: Hoa <hoa@lib.example.vn>\nSubject: Meeting\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/alternative; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nLet us meet.\n"
        b"--B\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"
        b"--B--\n"
    )
    assert classify(message) == Classification(MessageKind.OTHER, "calendar")


def test_classify_ics_attachment_without_method_is_contribution() -> None:
    message = headers.parse(
        b"From: Hoa <hoa@lib.example.vn>\nSubject: WSIS\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nOur contribution, and our event.\n"
        b"--B\nContent-Type: text/calendar\nContent-Disposition: attachment; filename=e.ics\n\n"
        b"BEGIN:VCALENDAR\nEND:VCALENDAR\n--B--\n"
    )
    assert classify(message).kind is MessageKind.CONTRIBUTION


# --- robustness ------------------------------------------------------------------------------

_HEADER_NAMES = st.sampled_from(
    [
        "From", "Return-Path", "Subject", "Content-Type", "Auto-Submitted", "Precedence",
        "In-Reply-To", "References", "List-Id", "X-Autoreply", "Content-Transfer-Encoding",
        "X-Auto-Response-Suppress", "MIME-Version", "Message-ID",
    ]
)  # fmt: skip
_VALUES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=60
) | st.sampled_from(
    ["<>", "multipart/report; report-type=delivery-status", "MAILER-DAEMON@x", "bulk",
     'multipart/mixed; boundary="', "message/delivery-status", "=?utf-8?q?=FF?=", "<a@b> <"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_HEADER_NAMES, _VALUES), max_size=12),
    st.binary(max_size=300),
)
def test_classify_arbitrary_headers_never_raise(pairs: list[tuple[str, str]], body: bytes) -> None:
    raw = "".join(f"{name}: {value}\n" for name, value in pairs).encode("utf-8", "replace")
    result = classify(headers.parse(raw + b"\n" + body), report_message_ids={"<a@b>"})
    assert isinstance(result.kind, MessageKind)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_classify_arbitrary_bytes_never_raise(raw: bytes) -> None:
    result = classify(headers.parse(raw), own_addresses={"wsis@association.example"})
    assert isinstance(result.kind, MessageKind)


# --- the third-party corpus ------------------------------------------------------------------

# Files whose expected kind is not the one their source or MANIFEST features suggest, and why.
EXCEPTIONS: dict[str, tuple[MessageKind, str]] = {
    "sisimai-set-of-emails/bsd/lhost-fml-02.eml": (
        MessageKind.AUTO_REPLY,
        "an fml list manager's 'you are not a member' reply with list headers, not an MTA bounce",
    ),
    "sisimai-set-of-emails/not/rb-issue-368-bug.eml": (
        MessageKind.BOUNCE,
        "a postmaster's 'mailbox full' notice with a null sender: a bounce for mailflow",
    ),
    "apache-james-mime4j/mimetools-testmsgs/badbound.msg": (
        MessageKind.BOUNCE,
        "a Postmaster 'Returned Mail' notice with the original attached",
    ),
    "zbateson-mail-mime-parser/m4006.txt": (
        MessageKind.AUTOMATED,
        "an Outlook read receipt (TNEF)",
    ),
    "MimeKit/partial/message-partial.0.eml": (MessageKind.OTHER, "a message/partial fragment"),
    "MimeKit/partial/message-partial.1.eml": (MessageKind.OTHER, "a message/partial fragment"),
    "MimeKit/partial/message-partial.2.eml": (MessageKind.OTHER, "a message/partial fragment"),
    "MimeKit/partial/rfc2046.0.eml": (MessageKind.OTHER, "a message/partial fragment"),
    "MimeKit/partial/rfc2046.1.eml": (MessageKind.OTHER, "a message/partial fragment"),
    "SpamScope-mail-parser/mail_test_5": (MessageKind.AUTO_REPLY, "bulk mail: Precedence: bulk"),
    "SpamScope-mail-parser/mail_test_6": (MessageKind.AUTO_REPLY, "a newsletter with List-Id"),
    "SpamScope-mail-parser/mail_test_13": (MessageKind.AUTO_REPLY, "a newsletter with List-Id"),
    "mailgun-flanker/apache-message-news-mime.eml": (
        MessageKind.AUTO_REPLY,
        "list mail: Precedence",
    ),
    "mailgun-flanker/message-external-body.eml": (MessageKind.AUTO_REPLY, "list mail: Precedence"),
    "stalwart-mail-parser/thirdparty/014.eml": (MessageKind.AUTO_REPLY, "a mailing-list post"),
    "enmime/mail/multipart-wo-boundary.raw": (MessageKind.BOUNCE, "from Mailer-Daemon"),
    "cpython-test_email/msg_05.txt": (MessageKind.BOUNCE, "multipart/report; delivery-status"),
    "php-mime-mail-parser/failure.eml": (MessageKind.BOUNCE, "multipart/report; delivery-status"),
    "mikel-mail/error_emails/encoding_madness.eml": (
        MessageKind.AUTOMATED,
        "from no-reply@ (a CRM)",
    ),
    "nodemailer-mailparser/spam.eml": (MessageKind.AUTOMATED, "from noreply@ (spam)"),
}

# Known defects outside this module: the test documents them and fails once they are fixed.
KNOWN_FAILURES: dict[str, str] = {}


def _expected_kind(path: str, features: set[str]) -> MessageKind:
    """The kind a corpus file should get, from its source path and MANIFEST features."""
    name = path.rsplit("/", 1)[-1]
    if path in EXCEPTIONS:
        return EXCEPTIONS[path][0]
    if path.startswith("sisimai-set-of-emails/"):
        if name.startswith(("lhost-", "rhost-", "rfc3464-")):
            return MessageKind.BOUNCE
        if name.startswith("rfc3834-"):
            return MessageKind.AUTO_REPLY
        if name.startswith("arf-"):
            return MessageKind.AUTOMATED
        return MessageKind.CONTRIBUTION  # not/: messages that only look like bounces
    if path.startswith(("flufl.bounce/", "enmime/dsn/", "mailgun-flanker/bounce/")):
        return MessageKind.BOUNCE
    if path == "gitlab-foss/auto_reply.eml":
        return MessageKind.AUTO_REPLY
    if path.startswith(("mox/dmarc-reports/", "mox/tlsreports/")):
        return MessageKind.AUTOMATED
    if {"arf", "mdn"} & features:
        return MessageKind.AUTOMATED
    if "dsn" in features and "multipart/report" in features:
        return MessageKind.BOUNCE
    if "calendar" in features:
        return MessageKind.OTHER
    return MessageKind.CONTRIBUTION


def _corpus_cases() -> list[object]:
    manifest = CORPUS / "MANIFEST.csv"
    if not manifest.exists():
        return []
    cases: list[object] = []
    with manifest.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            path = row["file"]
            expected = _expected_kind(path, set(row["features"].split()))
            marks = []
            if path in KNOWN_FAILURES:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[path]))
            cases.append(pytest.param(path, expected, id=path, marks=marks))
    return cases


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
@pytest.mark.parametrize(("path", "expected"), _corpus_cases())
def test_classify_corpus_file_kind(path: str, expected: MessageKind) -> None:
    result = classify(headers.parse((CORPUS / path).read_bytes()))
    assert result.kind is expected, f"{path}: {result}"


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
@pytest.mark.parametrize(
    ("path", "failed", "permanent"),
    [
        ("enmime/dsn/testdata/delayed_dsn.raw", ("thomas@de-montfort.ac.uk",), False),
        ("enmime/dsn/testdata/simple_dsn.raw", ("louisl@larry.slip.umd.edu",), True),
        ("sisimai-set-of-emails/bsd/rfc3464-07.eml", ("kijitora@example.net",), False),
        ("MimeKit/messages/bounce.txt", ("netec.test@netecgc.com",), True),
        ("flufl.bounce/qmail_01.txt", ("userx@example.de",), True),
        ("flufl.bounce/simple_16.txt", ("userx@example.com",), True),
        ("flufl.bounce/yale_01.txt", ("userx@cs.yale.edu", "userx@yale.edu"), True),
    ],
)
def test_classify_corpus_bounce_recipients(
    path: str, failed: tuple[str, ...], permanent: bool
) -> None:
    result = classify(headers.parse((CORPUS / path).read_bytes()))
    assert (result.kind, tuple(sorted(result.failed_recipients)), result.permanent) == (
        MessageKind.BOUNCE,
        failed,
        permanent,
    )


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_classify_corpus_multi_recipient_dsn_lists_only_failed() -> None:
    raw = (CORPUS / "enmime/dsn/testdata/multi_recipient_dsn.raw").read_bytes()
    result = classify(headers.parse(raw))
    assert sorted(result.failed_recipients) == ["arathib@vnet.ibm.com", "wsnell@sdcc13.ucsd.edu"]
    assert result.permanent is True


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_classify_corpus_bounce_names_the_returned_message() -> None:
    raw = (CORPUS / "sisimai-set-of-emails/bsd/lhost-kddi-01.eml").read_bytes()
    assert classify(headers.parse(raw)).original_message_ids == ("<2013000000000000@example.jp>",)
