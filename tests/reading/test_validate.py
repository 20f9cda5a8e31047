"""The rules of design.md §5: issue codes, severities, status precedence, spoofing checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailflow.errors import ConfigError
from mailflow.reading.contribution import Contribution
from mailflow.reading.validate import (
    Issue,
    Rules,
    Severity,
    Verdict,
    authentication_failure,
    is_note,
    judge,
)
from mailflow.states import SubmissionStatus

DEADLINE = datetime(2025, 9, 30, 23, 59, 59, tzinfo=timezone(timedelta(hours=7)))
ON_TIME = datetime(2025, 9, 10, 8, 30, tzinfo=UTC)
LATE = datetime(2025, 10, 1, 0, 0, tzinfo=UTC)  # 07:00 on 1 October in Hanoi
TRUSTED = frozenset({"mx.association.example"})
ALL_SECTIONS = {
    "organisation": "Hanoi Public Library",
    "action_lines": "C3",
    "why": "w",
    "outputs": "o",
    "achievements": "a",
    "trends": "t",
    "obstacles": "b",
    "future_actions": "f",
}

GOOD = Contribution(
    text="…",
    full_text="…",
    source="body",
    fields=ALL_SECTIONS,
    action_lines=("C3",),
    c7_sublines=(),
    links=("https://lib.example/report",),
    word_count=150,
    word_count_method="word-processor",
    language="en",
    labelled=True,
)


def verdict(
    contribution: Contribution = GOOD,
    *,
    is_member: bool = True,
    received_at: datetime = ON_TIME,
    authentication_results: tuple[str, ...] = (),
    rules: Rules | None = None,
) -> Verdict:
    return judge(
        contribution,
        is_member=is_member,
        received_at=received_at,
        authentication_results=authentication_results,
        rules=rules or Rules(deadline=DEADLINE, trusted_authserv_ids=TRUSTED),
    )


def changed(**changes: object) -> Contribution:
    return dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]


def test_judge_good_contribution_is_accepted_without_issues() -> None:
    assert verdict() == Verdict(SubmissionStatus.ACCEPTED, ())


def test_judge_word_limit_message_and_params() -> None:
    result = verdict(changed(word_count=243))
    assert (result.status, result.issues) == (
        SubmissionStatus.NEEDS_REVISION,
        (
            Issue(
                "word_limit",
                Severity.ERROR,
                "243 words; the limit is 200; please shorten by 43 words",
                {"words": 243, "limit": 200, "over": 43},
            ),
        ),
    )


@pytest.mark.parametrize(("words", "codes"), [(200, ()), (201, ("word_limit",))])
def test_judge_word_limit_boundary(words: int, codes: tuple[str, ...]) -> None:
    assert verdict(changed(word_count=words)).codes() == codes


def test_judge_word_limit_follows_the_rules() -> None:
    result = verdict(changed(word_count=150), rules=Rules(word_limit=100))
    assert result.issues[0].params == {"words": 150, "limit": 100, "over": 50}


def test_judge_no_action_line_needs_revision() -> None:
    result = verdict(changed(action_lines=()))
    assert (result.status, result.codes(), result.issues[0].severity) == (
        SubmissionStatus.NEEDS_REVISION,
        ("no_action_line",),
        Severity.ERROR,
    )


def test_judge_empty_reports_only_empty() -> None:
    empty = changed(word_count=0, action_lines=(), fields={}, links=(), labelled=False)
    result = verdict(empty)
    assert (result.status, result.codes()) == (SubmissionStatus.NEEDS_REVISION, ("empty",))


def test_judge_empty_labelled_template_reports_no_missing_sections() -> None:
    result = verdict(changed(word_count=0, action_lines=(), fields={}, links=()))
    assert result.codes() == ("empty",)


def test_judge_not_member_is_held() -> None:
    result = judge(
        GOOD,
        is_member=False,
        received_at=ON_TIME,
        authentication_results=(),
        rules=Rules(),
        sender="stranger@elsewhere.example",
    )
    assert (result.status, result.issues) == (
        SubmissionStatus.HELD,
        (
            Issue(
                "not_member",
                Severity.HOLD,
                "stranger@elsewhere.example is not a registered member address; "
                "a coordinator will review the message",
                {"sender": "stranger@elsewhere.example"},
            ),
        ),
    )


def test_judge_held_wins_over_needs_revision() -> None:
    result = verdict(changed(word_count=300, action_lines=()), is_member=False)
    assert (result.status, result.codes()) == (
        SubmissionStatus.HELD,
        ("word_limit", "no_action_line", "not_member"),
    )


@pytest.mark.parametrize(
    ("policy", "status", "severity"),
    [
        ("hold", SubmissionStatus.HELD, Severity.HOLD),
        ("reject", SubmissionStatus.REJECTED, Severity.ERROR),
        ("accept", SubmissionStatus.ACCEPTED, Severity.WARNING),
    ],
)
def test_judge_late_follows_the_policy(
    policy: str, status: SubmissionStatus, severity: Severity
) -> None:
    result = verdict(received_at=LATE, rules=Rules(deadline=DEADLINE, late_policy=policy))
    assert (result.status, result.codes(), result.issues[0].severity) == (
        status,
        ("late",),
        severity,
    )


def test_judge_late_message_and_params() -> None:
    issue = verdict(received_at=LATE).issues[0]
    assert (issue.message, issue.params) == (
        "Received 2025-10-01T00:00+00:00, after the deadline 2025-09-30T23:59+07:00",
        {
            "received_at": "2025-10-01T00:00+00:00",
            "deadline": "2025-09-30T23:59+07:00",
            "policy": "hold",
        },
    )


def test_judge_late_is_judged_across_time_zones() -> None:
    # 16:59 UTC is 23:59 in Hanoi: still on time for a +07:00 deadline.
    just_in = datetime(2025, 9, 30, 16, 59, 59, tzinfo=UTC)
    just_late = datetime(2025, 9, 30, 17, 0, 0, tzinfo=UTC)
    assert (verdict(received_at=just_in).codes(), verdict(received_at=just_late).codes()) == (
        (),
        ("late",),
    )


def test_judge_rejected_wins_over_held() -> None:
    rules = Rules(deadline=DEADLINE, late_policy="reject")
    assert (
        verdict(is_member=False, received_at=LATE, rules=rules).status is SubmissionStatus.REJECTED
    )


def test_judge_without_deadline_is_never_late() -> None:
    assert verdict(received_at=LATE, rules=Rules()).codes() == ()


def test_judge_naive_received_at_raises() -> None:
    with pytest.raises(ValueError, match="aware"):
        verdict(received_at=datetime(2025, 9, 10, 8, 30))


@pytest.mark.parametrize(
    "section", ["why", "outputs", "achievements", "trends", "obstacles", "future_actions"]
)
def test_judge_missing_section_is_a_warning(section: str) -> None:
    fields = {name: text for name, text in ALL_SECTIONS.items() if name != section}
    result = verdict(changed(fields=fields))
    assert (result.status, result.codes(), result.issues[0].severity) == (
        SubmissionStatus.ACCEPTED,
        (f"missing_section:{section}",),
        Severity.WARNING,
    )


def test_judge_missing_sections_follow_the_rules() -> None:
    fields = {name: text for name, text in ALL_SECTIONS.items() if name != "why"}
    rules = Rules(recommended_sections=("why",))
    assert verdict(changed(fields=fields), rules=rules).codes() == ("missing_section:why",)


def test_judge_trends_is_a_recommended_section_by_default() -> None:
    assert "trends" in Rules().recommended_sections


def test_judge_free_text_reports_no_missing_sections() -> None:
    assert verdict(changed(fields={}, labelled=False)).codes() == ()


def test_judge_outputs_without_link_is_a_warning() -> None:
    result = verdict(changed(links=()))
    assert (result.status, result.codes(), result.issues[0].severity) == (
        SubmissionStatus.ACCEPTED,
        ("no_link",),
        Severity.WARNING,
    )


def test_judge_no_outputs_section_means_no_link_warning() -> None:
    fields = {name: text for name, text in ALL_SECTIONS.items() if name != "outputs"}
    assert verdict(changed(fields=fields, links=())).codes() == ("missing_section:outputs",)


def test_judge_unreadable_attachment_is_a_warning() -> None:
    result = verdict(changed(word_count=0, action_lines=(), unreadable=("report.doc",)))
    assert (result.codes(), result.issues[1].params) == (
        ("empty", "unreadable_attachment"),
        {"filename": "report.doc"},
    )


# --- spoofing -------------------------------------------------------------------------------------

FAIL_DMARC = "mx.association.example; dkim=pass header.d=x; spf=pass; dmarc=fail header.from=x"
FAIL_BOTH = "mx.association.example; dkim=fail (bad signature) header.d=x; spf=fail smtp.mailfrom=x"
PASS_ALL = "mx.association.example; dkim=pass; spf=pass; dmarc=pass"


@pytest.mark.parametrize(
    ("value", "failure"),
    [
        (FAIL_DMARC, "dmarc=fail"),
        (FAIL_BOTH, "dkim=fail spf=fail"),
        (PASS_ALL, None),
        ("mx.association.example; dkim=fail; spf=pass", None),
        ("mx.association.example; dkim=pass; spf=fail", None),
        ("mx.association.example; dkim=fail; spf=fail; dmarc=pass", None),
        ("mx.association.example; dkim=fail; spf=fail; dmarc=none", "dkim=fail spf=fail"),
        ("mx.association.example; dkim=fail; dkim=pass; spf=fail", None),
        ("MX.Association.Example 1; DMARC=FAIL", "dmarc=fail"),
        ("mx.association.example (our relay); spf=fail (x; y); dkim=fail", "dkim=fail spf=fail"),
        ("mx.association.example; none", None),
        ("forged.example; dmarc=fail", None),
        ("", None),
        (";;;", None),
    ],
)
def test_authentication_failure_reads_one_header(value: str, failure: str | None) -> None:
    assert authentication_failure(value, TRUSTED) == failure


def test_judge_spoofed_from_the_trusted_topmost_header_is_held() -> None:
    result = verdict(authentication_results=(FAIL_DMARC, PASS_ALL))
    assert (result.status, result.issues) == (
        SubmissionStatus.HELD,
        (
            Issue(
                "spoofed",
                Severity.HOLD,
                "The association's mail server (mx.association.example) found that the "
                "message failed sender authentication (dmarc=fail); a coordinator will review it",
                {"authserv_id": "mx.association.example", "result": "dmarc=fail"},
            ),
        ),
    )


def test_judge_failure_in_a_lower_header_is_ignored() -> None:
    assert verdict(authentication_results=(PASS_ALL, FAIL_DMARC)).codes() == ()


def test_judge_failure_from_an_untrusted_authserv_id_is_ignored() -> None:
    forged = "mx.forger.example; dmarc=fail"
    assert verdict(authentication_results=(forged,)).codes() == ()


def test_judge_without_trusted_ids_is_never_spoofed() -> None:
    result = verdict(authentication_results=(FAIL_DMARC,), rules=Rules(deadline=DEADLINE))
    assert result.codes() == ()


# --- rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"word_limit": 0},
        {"late_policy": "ignore"},
        {"deadline": datetime(2025, 9, 30, 23, 59)},
    ],
)
def test_rules_reject_bad_values(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Rules(**changes)  # type: ignore[arg-type]


def test_status_and_severity_values_are_stable_strings() -> None:
    assert ([str(s) for s in SubmissionStatus], [str(s) for s in Severity]) == (
        ["accepted", "needs_revision", "held", "rejected", "superseded"],
        ["error", "hold", "warning"],
    )


NOTE = changed(
    text="Thanks so much!",
    fields={},
    action_lines=(),
    links=(),
    word_count=3,
    labelled=False,
)


def test_is_note_a_few_words_without_anything_of_a_contribution() -> None:
    assert is_note(NOTE, Rules()) is True


@pytest.mark.parametrize(
    "change",
    [
        {"action_lines": ("C3",)},
        {"labelled": True},
        {"links": ("https://lib.example.org",)},
        {"word_count": 41},
        {"source": "attachment:contribution.docx"},
        {"unreadable": ("contribution.doc",)},
    ],
)
def test_is_note_not_with_anything_of_a_contribution(change: dict[str, object]) -> None:
    assert is_note(dataclasses.replace(NOTE, **change), Rules()) is False  # type: ignore[arg-type]


def test_is_note_word_limit_follows_the_rules() -> None:
    note = dataclasses.replace(NOTE, word_count=12)
    assert (is_note(note, Rules(note_max_words=11)), is_note(note, Rules(note_max_words=12))) == (
        False,
        True,
    )


def test_judge_unreadable_attachment_under_a_cover_note_is_the_one_error() -> None:
    sent = dataclasses.replace(NOTE, word_count=9, unreadable=("WSIS 2025.pages",))
    result = verdict(sent)
    assert (result.status, result.codes(), result.issues[0].severity) == (
        SubmissionStatus.NEEDS_REVISION,
        ("unreadable_attachment",),
        Severity.ERROR,
    )
    assert result.issues[0].message == (
        "We could not open WSIS 2025.pages; please send it again as .docx, .odt, .pdf or .txt, "
        "or paste the text into the message"
    )


def test_judge_unreadable_attachment_beside_a_full_text_is_a_warning() -> None:
    result = verdict(dataclasses.replace(GOOD, unreadable=("photo.heic",)))
    assert (result.status, result.codes()) == (
        SubmissionStatus.ACCEPTED,
        ("unreadable_attachment",),
    )


def test_judge_reading_limits_add_one_too_large_warning_and_keep_the_status() -> None:
    result = judge(
        GOOD,
        is_member=True,
        received_at=ON_TIME,
        authentication_results=(),
        rules=Rules(deadline=DEADLINE),
        problems=("too_many_parts", "not_a_limit", "timeout"),
    )

    assert (result.status, result.issues[-1]) == (
        SubmissionStatus.ACCEPTED,
        Issue(
            "too_large",
            Severity.WARNING,
            "The message has too many parts; only the first ones were read; "
            "The message took too long to read; only part of it was read",
            {"limits": "too_many_parts,timeout"},
        ),
    )
