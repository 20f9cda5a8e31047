"""The console's words for the core's codes: statuses, outbox states and kinds, decisions,
issues, sections and where a text was read, in the page's language.

The core stores and returns stable codes (``needs_revision``, ``missing_section:why``,
``attachment:report.docx``); these functions name them from the ``web`` catalogs, and the
templates reach them through `mailflow.web.pages`' context processor. Sentences the core says
(`mailflow.notices.Notice`) are worded in `mailflow.web.messages`.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from mailflow.answering import i18n
from mailflow.web import language
from mailflow.web.language import _

__all__ = [
    "decision_label",
    "issue_label",
    "kind_label",
    "language_label",
    "outbox_label",
    "section_label",
    "source_label",
    "status_label",
]


def status_label(status: str) -> str:
    labels = {
        "accepted": _("accepted"),
        "needs_revision": _("needs revision"),
        "held": _("held"),
        "rejected": _("rejected"),
        "superseded": _("superseded"),
    }
    return labels.get(status, status)


def outbox_label(state: str) -> str:
    labels = {
        "queued": _("queued"),
        "sending": _("sending"),
        "sent": _("sent"),
        "failed": _("failed"),
        "bounced": _("bounced"),
    }
    return labels.get(state, state)


def kind_label(kind: str) -> str:
    """What an outgoing mail is."""
    labels = {
        "confirmation": _("confirmation"),
        "call": _("call for contributions"),
        "reminder": _("reminder"),
        "report": _("report"),
        "alert": _("alert"),
    }
    return labels.get(kind, kind)


def language_label(code: str) -> str:
    """A language's name in the page's language (``vi`` on a French page: "vietnamien");
    a code Babel does not know stays as it is."""
    if not code:
        return ""
    try:
        names = Locale.parse(language.current()).languages
    except (UnknownLocaleError, ValueError):
        return code
    return str(names.get(code, code))


def decision_label(action: str) -> str:
    labels = {
        "accept": _("accepted"),
        "reject": _("rejected"),
        "edit_text": _("edited the text for the report"),
        "english": _("added an English version"),
        "attach_member": _("attached to a member"),
        "member_add": _("added a member"),
        "member_deactivate": _("deactivated a member"),
        "alias_add": _("gave a member an address"),
        "alias_remove": _("took an address from a member"),
        "member_import": _("imported members"),
        "compile": _("compiled the report"),
        "send_report": _("sent the report"),
        "retry": _("sent a failed mail again"),
    }
    return labels.get(action, action)


def issue_label(code: str) -> str:
    """An issue code in the coordinator's words (``missing_section:why`` -> no “Why” section)."""
    if code.startswith("missing_section:"):
        return _("no “%(section)s” section", section=section_label(code.partition(":")[2]))
    labels = {
        "word_limit": _("over the word limit"),
        "no_action_line": _("no action line"),
        "empty": _("no contribution text"),
        "not_member": _("not a member's address"),
        "spoofed": _("the sender may be forged"),
        "late": _("arrived after the deadline"),
        "no_link": _("outputs without a link"),
        "unreadable_attachment": _("the attachment could not be read"),
        "too_large": _("too large to read in full"),
    }
    return labels.get(code, code)


def section_label(section: str) -> str:
    """A section's name in the page's language (the label members are asked to write)."""
    if section not in i18n.SECTIONS:
        return section
    return i18n.section_label(section, language.current())


def source_label(source: str) -> str:
    """Where the counted text was read: the body, an attachment, or both."""
    same = " (the body has the same text)"
    kind, _colon, name = source.partition(":")
    if source == "body":
        return _("the body of the mail")
    if kind == "attachment" and name.endswith(same):
        return _(
            "the attachment %(file)s (the body has the same text)", file=name.removesuffix(same)
        )
    if kind == "attachment":
        return _("the attachment %(file)s", file=name)
    if kind == "body+attachment":
        return _("the body of the mail and the attachment %(file)s", file=name)
    return source
