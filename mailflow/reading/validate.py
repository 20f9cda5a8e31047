"""Pure rules that turn an extracted contribution into a verdict with issue codes (design.md §5).

`judge` looks at a `Contribution` (from `mailflow.reading.contribution`), whether the sender is a
member, the server arrival time, the `Authentication-Results` header values and the campaign's
`Rules`, and returns a `Verdict`: a status (accepted, needs_revision, held, rejected) and the issues
found, each with a stable code, a plain-English message and the parameters a translation needs. It
does not read mail, look members up, store the verdict (`mailflow.ledger`) or write the confirmation
in the member's language (`mailflow.answering.compose`).

Precedence: a late contribution under the "reject" policy is rejected; otherwise any hold
(not_member, spoofed, late) makes it held; otherwise any error (empty, word_limit,
no_action_line) makes it needs_revision; warnings never change the status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from mailflow.config import LATE_POLICIES
from mailflow.errors import ConfigError
from mailflow.reading.contribution import Contribution
from mailflow.reading.words import COVER_NOTE_WORDS
from mailflow.states import SubmissionStatus


class Severity(StrEnum):
    ERROR = "error"
    HOLD = "hold"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One finding: a stable code, how bad it is, a message, and what a translation needs."""

    code: str
    severity: Severity
    message: str
    params: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """The campaign's rules; validated on creation (ConfigError names the bad value)."""

    word_limit: int = 200
    deadline: datetime | None = None  # aware datetime
    note_max_words: int = 40  # a reply this short, with nothing of a contribution, is a note
    late_policy: str = "hold"  # "accept" | "hold" | "reject"
    trusted_authserv_ids: frozenset[str] = frozenset()
    recommended_sections: tuple[str, ...] = (
        "why",
        "outputs",
        "achievements",
        "trends",
        "obstacles",
        "future_actions",
    )

    def __post_init__(self) -> None:
        if self.word_limit < 1:
            raise ConfigError(f"word_limit must be a positive number, not {self.word_limit}")
        if self.late_policy not in LATE_POLICIES:
            raise ConfigError(
                f"late policy must be one of {', '.join(LATE_POLICIES)}, not {self.late_policy!r}"
            )
        if self.deadline is not None and self.deadline.utcoffset() is None:
            raise ConfigError(f"deadline {self.deadline.isoformat()} needs a time zone")


@dataclass(frozen=True)
class Verdict:
    status: SubmissionStatus
    issues: tuple[Issue, ...]

    def codes(self) -> tuple[str, ...]:
        """The issue codes, in the order found."""
        return tuple(issue.code for issue in self.issues)


# ---------------------------------------------------------------------------------------------
# Authentication-Results (RFC 8601)

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z0-9_-]+)", re.IGNORECASE)


def _without_comments(value: str) -> str:
    previous = None
    while previous != value:  # nested comments: remove the innermost first
        previous, value = value, _COMMENT.sub(" ", value)
    return value


def authserv_id(value: str) -> str:
    """The authserv-id that wrote an Authentication-Results value (lower case; "" if none)."""
    words = _without_comments(value).split(";")[0].split()
    return words[0].lower() if words else ""


def authentication_failure(value: str, trusted_authserv_ids: frozenset[str]) -> str | None:
    """What failed ("dmarc=fail" or "dkim=fail spf=fail") in one trusted header value, or None.

    Only a header whose authserv-id is trusted counts: anyone can write an
    Authentication-Results header into a message before it reaches the association's server.
    """
    trusted = {authserv.strip().lower() for authserv in trusted_authserv_ids}
    parts = _without_comments(value).split(";")
    writer = authserv_id(value)
    if not writer or writer not in trusted:
        return None
    results: dict[str, list[str]] = {}
    for part in parts[1:]:
        match = _RESULT.match(part)
        if match:
            results.setdefault(match.group(1).lower(), []).append(match.group(2).lower())
    dmarc = [result for result in results.get("dmarc", []) if result not in ("none", "neutral")]
    if dmarc:
        return "dmarc=fail" if "fail" in dmarc and "pass" not in dmarc else None
    dkim = results.get("dkim", [])
    spf = results.get("spf", [])
    dkim_failed = "fail" in dkim and "pass" not in dkim
    spf_failed = "fail" in spf and "pass" not in spf
    return "dkim=fail spf=fail" if dkim_failed and spf_failed else None


# ---------------------------------------------------------------------------------------------
# The rules


def is_note(contribution: Contribution, rules: Rules) -> bool:
    """Whether the member's own text is a note ("Thanks so much!"), not a contribution.

    A note has a few words (at most ``rules.note_max_words``) read from the body alone, and no
    action line, labelled section, link or attachment of a contribution. Only the caller knows
    whether the mail is a reply to mailflow or comes from a member who already contributed, which
    a note must also be (`mailflow.intake`).
    """
    return (
        contribution.word_count <= rules.note_max_words
        and contribution.source == "body"
        and not contribution.action_lines
        and not contribution.labelled
        and not contribution.links
        and not contribution.unreadable
    )


def _cover_note_only(contribution: Contribution) -> bool:
    """An attachment could not be read and the body is only a short note about it."""
    return bool(contribution.unreadable) and (
        contribution.word_count <= COVER_NOTE_WORDS
        and not contribution.labelled
        and not contribution.action_lines
    )


def _unreadable_issue(filename: str, severity: Severity) -> Issue:
    return Issue(
        "unreadable_attachment",
        severity,
        f"We could not open {filename}; please send it again as .docx, .odt, .pdf or .txt, "
        "or paste the text into the message",
        {"filename": filename},
    )


def _content_issues(contribution: Contribution, rules: Rules) -> list[Issue]:
    if _cover_note_only(contribution):
        # What the member sent is in the attachment: that is the one thing to fix.
        return [_unreadable_issue(", ".join(contribution.unreadable), Severity.ERROR)]
    if contribution.word_count == 0:
        return [
            Issue(
                "empty",
                Severity.ERROR,
                "No contribution text was found in the message or its attachments; "
                "please write your contribution in the message or attach it as a document",
            )
        ]
    issues: list[Issue] = []
    if contribution.word_count > rules.word_limit:
        over = contribution.word_count - rules.word_limit
        issues.append(
            Issue(
                "word_limit",
                Severity.ERROR,
                f"{contribution.word_count} words; the limit is {rules.word_limit}; "
                f"please shorten by {over} word{'s' if over != 1 else ''}",
                {"words": contribution.word_count, "limit": rules.word_limit, "over": over},
            )
        )
    if not contribution.action_lines:
        issues.append(
            Issue(
                "no_action_line",
                Severity.ERROR,
                "No WSIS Action Line (C1–C11) was recognised; please name at least one, "
                "e.g. “C3 Access to information and knowledge”",
            )
        )
    return issues


def _sender_issues(
    *, is_member: bool, sender: str, authentication_results: Sequence[str], rules: Rules
) -> list[Issue]:
    issues: list[Issue] = []
    if not is_member:
        who = sender or "The sender"
        issues.append(
            Issue(
                "not_member",
                Severity.HOLD,
                f"{who} is not a registered member address; a coordinator will review the message",
                {"sender": sender},
            )
        )
    if authentication_results and rules.trusted_authserv_ids:
        topmost = authentication_results[0]
        failure = authentication_failure(topmost, rules.trusted_authserv_ids)
        if failure is not None:
            authserv_id = _without_comments(topmost).split(";")[0].split()[0]
            issues.append(
                Issue(
                    "spoofed",
                    Severity.HOLD,
                    f"The association's mail server ({authserv_id}) found that the message "
                    f"failed sender authentication ({failure}); a coordinator will review it",
                    {"authserv_id": authserv_id, "result": failure},
                )
            )
    return issues


def _late_issue(received_at: datetime, rules: Rules) -> Issue | None:
    if rules.deadline is None or received_at <= rules.deadline:
        return None
    severity = {"accept": Severity.WARNING, "hold": Severity.HOLD, "reject": Severity.ERROR}[
        rules.late_policy
    ]
    received = received_at.astimezone(UTC).isoformat(timespec="minutes")
    deadline = rules.deadline.isoformat(timespec="minutes")
    return Issue(
        "late",
        severity,
        f"Received {received}, after the deadline {deadline}",
        {"received_at": received, "deadline": deadline, "policy": rules.late_policy},
    )


def _advice_issues(contribution: Contribution, rules: Rules) -> list[Issue]:
    issues: list[Issue] = []
    if _cover_note_only(contribution):
        return issues
    if contribution.word_count and contribution.labelled:
        # Only a contribution written with section labels can be said to lack one; free text is
        # normal and its sections cannot be told apart reliably.
        for name in rules.recommended_sections:
            if name not in contribution.fields:
                label = name.replace("_", " ")
                issues.append(
                    Issue(
                        f"missing_section:{name}",
                        Severity.WARNING,
                        f"No “{label}” section was found; please add one if you can",
                        {"section": name},
                    )
                )
    if "outputs" in contribution.fields and not contribution.links:
        issues.append(
            Issue(
                "no_link",
                Severity.WARNING,
                "Outputs are described without any link; please add links (https://…) to the "
                "documents, projects or campaigns",
            )
        )
    for filename in contribution.unreadable:
        issues.append(_unreadable_issue(filename, Severity.WARNING))
    return issues


#: Reading limits (`mailflow.reading.documents.Limits`) that cut a message short, as the member
#: should hear it.
LIMIT_MESSAGES = {
    "message_too_large": "The message is too large to be read; please send a shorter mail",
    "too_many_parts": "The message has too many parts; only the first ones were read",
    "too_many_attachments": "The message has too many attachments; only the first ones were read",
    "timeout": "The message took too long to read; only part of it was read",
    "too_deeply_nested": "The message's parts are nested too deeply to be read",
}


def judge(
    contribution: Contribution,
    *,
    is_member: bool,
    received_at: datetime,
    authentication_results: Sequence[str],
    rules: Rules,
    sender: str = "",
    problems: Sequence[str] = (),
) -> Verdict:
    """The verdict on one contribution; pure.

    ``received_at`` is the server's arrival time (aware); ``authentication_results`` are the
    values of the Authentication-Results headers, topmost first; only the topmost counts, and
    only if the authserv-id it names is one of ``rules.trusted_authserv_ids``. ``problems`` are
    the reading limits the message hit (``problems`` of `mailflow.reading.mime.MessageText`): a hit
    limit adds a ``too_large`` warning, so nobody is misled by a text read only in part.
    """
    if received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime")
    issues = _content_issues(contribution, rules)
    issues += _sender_issues(
        is_member=is_member,
        sender=sender,
        authentication_results=authentication_results,
        rules=rules,
    )
    late = _late_issue(received_at, rules)
    if late is not None:
        issues.append(late)
    issues += _advice_issues(contribution, rules)
    limits = [problem for problem in problems if problem in LIMIT_MESSAGES]
    if limits:
        issues.append(
            Issue(
                "too_large",
                Severity.WARNING,
                "; ".join(LIMIT_MESSAGES[problem] for problem in limits),
                {"limits": ",".join(limits)},
            )
        )
    return Verdict(_status(issues), tuple(issues))


def _status(issues: Sequence[Issue]) -> SubmissionStatus:
    if any(issue.code == "late" and issue.severity is Severity.ERROR for issue in issues):
        return SubmissionStatus.REJECTED
    if any(issue.severity is Severity.HOLD for issue in issues):
        return SubmissionStatus.HELD
    if any(issue.severity is Severity.ERROR for issue in issues):
        return SubmissionStatus.NEEDS_REVISION
    return SubmissionStatus.ACCEPTED
