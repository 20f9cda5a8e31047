"""The console in a real browser: headless Chromium, driven by Selenium, against waitress.

Nothing here waits for a time: after a click a test waits until the old page is gone and the
new one has loaded, and reads an element once it is there (`WebDriverWait` on the condition),
so a slow machine makes the tests slower, not flaky.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.web import COORDINATOR, Console, screenshot

pytestmark = pytest.mark.slow

#: The longest a condition may take to hold (a loaded machine; a passing test waits far less).
PATIENCE_S = 60


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _wait(browser: Any) -> Any:
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(browser, PATIENCE_S)


def element(browser: Any, element_id: str) -> Any:
    """The element with ``element_id`` once the page shows it."""
    from selenium.webdriver.support import expected_conditions

    return _wait(browser).until(
        expected_conditions.visibility_of_element_located((_by().ID, element_id))
    )


def shown_texts(browser: Any, selector: str) -> list[str]:
    """The text of each element matching ``selector``, once there is at least one."""
    from selenium.webdriver.support import expected_conditions

    found = _wait(browser).until(
        expected_conditions.visibility_of_all_elements_located((_by().CSS_SELECTOR, selector))
    )
    return [e.text for e in found]


def log_in(browser: Any, console: Console, name: str, password: str) -> None:
    browser.get(console.url + "/")
    assert browser.current_url == console.url + "/login?next=/"
    element(browser, "name").send_keys(name)
    element(browser, "password").send_keys(password)
    click_and_wait(browser, element(browser, "login"))


def click_and_wait(browser: Any, button: Any) -> None:
    """Click a submit button and wait until the browser has left the page and fully loaded
    the next one (the post, its redirect and the page it leads to)."""
    from selenium.webdriver.support import expected_conditions

    page = browser.find_element(_by().TAG_NAME, "html")
    button.click()
    wait = _wait(browser)
    wait.until(expected_conditions.staleness_of(page))
    wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")


def submission_id(console: Console, sender: str) -> int:
    page = console.workspace.app.submission_page(_filters(query=sender))
    assert len(page.rows) == 1, page.rows
    return int(page.rows[0]["id"])


def _filters(**values: str) -> Any:
    from mailflow.browse import Filters

    return Filters(**values)


def test_browser_login_shows_the_dashboard_and_lists(browser: Any, console: Console) -> None:
    by = _by()
    log_in(browser, console, *COORDINATOR)
    assert browser.current_url == console.url + "/"
    todo = element(browser, "todo").text
    assert "1 submission is held for your review." in todo
    screenshot(browser, "dashboard")
    browser.get(console.url + "/submissions")
    rows = browser.find_elements(by.CSS_SELECTOR, "#submissions tbody tr")
    assert len(rows) == 12
    screenshot(browser, "submissions")
    browser.get(console.url + "/members")
    screenshot(browser, "members")
    browser.get(console.url + "/outbox")
    screenshot(browser, "outbox")
    browser.set_window_size(390, 844)  # a phone
    browser.get(console.url + "/")
    screenshot(browser, "dashboard-phone")


def test_browser_review_accepts_a_held_submission_and_sends_the_confirmation(
    browser: Any, console: Console
) -> None:
    held = submission_id(console, "someone@elsewhere.example.net")
    log_in(browser, console, *COORDINATOR)
    browser.get(f"{console.url}/submissions/{held}")
    screenshot(browser, "submission-held")
    element(browser, "note").send_keys("A new member, joining in October")
    received = len(console.workspace.smtp.received)
    click_and_wait(browser, element(browser, "accept"))
    assert browser.current_url == f"{console.url}/submissions/{held}"
    assert element(browser, "status").text == "accepted"
    decisions = element(browser, "decisions").text
    assert decisions.endswith(" · anna · accepted: A new member, joining in October")
    new = console.workspace.smtp.received[received:]
    assert [m.rcpt_tos for m in new] == [("someone@elsewhere.example.net",)]
    screenshot(browser, "submission-accepted")


def test_browser_markup_from_a_member_is_shown_as_text_and_never_runs(
    browser: Any, console: Console
) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    by = _by()
    sid = submission_id(console, "m.allory@bibliotheque-riviere.example.fr")
    log_in(browser, console, *COORDINATOR)
    for path in (f"/submissions/{sid}", "/submissions", "/members", "/outbox", "/"):
        browser.get(console.url + path)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 -- raises when no alert is open
        assert "pwned" not in browser.title
        assert browser.find_elements(by.TAG_NAME, "script") == []
        assert (
            browser.find_elements(by.CSS_SELECTOR, "main img, main svg, main a[href^=javascript]")
            == []
        )
    browser.get(f"{console.url}/submissions/{sid}")
    text = element(browser, "text").text
    assert "Obstacles: </textarea></pre><script>alert('xss')</script> <svg onload=alert(1)>" in text
    assert "Future actions: {{ 7*7 }}" in text
    screenshot(browser, "submission-markup")


def test_browser_edit_compile_and_send_the_report_to_the_smtp_server(
    browser: Any, console: Console
) -> None:
    import email
    from email import policy

    app = console.workspace.app
    sid = submission_id(console, "minh.tv@thuvien-supham.example.vn")
    log_in(browser, console, *COORDINATOR)
    browser.get(f"{console.url}/submissions/{sid}")
    box = element(browser, "edit-text")
    box.clear()
    box.send_keys("Organisation: Thư viện Sư phạm\nWhy: edited for IFLA by the coordinator")
    click_and_wait(browser, element(browser, "save-edit"))
    assert shown_texts(browser, ".flash") == ["The text for the report is kept (version 1)."]
    browser.get(console.url + "/report")
    click_and_wait(browser, element(browser, "compile"))
    assert element(browser, "report-current").text == (
        "The folder and the ledger are as they were at the compile."
    )
    screenshot(browser, "report")
    click_and_wait(browser, element(browser, "to-send"))
    screenshot(browser, "send-report")
    element(browser, "confirm").click()
    before = len(console.workspace.smtp.received)
    click_and_wait(browser, element(browser, "send"))
    [flash] = shown_texts(browser, ".flash")
    sent = app.report_state()["sent"]["message_id"]
    assert flash == f"The report went to report@ifla.test with 10 contributions ({sent})."
    [mail] = console.workspace.smtp.received[before:]
    assert mail.rcpt_tos == ("report@ifla.test",)
    message = email.message_from_bytes(mail.data, policy=policy.default)
    texts = [
        part.get_content()
        for part in message.walk()
        if part.get_content_type() == "text/plain" and part.get_filename() is None
    ]
    assert any("edited for IFLA by the coordinator" in text for text in texts)
    actions = [(d["who"], d["action"]) for d in app.submission_detail(sid)["decisions"]]
    assert actions == [("anna", "edit_text")]
