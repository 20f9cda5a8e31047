"""The console in every language: its catalogs, and every page rendered in each."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from support.web import COORDINATOR, Workspace, csrf_token, log_in

from mailflow.answering.i18n import SUPPORTED_LANGUAGES, read_catalog
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
        allowed = [wanted, wanted - {"num"}] if isinstance(message.id, tuple) else [wanted]
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
