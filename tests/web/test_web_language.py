"""The console in every language: its catalogs, and every page rendered in each."""

from __future__ import annotations

import re

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from support.web import COORDINATOR, Workspace, csrf_token, log_in

from mailflow.answering.i18n import SUPPORTED_LANGUAGES, read_catalog
from mailflow.notices import Notice
from mailflow.web import messages
from mailflow.web.language import DOMAIN, extract_messages

TRANSLATED = [language for language in SUPPORTED_LANGUAGES if language != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
PAGES = ("/", "/submissions", "/submissions/1", "/members", "/outbox", "/report", "/report/send")


def _ids(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("language", TRANSLATED)
def test_web_catalog_translates_exactly_the_extracted_messages(language: str) -> None:
    wanted = {(_ids(m.id), m.context) for m in extract_messages() if m.id}
    catalog = read_catalog(language, DOMAIN)
    present = {(_ids(m.id), m.context) for m in catalog if m.id}

    assert present == wanted
    assert list(catalog.obsolete) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_web_catalog_has_every_translation_with_its_placeholders(language: str) -> None:
    catalog = read_catalog(language, DOMAIN)
    mail = read_catalog(language)

    assert catalog.num_plurals == mail.num_plurals
    for message in catalog:
        if not message.id:
            continue
        strings = _ids(message.string)
        assert not message.fuzzy, message.id
        assert all(strings), message.id
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, message.id
        wanted = set(PLACEHOLDER.findall(_ids(message.id)[-1]))
        # A plural form may say its number in words (Arabic "رسالتان", two mails).
        counted = wanted - {"num", "count"}
        allowed = [wanted, counted] if isinstance(message.id, tuple) else [wanted]
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) in allowed, (message.id, string)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_page_renders_in_the_language_picked(client: FlaskClient, language: str) -> None:
    log_in(client, *COORDINATOR)
    token = csrf_token(client.get("/").text)
    client.post("/language", data={"language": language, "next": "/", "csrf_token": token})
    direction = "rtl" if language == "ar" else "ltr"
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{language}" dir="{direction}">' in response.text


def test_dashboard_speaks_the_language_picked(client: FlaskClient) -> None:
    log_in(client, *COORDINATOR)
    token = csrf_token(client.get("/").text)
    client.post("/language", data={"language": "vi", "next": "/", "csrf_token": token})
    html = client.get("/").text
    assert "1 bài gửi đang chờ bạn xem xét." in html
    assert "Đăng xuất" in html


def test_browser_language_is_the_default_before_a_pick(client: FlaskClient) -> None:
    html = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).text
    assert '<html lang="ru" dir="ltr">' in html
    assert "Вход в консоль кампании" in html


def test_dashboard_names_the_held_submission_issues_in_words(client: FlaskClient) -> None:
    log_in(client, *COORDINATOR)
    html = client.get("/").text
    assert (
        "someone@elsewhere.example.net · not a member&#39;s address, no “Achievements” section"
    ) in html


def test_dashboard_lists_what_needs_the_coordinator(
    client: FlaskClient, workspace: Workspace
) -> None:
    todo = workspace.app.status()["todo"]
    log_in(client, *COORDINATOR)
    html = client.get("/").text
    assert (len(todo["held"]), len(todo["mail_problems"])) == (1, 0)
    assert [m["name"] for m in todo["not_answered"]] == ["Dana Whitfield"]
    assert "1 member has not answered yet." in html
    assert '<h3 id="not-answered">Not answered yet</h3>' in html


def _strings(language: str) -> list[str]:
    """Every translation in the web catalog of ``language``, plural forms each."""
    found: list[str] = []
    for message in read_catalog(language, DOMAIN):
        if message.id:
            found.extend(_ids(message.string))
    return found


#: Sample values for every wording of `mailflow.web.messages` (each takes the ones it needs).
_WHEN = "2026-12-01T10:00:00+00:00"
_SAMPLE: dict[str, object] = {
    "id": 7,
    "count": 2,
    "line": 2,
    "other": 3,
    "sent": 0,
    "not_sent": 1,
    "words": 612,
    "limit": 500,
    "minutes": 10,
    "status": "held",
    "kind": "edit",
    "ids": "3",
    "address": "a@library.example",
    "sender": "s@elsewhere.example",
    "owner": "Ann <o@x.example>",
    "primary": "o@x.example",
    "member": "Ann <o@x.example>",
    "addresses": "o@x.example",
    "reason": "5.1.1 no such mailbox",
    "file": "roster.csv",
    "columns": "email, name",
    "value": "nobody",
    "folder": "/srv/report",
    "when": _WHEN,
    "since": _WHEN,
    "message_id": "<m.1@x.example>",
    "recipient": "report@ifla.test",
    "organisation": "Org",
    "codes": "C99",
    "key": "smtp.from",
    "country": "Atlantis",
    "name": "Example",
    "label": "Org (#7)",
    "reported": 9,
    "what": Notice("edited", "edited"),
    "problem": Notice("nothing", "row_missing", columns="email"),
    "problems": (Notice("line 2", "row_problem", line=2, problem=Notice("x", "no_reason")),),
    "changes": (Notice("c", "report_change", label="Org (#7)", what=Notice("e", "edited")),),
}
#: Wordings a language may write as English does (its own word is the same).
_SAME = {("fr", "edited")}


def _worded(language: str) -> dict[str, str]:
    flask_app = Flask("sample")
    with flask_app.test_request_context():
        g.language = language
        return {code: word(_SAMPLE) for code, word in messages.WORDINGS.items()}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_of_the_core_is_translated_in_every_language(language: str) -> None:
    english, worded = _worded("en"), _worded(language)

    for code, text in worded.items():
        assert text and "%(" not in text, (code, text)
        if language != "en" and (language, code) not in _SAME:
            assert text != english[code], (language, code, text)


def test_french_catalog_keeps_french_typography() -> None:
    for string in _strings("fr"):
        assert not re.search(r" [:;!?]|« | »|'", string), string


def test_arabic_catalog_isolates_every_left_to_right_run() -> None:
    latin = re.compile(r"[A-Za-z][\w.\-@/]*")
    for string in _strings("ar"):
        outside = re.sub(r"\u2068[^\u2068\u2069]*\u2069|%\(\w+\)[sd]", "", string)
        assert latin.findall(outside) == [], string


def test_chinese_catalog_has_no_space_beside_chinese_text() -> None:
    cjk = "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
    for string in _strings("zh"):
        assert not re.search(f"{cjk} | {cjk}", string), string
