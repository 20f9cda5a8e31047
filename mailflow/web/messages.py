"""What the core tells the coordinator, worded in the page's language.

The core hands the console `mailflow.notices.Notice` values (English text with a stable code and
its parameters): refusals raised as `MailflowError`, the results of actions, warnings of the
configuration, the roster import and the compile, the reasons on the to-do list. `say` words a
notice from the ``web`` catalogs by its code, never by matching its English words; a text that
carries no code (an SMTP server's reply, an operating system's reason) is shown as it came,
isolated in a right-to-left page. `delivery_text` says what a delivery left in the queue. This
module decides nothing: which message is said, and
when, is the core's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mailflow.answering import i18n
from mailflow.answering.outbox import Delivery
from mailflow.errors import MailflowError
from mailflow.notices import Notice, notice_of
from mailflow.web import language
from mailflow.web.labels import status_label
from mailflow.web.language import _, ngettext

__all__ = ["delivery_text", "error_text", "say"]

_Wording = Callable[[Mapping[str, Any]], str]


def say(text: str) -> str:
    """``text`` in the page's language: a notice worded by its code, other text as it is."""
    if isinstance(text, Notice) and text.code in WORDINGS:
        try:
            return WORDINGS[text.code](text.params)
        except (KeyError, TypeError, ValueError):  # a value the wording needs is missing
            return str(text)
    return text


def error_text(error: MailflowError) -> str:
    """A refusal of the core in the page's language."""
    notice = notice_of(error)
    return say(notice) if notice is not None else str(error)


def delivery_text(delivery: Delivery) -> str | None:
    """What a delivery that left mail in the queue says; None when all went."""
    if not delivery.not_sent:
        return None
    return ngettext(
        "%(num)d mail was not sent: %(reason)s",
        "%(num)d mails were not sent: %(reason)s",
        delivery.not_sent,
        reason="; ".join(delivery.reasons) or _("no reason given"),
    )


def _list(values: object) -> str:
    """Several problems or changes, each worded, separated as the language separates them."""
    items = values if isinstance(values, tuple | list) else (values,)
    separator = {"zh": "；", "ar": "؛ "}.get(language.current(), "; ")
    return separator.join(say(item) if isinstance(item, str) else str(item) for item in items)


def _when(value: object) -> str:
    return language.format_when(datetime.fromisoformat(str(value))) if value else "—"


def _organisation(params: Mapping[str, Any]) -> str:
    return str(params.get("organisation") or _("no organisation"))


def _status(params: Mapping[str, Any]) -> str:
    return status_label(str(params["status"]))


def _text_refused(params: Mapping[str, Any], *, empty: bool) -> str:
    if params.get("kind") == "translation":
        if empty:
            return _("The English version is empty; nothing was kept.")
        return _("The English version is unchanged; nothing was kept.")
    if empty:
        return _("The text for the report is empty; nothing was kept.")
    return _("The text for the report is unchanged; nothing was kept.")


def _sent(p: Mapping[str, Any]) -> str:
    text = ngettext(
        "The report went to %(recipient)s with %(num)d contribution (%(message_id)s).",
        "The report went to %(recipient)s with %(num)d contributions (%(message_id)s).",
        int(p["count"]),
        recipient=p["recipient"],
        message_id=p["message_id"],
    )
    if int(p.get("sent", 0)):
        return text
    gap = "" if language.current() in i18n.UNSPACED_LANGUAGES else " "
    return text + gap + _("It waits in the outbox and goes with the next delivery.")


WORDINGS: dict[str, _Wording] = {
    # Refusals (MailflowError).
    "no_submission": lambda p: _("There is no submission %(id)s.", id=p["id"]),
    "review_not_held": lambda p: _(
        "Submission %(id)s is %(status)s: only a held submission is accepted or rejected.",
        id=p["id"],
        status=_status(p),
    ),
    "attach_not_held": lambda p: _(
        "Submission %(id)s is %(status)s: only a held submission is attached to a member.",
        id=p["id"],
        status=_status(p),
    ),
    "text_empty": lambda p: _text_refused(p, empty=True),
    "text_unchanged": lambda p: _text_refused(p, empty=False),
    "no_member_to_attach": lambda p: _(
        "No member has the address %(address)s. Add that member on the Members page, or give "
        "the sender's address, %(sender)s, to a member there.",
        address=p["address"],
        sender=p["sender"],
    ),
    "no_member": lambda p: _("No member has the address %(address)s.", address=p["address"]),
    "not_their_address": lambda p: _(
        "%(address)s is not an address of %(member)s, whose addresses are: %(addresses)s.",
        address=p["address"],
        member=p["member"],
        addresses=p["addresses"],
    ),
    "last_address": lambda p: _(
        "%(member)s would have no address left: a member keeps at least one. Add the new "
        "address first, or deactivate the member.",
        member=p["member"],
    ),
    "no_outbox_mail": lambda p: _("The outbox has no mail numbered %(ids)s.", ids=p["ids"]),
    "not_sent": lambda p: ngettext(
        "%(num)d mail was not sent: %(reason)s",
        "%(num)d mails were not sent: %(reason)s",
        int(p["count"]),
        reason=say(p["reason"]),
    ),
    "smtp_password_missing": lambda p: _(
        "The mail server's account is set (smtp.user) but its password is not "
        "(MAILFLOW_SMTP_PASSWORD): mailflow cannot sign in to send."
    ),
    "example_address": lambda p: _(
        "%(key)s is still the example address %(address)s: set your association's address in "
        "mailflow.toml.",
        key=p["key"],
        address=p["address"],
    ),
    "roster_unreadable": lambda p: _(
        "%(file)s cannot be read (%(reason)s).", file=p["file"], reason=p["reason"]
    ),
    "roster_encoding": lambda p: _(
        "%(file)s is neither UTF-8 nor Windows-1252 text. Save it as “CSV UTF-8” and import "
        "it again.",
        file=p["file"],
    ),
    "roster_header": lambda p: _(
        "%(file)s needs a header row with at least these columns: %(columns)s.",
        file=p["file"],
        columns=p["columns"],
    ),
    "roster_rows": lambda p: ngettext(
        "%(file)s: %(num)d row cannot be imported, so nothing was: %(problems)s.",
        "%(file)s: %(num)d rows cannot be imported, so nothing was: %(problems)s.",
        int(p["count"]),
        file=p["file"],
        problems=_list(p["problems"]),
    ),
    "row_problem": lambda p: _(
        "line %(line)s: %(problem)s", line=p["line"], problem=say(p["problem"])
    ),
    "row_missing": lambda p: _("nothing in %(columns)s", columns=p["columns"]),
    "row_not_address": lambda p: _("“%(value)s” is not a mail address", value=p["value"]),
    "row_repeated": lambda p: _(
        "%(address)s is also on line %(other)s", address=p["address"], other=p["other"]
    ),
    "address_taken": lambda p: _(
        "%(address)s is an address of another member, %(owner)s. Take it from them first "
        "(“mailflow members alias %(primary)s --remove %(address)s”).",
        address=p["address"],
        owner=p["owner"],
        primary=p["primary"],
    ),
    "report_unwritable": lambda p: _(
        "The report cannot be written to %(folder)s (%(reason)s).",
        folder=p["folder"],
        reason=p["reason"],
    ),
    "report_already_sent": lambda p: _(
        "The report was already sent on %(when)s (%(message_id)s). To send an update that "
        "replaces it, compile the report again and send it.",
        when=_when(p["when"]),
        message_id=p["message_id"],
    ),
    "report_not_compiled": lambda p: _("The report is not compiled yet: compile it first."),
    "report_not_sent": lambda p: _(
        "The report was not sent: %(problems)s. Compile it again, check the folder, then send it.",
        problems=_list(p["problems"]),
    ),
    "report_empty": lambda p: _("The compiled report has no contribution; it was not sent."),
    # Why a compiled report can no longer be sent as it is.
    "report_file_missing": lambda p: _(
        "%(file)s is missing from the report's folder", file=p["file"]
    ),
    "report_file_changed": lambda p: _("%(file)s was changed after the compile", file=p["file"]),
    "report_ledger_changed": lambda p: ngettext(
        "%(num)d contribution changed in the ledger since the compile (%(changes)s)",
        "%(num)d contributions changed in the ledger since the compile (%(changes)s)",
        int(p["count"]),
        changes=_list(p["changes"]),
    ),
    "report_change": lambda p: _("%(label)s: %(what)s", label=p["label"], what=say(p["what"])),
    "no_longer_accepted": lambda p: _("no longer accepted"),
    "newly_accepted": lambda p: _("newly accepted"),
    "new_version": lambda p: _("a new version"),
    "edited": lambda p: _("edited or translated by a coordinator"),
    "report_sent_since": lambda p: _(
        "a report was sent after this one was compiled (%(message_id)s)",
        message_id=p["message_id"],
    ),
    # Results and warnings of the compile and the send.
    "report_sent": _sent,
    "report_no_contribution": lambda p: _("No contribution is accepted: the report is empty."),
    "report_summary_over_limit": lambda p: _(
        "The association's summary has %(words)s words; the limit is %(limit)s.",
        words=p["words"],
        limit=p["limit"],
    ),
    "report_unknown_action_lines": lambda p: _(
        "Contribution %(id)s (%(organisation)s): unknown action lines left out: %(codes)s.",
        id=p["id"],
        organisation=_organisation(p),
        codes=p["codes"],
    ),
    "report_no_action_line": lambda p: _(
        "Contribution %(id)s (%(organisation)s) names no action line.",
        id=p["id"],
        organisation=_organisation(p),
    ),
    "report_over_limit": lambda p: _(
        "Contribution %(id)s (%(organisation)s) has %(words)s words; the limit is %(limit)s.",
        id=p["id"],
        organisation=_organisation(p),
        words=p["words"],
        limit=p["limit"],
    ),
    "report_unknown_country": lambda p: _(
        "Contribution %(id)s (%(organisation)s): the country “%(country)s” is not recognised.",
        id=p["id"],
        organisation=_organisation(p),
        country=p["country"],
    ),
    # The roster import's warning.
    "roster_cp1252": lambda p: _(
        "%(file)s is not UTF-8 and was read as Windows-1252: check the accented names, or save "
        "it as “CSV UTF-8”.",
        file=p["file"],
    ),
    # The configuration.
    "example_association": lambda p: _(
        "The association is still the example (“%(name)s”): calls and reminders are not sent "
        "until campaign.association in mailflow.toml names your association.",
        name=p["name"],
    ),
    "no_authserv_id": lambda p: _(
        "No trusted authserv-id is set (security.trusted_authserv_ids), so a member's address "
        "forged by a stranger is not recognised. Run “mailflow init” after the first fetch of "
        "mail to find the one your mail server stamps, or set it in mailflow.toml."
    ),
    # Reasons on the to-do list.
    "mail_sending": lambda p: ngettext(
        "sending since %(since)s; it goes back to the queue %(num)d minute later",
        "sending since %(since)s; it goes back to the queue %(num)d minutes later",
        int(p["minutes"]),
        since=_when(p["since"]),
    ),
    "mail_bounced": lambda p: _("bounced: the address does not take mail"),
    "no_reason": lambda p: _("no reason recorded"),
    "accepted_after_report": lambda p: _("accepted after the report was sent"),
    "reported_now": lambda p: _("in the sent report, now %(status)s", status=_status(p)),
    "new_version_of_reported": lambda p: _(
        "a new version of #%(reported)s, which the sent report has", reported=p["reported"]
    ),
    "changed_since_report": lambda p: _(
        "changed since the report was sent (an edit, a translation or the member's details)"
    ),
}
