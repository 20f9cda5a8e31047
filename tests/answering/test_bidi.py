"""Arabic mail: every left-to-right run inside a right-to-left sentence is isolated.

A Latin run (a file name, a link, "C3", "(UTC)", a campaign's or a subject's name) written into
an Arabic sentence without an isolate takes the punctuation and numbers next to it along and is
shown in a jumbled order. The Arabic confirmations (every issue, attachments, links, a second
version, a report already sent, the short variant of an empty mail), the call and the reminder
are rendered, and in each line of the text part that holds Arabic letters, and each block of the
HTML part that does, every Latin letter must sit inside U+2066/U+2068 … U+2069, or in HTML inside
``<bdi>`` or an element with ``dir="ltr"``.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from mailflow.answering.compose import (
    CampaignInfo,
    Confirmation,
    IssueNote,
    call_for_contributions,
    confirmation,
    reminder,
)
from mailflow.answering.i18n import FSI, LRI, PDI, SECTIONS

ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN = re.compile(r"[A-Za-z]")
NOW = datetime(2026, 12, 3, 7, 48, tzinfo=UTC)
CAMPAIGN = CampaignInfo(
    name="WSIS 2027",
    association="Arab Federation for Libraries and Information",
    deadline=datetime(2026, 12, 17, 7, 48, tzinfo=UTC),  # shown with "(UTC)"
    word_limit=200,
    from_address="WSIS coordinator <wsis@association.example>",
    reply_to="wsis@association.example",
    report_sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
)
ISSUES = (
    IssueNote("word_limit", "error", {"words": 250, "limit": 200, "over": 50}),
    IssueNote("no_action_line", "error", {}),
    IssueNote("late", "error", {}),
    IssueNote("unreadable_attachment", "error", {"filename": "report-2026.docx"}),
    IssueNote("too_large", "error", {"limits": "too_many_parts"}),
    IssueNote("not_member", "warning", {}),
    IssueNote("spoofed", "warning", {}),
    IssueNote("no_link", "warning", {}),
    IssueNote("missing_section:bogus", "warning", {}),
    IssueNote("SOMETHING_NEW", "warning", {}),
    *(IssueNote(f"missing_section:{section}", "warning", {}) for section in SECTIONS),
)
CONF = Confirmation(
    to_address="layla@library.example",
    to_name="Layla Haddad",
    language="ar",
    original_subject="WSIS contribution (#7)",
    original_message_id="<m1@library.example>",
    original_references=(),
    received_at=datetime(2026, 12, 3, 7, 40, tzinfo=UTC),
    attachments_read=("report.docx", "تقرير المكتبة.pdf"),
    status="needs_revision",
    issues=ISSUES,
    action_lines=("C3", "C8"),
    links=("https://library.example/report", "https://www.ifla.org/units/arabic/"),
    word_count=250,
    version=2,
)


def parts(data: bytes) -> tuple[str, str]:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text, html = (message.get_body((kind,)) for kind in ("plain", "html"))
    assert text is not None and html is not None
    return read(text), read(html)


def read(part: EmailMessage) -> str:
    return str(part.get_content()).replace("\r\n", "\n")


def outside_isolates(text: str) -> str:
    """``text`` without what is inside directional isolates (which may nest)."""
    depth, kept = 0, []
    for char in text:
        if char in (LRI, FSI, "\u2067"):
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


class _Blocks(HTMLParser):
    """The text of each block of an HTML part, without what ``<bdi>`` or ``dir="ltr"`` hold."""

    BLOCKS = frozenset({"p", "li", "h3", "pre", "div"})

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._stack: list[bool] = []  # per open element: does it isolate its content?
        self._body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._body = True
        if tag in self.BLOCKS:
            self.blocks.append("")
        if tag != "br":
            self._stack.append(tag == "bdi" or ("dir", "ltr") in attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._body and self.blocks and not any(self._stack):
            self.blocks[-1] += data


def html_blocks(html: str) -> list[str]:
    parser = _Blocks()
    parser.feed(html)
    return parser.blocks


def unisolated(text: str, html: str) -> list[str]:
    """The lines and HTML blocks holding Arabic with a Latin letter outside every isolate."""
    lines = [line for line in text.splitlines() if ARABIC.search(line)]
    blocks = [block for block in html_blocks(html) if ARABIC.search(block)]
    return [
        piece for piece in (*lines, *blocks) if LATIN.search(outside_isolates(piece)) is not None
    ]


MAILS = {
    "confirmation": lambda: confirmation(CONF, CAMPAIGN, now=NOW).data,
    "confirmation_accepted": lambda: (
        confirmation(
            dataclasses.replace(CONF, status="accepted", issues=(), version=1),
            dataclasses.replace(CAMPAIGN, report_sent_at=None),
            now=NOW,
        ).data
    ),
    "confirmation_empty": lambda: (
        confirmation(
            dataclasses.replace(CONF, issues=(IssueNote("empty", "error", {}),), word_count=0),
            CAMPAIGN,
            now=NOW,
        ).data
    ),
    "call": lambda: (
        call_for_contributions(
            "layla@library.example", "Layla Haddad", "ar", CAMPAIGN, now=NOW
        ).data
    ),
    "reminder": lambda: reminder("layla@library.example", "", "ar", CAMPAIGN, now=NOW).data,
}


@pytest.mark.parametrize("mail", MAILS)
def test_arabic_mail_isolates_every_left_to_right_run(mail: str) -> None:
    text, html = parts(MAILS[mail]())

    assert unisolated(text, html) == []


def test_arabic_confirmation_isolates_each_inserted_value() -> None:
    text, html = parts(MAILS["confirmation"]())

    assert f"المرفقات التي قرأناها: {FSI}report.docx{PDI}، {FSI}تقرير المكتبة.pdf{PDI}\n" in text
    assert f"- {LRI}C3{PDI} النفاذ إلى المعلومات والمعرفة\n" in text
    assert f"- {LRI}https://library.example/report{PDI}\n" in text
    assert f"({FSI}UTC{PDI})" in text
    assert f"مثل: {FSI}{LRI}C3{PDI} النفاذ إلى المعلومات والمعرفة{PDI}." in text
    assert f"«{FSI}WSIS contribution (#7){PDI}»" in text
    assert "<bdi>report.docx</bdi>، <bdi>تقرير المكتبة.pdf</bdi>" in html
    assert '<li><bdi dir="ltr">C3</bdi> النفاذ إلى المعلومات والمعرفة</li>' in html
    assert "<bdi>Arab Federation for Libraries and Information</bdi></p>" in html


def test_the_checker_finds_a_latin_run_without_an_isolate() -> None:
    text = "المرفقات التي قرأناها: report.docx\n"
    html = '<body><p>الروابط: <a href="x" dir="ltr">https://x</a> (UTC)</p></body>'

    assert unisolated(text, html) == [
        "المرفقات التي قرأناها: report.docx",
        "الروابط:  (UTC)",
    ]
