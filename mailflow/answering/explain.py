"""Validation issues in plain words, in the member's language, each with how to fix it.

`explain_issue` turns one `IssueNote` (a code such as ``word_limit``, ``no_action_line`` or
``missing_section:<field>`` and its parameters, as `mailflow.reading.validate` reports them) into
the sentence a confirmation lists under "to fix" or "suggestions": numbers with the language's
plural forms, the deadline in the campaign's time zone, section names and action lines in the
member's language, file names cleaned before they are quoted. Its messages are gettext msgids; the
catalogs under ``templates/locale`` translate them, and `mailflow.answering.i18n.extract_messages`
collects them from this file. This module does not decide which issues a contribution has
(`mailflow.reading.validate`) nor build or send the mail that carries them
(`mailflow.answering.compose`, which re-exports `explain_issue`).
"""

from __future__ import annotations

from collections.abc import Mapping

from mailflow.answering.i18n import (
    SECTIONS,
    Number,
    format_when,
    isolate,
    pick_language,
    section_label,
    translations,
)
from mailflow.answering.model import CampaignInfo, IssueNote
from mailflow.reading import wsis
from mailflow.untrusted import clean

__all__ = ["EXAMPLE_ACTION_LINE", "action_line_name", "explain_issue"]

#: The example action line named when none was recognised.
EXAMPLE_ACTION_LINE = "C3"


def explain_issue(note: IssueNote, language: str, campaign: CampaignInfo) -> str:
    """One issue in plain words in ``language``, with how to fix it."""
    language = pick_language(language, None)
    trans = translations(language)
    code, params = note.code, note.params
    if code == "word_limit":
        words = _number(params, "words", 0)
        limit = _number(params, "limit", campaign.word_limit)
        over = _number(params, "over", words - limit)
        return trans.ngettext(
            "Your text has %(words)s words; the limit is %(limit)s. "
            "Please shorten it by %(num)s word.",
            "Your text has %(words)s words; the limit is %(limit)s. "
            "Please shorten it by %(num)s words.",
            over,
        ) % {
            "words": Number(words, language),
            "limit": Number(limit, language),
            "num": Number(over, language),
        }
    if code == "no_action_line":
        code = isolate(EXAMPLE_ACTION_LINE, language, ltr=True)
        example = f"{code} {action_line_name(EXAMPLE_ACTION_LINE, language)}"
        return trans.gettext(
            "No WSIS action line was recognised. Please name at least one by its code and name, "
            "for example: %(example)s."
        ) % {"example": example}
    if code == "empty":
        return trans.gettext(
            "We found no contribution text in your message. Please write it in the body of the "
            "mail or attach it as a .docx, .odt, .pdf or .txt file."
        )
    if code == "not_member":
        return trans.gettext(
            "The address you wrote from is not on our list of member addresses. If you have a "
            "new address, please tell us so that we can update our records."
        )
    if code == "spoofed":
        return trans.gettext(
            "Our mail server could not confirm that this message really came from your address, "
            "so a coordinator checked it by hand. Please send from your organisation's usual "
            "mail server."
        )
    if code == "late":
        deadline = format_when(campaign.deadline, campaign.deadline.tzinfo, language)
        return trans.gettext(
            "Your message arrived after the deadline (%(deadline)s). The coordinators decide "
            "whether late contributions can still be included."
        ) % {"deadline": deadline}
    if code == "no_link":
        return trans.gettext(
            "You mention outputs but give no link. Please add a link (https://…) for each "
            "document, project or campaign you mention."
        )
    if code == "unreadable_attachment":
        filename = clean(str(params.get("filename", "")))
        if not filename:
            return trans.gettext(
                "We could not read one of your attachments. Please send it as a .docx, .odt, "
                ".pdf or .txt file, or paste its text into the body of your message."
            )
        return trans.gettext(
            "We could not read the attachment “%(filename)s”. Please send it as a .docx, .odt, "
            ".pdf or .txt file, or paste its text into the body of your message."
        ) % {"filename": filename}
    if code == "too_large":
        limits = {limit.strip() for limit in str(params.get("limits", "")).split(",")}
        if "too_deeply_nested" in limits:  # the parser gave up: only the headers were read
            return trans.gettext(
                "Your message had parts nested too deeply inside one another for us to read it, "
                "so we could not read your contribution at all. Please send a simple mail with "
                "your contribution in the body of the message or in a single attachment."
            )
        if "message_too_large" in limits:  # only the headers were read
            return trans.gettext(
                "Your message was too large for us to read, so we could not read your "
                "contribution at all. Please send a shorter mail with your contribution in the "
                "body of the message or in a single attachment."
            )
        return trans.gettext(
            "Your message was too large, or had too many parts or attachments, so we could read "
            "only part of it. Please send a shorter mail with your contribution in the body of "
            "the message or in a single attachment."
        )
    if code.startswith("missing_section:"):
        return _explain_missing_section(code.partition(":")[2], language)
    return trans.gettext("Another point needs attention (%(code)s).") % {"code": clean(code)}


def _explain_missing_section(section: str, language: str) -> str:
    trans = translations(language)
    if section not in SECTIONS:
        return trans.gettext("Missing section “%(section)s”.") % {"section": clean(section)}
    hints = {
        "organisation": trans.gettext(
            "Missing section “%(section)s”: please give the name of your library or association."
        ),
        "country": trans.gettext("Missing section “%(section)s”: please give your country."),
        "action_lines": trans.gettext(
            "Missing section “%(section)s”: please list the WSIS action lines (C1–C11) your work "
            "contributed to."
        ),
        "why": trans.gettext(
            "Missing section “%(section)s”: please say why your work contributes to the action "
            "lines you named."
        ),
        "outputs": trans.gettext(
            "Missing section “%(section)s”: please list your relevant documents, projects or "
            "campaigns, with links."
        ),
        "achievements": trans.gettext(
            "Missing section “%(section)s”: please describe what your library achieved locally."
        ),
        "trends": trans.gettext(
            "Missing section “%(section)s”: please describe the trends you observe locally."
        ),
        "obstacles": trans.gettext(
            "Missing section “%(section)s”: please describe the obstacles you met."
        ),
        "future_actions": trans.gettext(
            "Missing section “%(section)s”: please describe future actions or initiatives at "
            "regional or international level, especially ones that overcome the obstacles you met."
        ),
    }
    return hints[section] % {"section": section_label(section, language)}


def _number(params: Mapping[str, str | int], key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        return default


def action_line_name(code: str, language: str) -> str:
    """The name of action line ``code`` in ``language``; empty for a code that is not one."""
    try:
        return wsis.action_line(code).name(language)
    except (KeyError, ValueError):  # a code validate never produces; show it as it is
        return ""
