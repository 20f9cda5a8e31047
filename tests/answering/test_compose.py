"""Tests for mailflow.answering.compose: headers, threading, encoding, injection, escaping, issue
texts."""

from __future__ import annotations

import ast
import dataclasses
import html
import inspect
import re
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow import intake as processing
from mailflow.answering.compose import (
    MAX_REFERENCES,
    SUPPORTED_LANGUAGES,
    CampaignInfo,
    Confirmation,
    IssueNote,
    call_for_contributions,
    confirmation,
    explain_issue,
    make_message_id,
    pick_language,
    reminder,
    reply_subject,
)
from mailflow.answering.i18n import SECTIONS, isolate, section_label, translations
from mailflow.errors import ConfigError, DeliveryError, StateError
from mailflow.reading import validate, wsis
from mailflow.reading.sections import find_sections
from mailflow.reading.validate import Issue, Severity

ICT = timezone(timedelta(hours=7))
NOW = datetime(2025, 9, 10, 1, 31, tzinfo=UTC)
CAMPAIGN = CampaignInfo(
    name="WSIS 2025",
    association="Example Library Association",
    deadline=datetime(2025, 9, 30, 23, 59, 59, tzinfo=ICT),
    word_limit=200,
    from_address="WSIS coordinator <wsis@association.example>",
    reply_to="wsis@association.example",
)
CONF = Confirmation(
    to_address="hoa@members.test",
    to_name="Hoa Nguyen",
    language="en",
    original_subject="WSIS contribution",
    original_message_id="<m1@members.test>",
    original_references=(),
    received_at=datetime(2025, 9, 10, 1, 30, tzinfo=UTC),
    attachments_read=(),
    status="accepted",
    issues=(),
    action_lines=("C3", "C8"),
    links=("https://library.example/report",),
    word_count=154,
    version=1,
)
CONFIRMATION_HEADERS = [
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
]
#: Every issue code validation and processing raise, with typical params.
ISSUE_PARAMS: dict[str, dict[str, str | int]] = {
    "word_limit": {"words": 250, "limit": 200, "over": 50},
    "no_action_line": {},
    "empty": {},
    "not_member": {},
    "spoofed": {},
    "late": {},
    "no_link": {},
    "unreadable_attachment": {"filename": "report.doc"},
    "too_large": {"limits": "too_many_parts,timeout"},
    **{f"missing_section:{section}": {"section": section} for section in SECTIONS},
}
ISSUE_CODES = tuple(ISSUE_PARAMS)
GENERIC_FALLBACK = "Another point needs attention (%(code)s)."
#: What the short confirmation of an empty mail says instead of thanks and a summary.
EMPTY_MAIL = (
    "We found no contribution in your message. Please reply to this message with your text, in "
    "the body of the mail or as a .docx, .odt, .pdf or .txt attachment."
)


def confirm(**changes: object) -> EmailMessage:
    """The confirmation for CONF with ``changes``, parsed back."""
    out = confirmation(dataclasses.replace(CONF, **changes), CAMPAIGN, now=NOW)  # type: ignore[arg-type]
    return parse(out.data)


def parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    """The text part as a reader sees it (text is sent with canonical CRLF line ends)."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_confirmation_headers_exact() -> None:
    out = confirmation(CONF, CAMPAIGN, now=NOW)
    message = parse(out.data)

    assert list(message.keys()) == CONFIRMATION_HEADERS
    assert message["From"] == "WSIS coordinator <wsis@association.example>"
    assert message["To"] == "Hoa Nguyen <hoa@members.test>"
    assert message["Reply-To"] == "wsis@association.example"
    assert message["Subject"] == "Re: WSIS contribution"
    assert message["Date"] == "Wed, 10 Sep 2025 01:31:00 +0000"
    assert message["Message-ID"] == out.message_id
    assert message["In-Reply-To"] == "<m1@members.test>"
    assert message["References"] == "<m1@members.test>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Content-Language"] == "en"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert (out.to_address, out.subject) == ("hoa@members.test", "Re: WSIS contribution")


def test_confirmation_message_id_on_association_domain() -> None:
    out = confirmation(CONF, CAMPAIGN, now=NOW)

    assert re.fullmatch(r"<mailflow\.[0-9a-f]{24}@association\.example>", out.message_id)


def test_confirmation_data_uses_crlf_line_endings() -> None:
    data = confirmation(CONF, CAMPAIGN, now=NOW).data

    assert data.count(b"\n") == data.count(b"\r\n")


@pytest.mark.parametrize(
    "original",
    [
        "Report",
        "Re: Report",
        "RE: RE: Report",
        "re:Report",
        "Aw: Report",
        "Re[2]: Report",
        "SV: Re: Report",
        "回复：Report",
        "Ответ: Report",
        "  Re:  Report  ",
    ],
)
def test_reply_subject_adds_one_re(original: str) -> None:
    assert reply_subject(original, "fallback") == "Re: Report"


def test_reply_subject_keeps_forward_prefix() -> None:
    assert reply_subject("Fwd: Report", "fallback") == "Re: Fwd: Report"


def test_confirmation_empty_subject_uses_translated_fallback() -> None:
    message = confirm(original_subject="  ", language="fr")

    assert message["Subject"] == "Re: Votre contribution à la campagne WSIS 2025"


def test_confirmation_long_subject_is_shortened() -> None:
    message = confirm(original_subject="word " * 100)

    subject = str(message["Subject"])
    assert len(subject) == len("Re: ") + 200
    assert subject.endswith("word…")


def test_confirmation_references_keep_chain_and_end_with_original() -> None:
    message = confirm(
        original_message_id="<m3@members.test>",
        original_references=("<root@a.test> <m2@members.test>", "<m2@members.test>"),
    )

    assert message["In-Reply-To"] == "<m3@members.test>"
    assert message["References"] == "<root@a.test> <m2@members.test> <m3@members.test>"


def test_confirmation_references_drop_unusable_ids() -> None:
    message = confirm(original_references=("no id here", "<bad id>", "<ok@a.test>"))

    assert message["References"] == "<ok@a.test> <m1@members.test>"


def test_confirmation_references_are_capped_keeping_root() -> None:
    chain = tuple(f"<m{number}@a.test>" for number in range(40))
    message = confirm(original_references=chain)

    ids = str(message["References"]).split()
    assert len(ids) == MAX_REFERENCES
    assert ids[0] == "<m0@a.test>"
    assert ids[-2:] == ["<m39@a.test>", "<m1@members.test>"]


def test_confirmation_long_ids_are_never_encoded() -> None:
    root = "<" + "r" * 150 + "@" + "b" * 80 + ".example>"
    original = "<" + "o" * 150 + "@" + "b" * 80 + ".example>"
    out = confirmation(
        dataclasses.replace(CONF, original_message_id=original, original_references=(root,)),
        CAMPAIGN,
        now=NOW,
    )
    message = parse(out.data)

    assert b"=?" not in out.data.split(b"\r\n\r\n", 1)[0]
    assert message["In-Reply-To"] == original
    assert message["References"] == f"{root} {original}"


@pytest.mark.parametrize("original_id", [None, "", "not-an-id", "<with space@x>"])
def test_confirmation_without_usable_original_id_has_no_threading(
    original_id: str | None,
) -> None:
    message = confirm(original_message_id=original_id, original_references=("<r@a.test>",))

    assert message["In-Reply-To"] is None
    assert message["References"] is None


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Nguyễn Thị Hoa", "Đóng góp WSIS của Thư viện Quốc gia Việt Nam"),
        ("王小明", "信息社会世界峰会投稿：国家图书馆"),
        ("فاطمة الزهراء", "مساهمة المكتبة الوطنية في القمة العالمية"),
        ('O"Brien, Máire (Library)', "Contribution « finale »"),
    ],
)
def test_confirmation_non_ascii_name_and_subject_round_trip(name: str, subject: str) -> None:
    out = confirmation(
        dataclasses.replace(CONF, to_name=name, original_subject=subject), CAMPAIGN, now=NOW
    )
    head = out.data.split(b"\r\n\r\n", 1)[0]
    message = parse(out.data)

    assert head.isascii()
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "hoa@members.test"
    assert message["Subject"] == f"Re: {subject}"
    assert out.subject == f"Re: {subject}"


@pytest.mark.parametrize(
    "evil",
    [
        "Eve\r\nBcc: victim@example.org",
        "Eve\nBcc: victim@example.org\n",
        "Eve\rBcc: victim@example.org",
        "Eve\x85Bcc: victim@example.org",
        "Eve\u2028Bcc: victim@example.org",
        "Eve\r\n\r\n<html>body</html>",
    ],
)
def test_confirmation_untrusted_text_cannot_add_headers(evil: str) -> None:
    out = confirmation(
        dataclasses.replace(
            CONF, to_name=evil, original_subject=evil, attachments_read=(evil,), links=(evil,)
        ),
        CAMPAIGN,
        now=NOW,
    )
    message = parse(out.data)

    assert list(message.keys()) == CONFIRMATION_HEADERS
    assert message["To"].addresses[0].addr_spec == "hoa@members.test"
    assert len(message["To"].addresses) == 1
    assert not re.search(rb"^Bcc:", out.data, re.MULTILINE | re.IGNORECASE)


@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=120), subject=st.text(max_size=300))
def test_confirmation_any_name_and_subject_keep_the_header_set(name: str, subject: str) -> None:
    out = confirmation(
        dataclasses.replace(CONF, to_name=name, original_subject=subject), CAMPAIGN, now=NOW
    )
    message = parse(out.data)

    assert list(message.keys()) == CONFIRMATION_HEADERS
    assert [a.addr_spec for a in message["To"].addresses] == ["hoa@members.test"]
    assert str(message["Subject"]).startswith("Re: ")


@pytest.mark.parametrize(
    "address", ["hoa@members.test\r\nBcc: x@y.test", "no-at-sign", "a b@c.test", "<a@b.test>"]
)
def test_confirmation_unusable_recipient_is_refused(address: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        confirmation(dataclasses.replace(CONF, to_address=address), CAMPAIGN, now=NOW)

    assert caught.value.permanent is True


def test_confirmation_idn_recipient_domain_is_punycoded() -> None:
    out = confirmation(dataclasses.replace(CONF, to_address="hoa@thư-viện.vn"), CAMPAIGN, now=NOW)

    assert out.to_address == "hoa@xn--th-vin-4zb3960d.vn"
    assert parse(out.data)["To"].addresses[0].domain == "xn--th-vin-4zb3960d.vn"


def test_confirmation_idn_from_domain_is_punycoded() -> None:
    campaign = dataclasses.replace(CAMPAIGN, from_address="Hội Thư viện <wsis@hội.example>")
    out = confirmation(CONF, campaign, now=NOW)
    message = parse(out.data)

    assert message["From"].addresses[0].display_name == "Hội Thư viện"
    assert message["From"].addresses[0].addr_spec == "wsis@xn--hi-79s.example"
    assert out.message_id.endswith("@xn--hi-79s.example>")


def test_confirmation_from_with_two_addresses_is_a_config_error() -> None:
    campaign = dataclasses.replace(CAMPAIGN, from_address="a@x.example, b@x.example")

    with pytest.raises(ConfigError) as caught:
        confirmation(CONF, campaign, now=NOW)

    assert caught.value.key == "smtp.from"


@pytest.mark.parametrize("status", ["held", "rejected", "superseded", ""])
def test_confirmation_for_unconfirmed_status_is_refused(status: str) -> None:
    with pytest.raises(StateError):
        confirmation(dataclasses.replace(CONF, status=status), CAMPAIGN, now=NOW)


def test_issue_note_of_validate_issue() -> None:
    issue = Issue("word_limit", Severity.ERROR, "243 words", {"words": 243, "limit": 200})

    assert IssueNote.of(issue) == IssueNote("word_limit", "error", {"words": 243, "limit": 200})


def test_confirmation_html_escapes_untrusted_text() -> None:
    message = confirm(
        original_subject="<script>alert(1)</script>",
        attachments_read=('<img src=x onerror="alert(1)">.docx',),
        to_name="<b>Eve</b>",
    )
    html = html_of(message)

    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>Eve" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.docx" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html


def test_confirmation_html_escapes_file_name_in_issue() -> None:
    note = IssueNote("unreadable_attachment", "warning", {"filename": "<img src=x>.doc"})
    message = confirm(issues=(note,))

    assert "<img" not in html_of(message)
    assert "the attachment “&lt;img src=x&gt;.doc”" in html_of(message)
    assert "the attachment “<img src=x>.doc”" in text_of(message)


def test_confirmation_text_part_shows_untrusted_text_verbatim() -> None:
    text = text_of(confirm(original_subject="<script>alert(1)</script>"))

    assert "We received your message “<script>alert(1)</script>” on" in text


def test_confirmation_lists_only_web_links() -> None:
    message = confirm(links=("javascript:alert(1)", "https://ok.example/x", "ftp://a.example/"))

    assert '<a href="https://ok.example/x" dir="ltr">https://ok.example/x</a>' in html_of(message)
    assert "javascript" not in html_of(message)
    assert "ftp://" not in text_of(message)


def test_confirmation_accepted_text_in_english() -> None:
    text = text_of(confirm(attachments_read=("report.docx", "annex.pdf")))

    assert text == (
        "Dear Hoa Nguyen,\n"
        "\n"
        "Thank you for your contribution to WSIS 2025.\n"
        "We received your message “WSIS contribution” on September 10, 2025, 8:30\u202fAM "
        "(GMT+07:00).\n"
        "Attachments we read: report.docx, annex.pdf\n"
        "\n"
        "Your contribution has been accepted. Nothing needs to change.\n"
        "\n"
        "What we understood:\n"
        "\n"
        "Action lines:\n"
        "- C3 Access to information and knowledge\n"
        "- C8 Cultural diversity and identity, linguistic diversity and local content\n"
        "\n"
        "Links:\n"
        "- https://library.example/report\n"
        "\n"
        "Length: 154 words (the limit is 200).\n"
        "\n"
        "If you want to change anything, reply to this message with the full corrected text "
        "before the deadline; the new version will replace this one.\n"
        "The deadline is September 30, 2025, 11:59\u202fPM (GMT+07:00).\n"
        "\n"
        "With best regards,\n"
        "Example Library Association\n"
    )


def test_confirmation_needs_revision_lists_what_to_fix() -> None:
    issues = (
        IssueNote("word_limit", "error", {"words": 243, "limit": 200, "over": 43}),
        IssueNote("missing_section:obstacles", "warning", {}),
    )
    text = text_of(confirm(status="needs_revision", issues=issues, word_count=243))

    assert (
        "Your contribution needs a revision before it can be included in the report. "
        "Please see what to fix below.\n"
        "\n"
        "What to fix:\n"
        "- Your text has 243 words; the limit is 200. Please shorten it by 43 words.\n"
        "\n"
        "Suggestions:\n"
        "- Missing section “Obstacles”: please describe the obstacles you met.\n"
    ) in text
    assert "Length: 243 words (the limit is 200).\n" in text
    assert (
        "Please reply to this message with the full corrected text, in the mail or as an "
        "attachment; the new version will replace this one.\n"
    ) in text


def test_confirmation_accepted_with_warnings_says_suggestions_are_optional() -> None:
    text = text_of(confirm(issues=(IssueNote("no_link", "warning", {}),)))

    assert (
        "Your contribution has been accepted. The suggestions below could make it stronger; "
        "they are optional.\n"
    ) in text
    assert "What to fix:" not in text


def test_confirmation_without_action_lines_or_links_says_none() -> None:
    text = text_of(confirm(action_lines=(), links=(), word_count=1))

    assert "Action lines:\n- none recognised\n\nLinks:\n- none\n\nLength: 1 word (the limit" in text


def test_confirmation_version_two_says_it_replaced_the_earlier() -> None:
    replaced = "This is version 2 of your contribution; it replaces the version you sent earlier."

    assert replaced in text_of(confirm(version=2))
    assert "This is version" not in text_of(confirm(version=1))


def test_confirmation_dates_in_member_locale_and_campaign_zone() -> None:
    text = text_of(confirm(language="fr"))

    assert (
        "Nous avons reçu votre message « WSIS contribution » le 10 septembre 2025 à 08 h 30 "
        in (text)
    )
    assert "La date limite est le 30 septembre 2025 à 23 h 59 (UTC+07:00)." in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", "Kính gửi Ông/Bà Hoa Nguyen,"),
        ("fr", "Bonjour Hoa Nguyen,"),
        ("es", "Estimado/a Hoa Nguyen:"),
        ("ar", "مرحبًا \u2068Hoa Nguyen\u2069،"),
        ("zh", "Hoa Nguyen，您好："),
        ("ru", "Здравствуйте, Hoa Nguyen!"),
        ("de", "Dear Hoa Nguyen,"),
        ("", "Dear Hoa Nguyen,"),
    ],
)
def test_confirmation_greets_in_member_language(language: str, expected: str) -> None:
    message = confirm(language=language)

    assert text_of(message).splitlines()[0] == expected
    assert message["Content-Language"] == (language if language in SUPPORTED_LANGUAGES else "en")


def test_confirmation_without_name_greets_generically() -> None:
    assert text_of(confirm(to_name="\r\n")).splitlines()[0] == "Hello,"


def test_confirmation_arabic_html_is_right_to_left() -> None:
    html = html_of(confirm(language="ar"))

    assert '<html lang="ar" dir="rtl">' in html


@pytest.mark.parametrize(
    ("preferred", "detected", "expected"),
    [
        ("vi", "en", "vi"),
        (None, "fr", "fr"),
        ("de", "es", "es"),
        ("de", "it", "en"),
        (None, None, "en"),
        ("", "", "en"),
        ("zh-Hans", None, "zh"),
        ("RU", None, "ru"),
        ("ar_EG", None, "ar"),
    ],
)
def test_pick_language_prefers_supported_preference(
    preferred: str | None, detected: str | None, expected: str
) -> None:
    assert pick_language(preferred, detected) == expected


def test_make_message_id_uses_from_domain_and_is_unique() -> None:
    first = make_message_id("Coordinator <wsis@Association.Example>")
    second = make_message_id("wsis@association.example")

    assert first.endswith("@association.example>")
    assert second.endswith("@association.example>")
    assert first != second


def test_make_message_id_without_domain_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        make_message_id("WSIS coordinator")

    assert caught.value.key == "smtp.from"


def test_explain_word_limit_in_english() -> None:
    note = IssueNote("word_limit", "error", {"words": 243, "limit": 200, "over": 43})

    assert explain_issue(note, "en", CAMPAIGN) == (
        "Your text has 243 words; the limit is 200. Please shorten it by 43 words."
    )


def test_explain_word_limit_computes_missing_numbers() -> None:
    note = IssueNote("word_limit", "error", {"words": 201})

    assert explain_issue(note, "en", CAMPAIGN) == (
        "Your text has 201 words; the limit is 200. Please shorten it by 1 word."
    )


@pytest.mark.parametrize(
    ("over", "ending"),
    [(1, "1 слово."), (3, "3 слова."), (5, "5 слов."), (11, "11 слов."), (21, "21 слово.")],
)
def test_explain_word_limit_russian_plurals(over: int, ending: str) -> None:
    note = IssueNote("word_limit", "error", {"words": 200 + over, "limit": 200, "over": over})

    assert explain_issue(note, "ru", CAMPAIGN).endswith(f"сократите его на {ending}")


@pytest.mark.parametrize(
    ("over", "ending"), [(1, "كلمة واحدة."), (2, "كلمتين."), (5, "5 كلمات."), (43, "43 كلمة.")]
)
def test_explain_word_limit_arabic_plurals(over: int, ending: str) -> None:
    note = IssueNote("word_limit", "error", {"words": 200 + over, "limit": 200, "over": over})

    assert explain_issue(note, "ar", CAMPAIGN).endswith(f"بمقدار {ending}")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_explain_word_limit_numbers_in_every_language(language: str) -> None:
    note = IssueNote("word_limit", "error", {"words": 243, "limit": 200, "over": 43})
    text = explain_issue(note, language, CAMPAIGN)

    assert re.findall(r"\d+", text) == ["243", "200", "43"]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_explain_no_action_line_gives_example_in_member_language(language: str) -> None:
    text = explain_issue(IssueNote("no_action_line", "error", {}), language, CAMPAIGN)

    example = f"C3 {wsis.action_line('C3').name(language)}"
    if language == "ar":  # the code is isolated left-to-right, the Arabic example first-strong
        example = f"\u2068\u2066C3\u2069 {wsis.action_line('C3').name(language)}\u2069"
    assert text.endswith(f"{example}.") or text.endswith(f"{example}。")


def test_explain_missing_section_names_section_in_member_language() -> None:
    note = IssueNote("missing_section:obstacles", "warning", {})

    assert explain_issue(note, "fr", CAMPAIGN) == (
        "Section manquante : « Obstacles ». Merci de décrire les obstacles rencontrés."
    )
    assert explain_issue(note, "vi", CAMPAIGN) == (
        "Thiếu mục “Trở ngại”: vui lòng mô tả những trở ngại quý vị đã gặp."
    )


def test_explain_unknown_codes_show_the_code() -> None:
    assert explain_issue(IssueNote("odd\r\ncode", "error", {}), "en", CAMPAIGN) == (
        "Another point needs attention (odd code)."
    )
    assert explain_issue(IssueNote("missing_section:budget", "warning", {}), "en", CAMPAIGN) == (
        "Missing section “budget”."
    )


def test_explain_late_names_the_deadline() -> None:
    text = explain_issue(IssueNote("late", "hold", {}), "en", CAMPAIGN)

    assert text == (
        "Your message arrived after the deadline (September 30, 2025, 11:59\u202fPM "
        "(GMT+07:00)). The coordinators decide whether late contributions can still be included."
    )


def test_explain_unreadable_attachment_names_the_file() -> None:
    note = IssueNote("unreadable_attachment", "warning", {"filename": "report.doc"})

    assert explain_issue(note, "en", CAMPAIGN) == (
        "We could not read the attachment “report.doc”. Please send it as a .docx, .odt, .pdf or "
        ".txt file, or paste its text into the body of your message."
    )
    assert explain_issue(note, "fr", CAMPAIGN) == (
        "Nous n'avons pas pu lire la pièce jointe « report.doc ». Merci de l'envoyer sous forme "
        "de fichier .docx, .odt, .pdf ou .txt, ou d'en coller le texte dans le corps de votre "
        "message."
    )


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_explain_unreadable_attachment_cleans_the_file_name(language: str) -> None:
    evil = "a\r\nBcc: victim@example.org\u202e" + "x" * 300 + ".pdf"
    note = IssueNote("unreadable_attachment", "warning", {"filename": evil})
    text = explain_issue(note, language, CAMPAIGN)

    assert "a Bcc: victim@example.org " + "x" * 173 + "…" in text
    assert not re.search(r"[\r\n\u202e]", text)
    assert ".pdf”" not in text


@pytest.mark.parametrize("filename", ["", " \r\n "])
def test_explain_unreadable_attachment_without_a_name(filename: str) -> None:
    note = IssueNote("unreadable_attachment", "warning", {"filename": filename})

    assert explain_issue(note, "en", CAMPAIGN) == (
        "We could not read one of your attachments. Please send it as a .docx, .odt, .pdf or "
        ".txt file, or paste its text into the body of your message."
    )


@pytest.mark.parametrize("limits", ["message_too_large", "too_many_parts,message_too_large"])
def test_explain_too_large_message_says_nothing_was_read(limits: str) -> None:
    note = IssueNote("too_large", "warning", {"limits": limits})

    assert explain_issue(note, "en", CAMPAIGN) == (
        "Your message was too large for us to read, so we could not read your contribution at "
        "all. Please send a shorter mail with your contribution in the body of the message or in "
        "a single attachment."
    )


@pytest.mark.parametrize(
    "limits", ["too_many_parts", "too_many_attachments", "timeout", "too_many_parts,timeout", ""]
)
def test_explain_too_large_partial_read_says_only_part_was_read(limits: str) -> None:
    note = IssueNote("too_large", "warning", {"limits": limits})

    assert explain_issue(note, "en", CAMPAIGN) == (
        "Your message was too large, or had too many parts or attachments, so we could read only "
        "part of it. Please send a shorter mail with your contribution in the body of the "
        "message or in a single attachment."
    )


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_explain_too_large_whole_and_partial_differ(language: str) -> None:
    whole = IssueNote("too_large", "warning", {"limits": "message_too_large"})
    partial = IssueNote("too_large", "warning", {"limits": "too_many_attachments"})

    assert explain_issue(whole, language, CAMPAIGN) != explain_issue(partial, language, CAMPAIGN)


def test_issue_codes_cover_every_code_raised() -> None:
    """Every Issue(...) code in validate and processing has an entry in ISSUE_PARAMS."""
    raised: set[str] = set()
    for module in (validate, processing):
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Issue":
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    raised.add(str(first.value))
                else:  # f"missing_section:{name}": its fixed prefix
                    assert isinstance(first, ast.JoinedStr)
                    prefix = first.values[0]
                    assert isinstance(prefix, ast.Constant)
                    raised.add(str(prefix.value))

    assert "unreadable_attachment" in raised
    assert "too_large" in raised
    for code in raised:
        assert any(known == code or known.startswith(code) for known in ISSUE_CODES), code


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("code", ISSUE_CODES)
def test_confirmation_explains_every_issue_in_every_language(code: str, language: str) -> None:
    severity = "warning" if code.startswith("missing") else "error"
    note = IssueNote(code, severity, ISSUE_PARAMS[code])
    explained = explain_issue(note, language, CAMPAIGN)
    english = explain_issue(note, "en", CAMPAIGN)
    generic = translations(language).gettext(GENERIC_FALLBACK) % {"code": code}
    text = text_of(confirm(language=language, status="needs_revision", issues=(note,)))

    # An empty mail gets the short variant, in words of its own (the test below).
    assert (f"- {explained}\n" in text) is (code != "empty")
    assert (explained != english) is (language != "en")
    assert explained != generic


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_explain_issue_texts_differ_per_code(language: str) -> None:
    texts = {
        explain_issue(IssueNote(code, "warning", params), language, CAMPAIGN)
        for code, params in ISSUE_PARAMS.items()
    }

    assert len(texts) == len(ISSUE_PARAMS)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_call_has_rules_action_lines_and_fill_in_template(language: str) -> None:
    out = call_for_contributions("a@b.test", "Ann", language, CAMPAIGN, now=NOW)
    message = parse(out.data)
    text = text_of(message)

    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"] is None
    assert message["Content-Language"] == language
    assert "200" in text
    for line in wsis.ACTION_LINES:
        assert f"{isolate(line.code, language, ltr=True)}  {line.name(language)}\n" in text
    separator = {"fr": " :", "zh": "："}.get(language, ":")
    for section in SECTIONS:
        assert f"\n{section_label(section, language)}{separator}\n" in text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_call_fill_in_labels_are_recognised_by_the_parser(language: str) -> None:
    filled = "\n".join(
        f"{section_label(section, language)}: text for {section}" for section in SECTIONS
    )

    fields, labelled = find_sections(filled)

    assert labelled is True
    assert fields == {section: f"text for {section}" for section in SECTIONS}


def test_call_subject_and_headers_in_english() -> None:
    out = call_for_contributions("a@b.test", "Ann", "en", CAMPAIGN, now=NOW)
    message = parse(out.data)

    assert out.subject == "WSIS 2025: call for contributions (deadline September 30, 2025)"
    assert list(message.keys()) == [
        h for h in CONFIRMATION_HEADERS if h not in ("In-Reply-To", "References")
    ]
    assert message["To"] == "Ann <a@b.test>"


def test_reminder_says_how_much_time_is_left() -> None:
    now = CAMPAIGN.deadline - timedelta(days=5)
    english = text_of(parse(reminder("a@b.test", "Ann", "en", CAMPAIGN, now=now).data))
    russian = text_of(parse(reminder("a@b.test", "Ann", "ru", CAMPAIGN, now=now).data))

    assert (
        "contributions to WSIS 2025 are due by September 30, 2025, 11:59\u202fPM (GMT+07:00), "
        "that is in 5 days."
    ) in english
    assert "то есть осталось 5 дней." in russian


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=20, hours=22), "that is in 20 days."),
        (timedelta(days=1, hours=23), "that is in 1 day."),
        (timedelta(hours=3, minutes=59), "that is in 3 hours."),
        (timedelta(minutes=42, seconds=30), "that is in 42 minutes."),
        (timedelta(seconds=5), "that is in 1 minute."),
    ],
)
def test_reminder_time_left_is_never_rounded_up(left: timedelta, expected: str) -> None:
    out = reminder("a@b.test", "Ann", "en", CAMPAIGN, now=CAMPAIGN.deadline - left)

    assert expected in text_of(parse(out.data))


def test_reminder_subject_and_auto_submitted() -> None:
    out = reminder("a@b.test", "", "es", CAMPAIGN, now=NOW)
    message = parse(out.data)

    assert out.subject == "Recordatorio: WSIS 2025, fecha límite: 30 de septiembre de 2025"
    assert message["Auto-Submitted"] == "auto-generated"
    assert text_of(message).splitlines()[0] == "Estimado/a colega:"
    assert message["To"] == "a@b.test"


def test_reminder_after_deadline_is_refused() -> None:
    with pytest.raises(StateError):
        reminder("a@b.test", "Ann", "en", CAMPAIGN, now=CAMPAIGN.deadline)


def test_compose_refuses_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        call_for_contributions("a@b.test", "Ann", "en", CAMPAIGN, now=datetime(2025, 9, 1))


def test_confirmation_parts_are_8bit_unless_a_line_is_too_long() -> None:
    short = confirmation(dataclasses.replace(CONF, to_name="Nguyễn Thị Hằng"), CAMPAIGN, now=NOW)
    long_link = "https://library.example/" + "x" * 1500
    long = confirmation(dataclasses.replace(CONF, links=(long_link,)), CAMPAIGN, now=NOW)

    assert max(len(line) for line in short.data.split(b"\r\n")) <= 998
    assert max(len(line) for line in long.data.split(b"\r\n")) <= 998
    short_parts = list(parse(short.data).iter_parts())
    long_parts = list(parse(long.data).iter_parts())
    assert [p["Content-Transfer-Encoding"] for p in short_parts] == ["8bit", "8bit"]
    assert "base64" in [p["Content-Transfer-Encoding"] for p in long_parts]
    assert "Nguyễn Thị Hằng" in short_parts[0].get_content()
    assert long_link in long_parts[0].get_content()
    assert all(not p.defects for p in (*short_parts, *long_parts))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_confirmation_of_an_empty_mail_is_the_short_variant(language: str) -> None:
    note = IssueNote("empty", "error", {})
    message = confirm(language=language, status="needs_revision", issues=(note,), word_count=0)
    trans = translations(language)
    thanks = trans.gettext("Thank you for your contribution to %(campaign)s.") % {
        "campaign": "WSIS 2025"
    }
    short = trans.gettext(EMPTY_MAIL)

    for part in (text_of(message), html.unescape(html_of(message))):
        assert short in part
        assert short != EMPTY_MAIL or language == "en"
        assert explain_issue(note, language, CAMPAIGN) not in part
        assert thanks not in part
        assert trans.gettext("What we understood:") not in part


def test_confirmation_of_an_empty_mail_in_english_reads_exactly() -> None:
    note = IssueNote("empty", "error", {})
    text = text_of(confirm(status="needs_revision", issues=(note,), word_count=0))

    assert text == (
        "Dear Hoa Nguyen,\n\n"
        "We received your message “WSIS contribution” on September 10, 2025, 8:30\u202fAM "
        "(GMT+07:00).\n"
        "We found no contribution in your message. Please reply to this message with your text, "
        "in the body of the mail or as a .docx, .odt, .pdf or .txt attachment.\n"
        "The deadline is September 30, 2025, 11:59\u202fPM (GMT+07:00).\n\n"
        "With best regards,\nExample Library Association\n"
    )


def test_confirmation_html_wraps_its_content_in_a_div_with_direction_and_language() -> None:
    html = html_of(confirm(language="ar"))
    assert '<div dir="rtl" lang="ar">' in html
    assert '<bdi dir="ltr">C3</bdi>' in html


def test_confirmation_html_in_chinese_joins_sentences_without_a_break() -> None:
    html = html_of(confirm(language="zh"))
    assert "感谢您为WSIS 2025投稿。我们已于" in html


def test_confirmation_numbers_are_written_as_the_language_writes_them() -> None:
    text = text_of(confirm(language="fr", word_count=1234))
    assert "Longueur : 1\u202f234 mots (la limite est de 200)." in text


def test_reminder_days_left_are_calendar_days() -> None:
    late_evening = datetime(2025, 9, 28, 16, 0, tzinfo=UTC)  # 23:00 in the deadline's zone
    text = text_of(parse(reminder("a@b.test", "Ann", "en", CAMPAIGN, now=late_evening).data))
    assert "that is in 2 days." in text
