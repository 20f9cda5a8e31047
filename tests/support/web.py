"""What the web console's tests share: accounts, the markup contribution, logging in through
the login form, and screenshots kept as artefacts. The fixtures are in ``tests/web/conftest.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from mailflow.app import App
from support import TESTS
from support.smtp_server import SmtpTestServer

ARTIFACTS = TESTS / "artifacts" / "web"
COORDINATOR = ("anna", "correct horse battery")
VIEWER = ("board", "only looking, thanks")

#: A member's contribution that tries every way of running script in a page.
MARKUP_TEXT = """\
Organisation: <b>Bold</b> Library <script>document.title='pwned'</script>
Action lines: C3 Access to information
Why: <img src=x onerror="document.title='pwned'"> we open our doors &amp; more.
Outputs: <a href="javascript:document.title='pwned'">click</a> https://example.org/report
Obstacles: </textarea></pre><script>alert('xss')</script> <svg onload=alert(1)>
Future actions: {{ 7*7 }} {% raw %}%(name)s{% endraw %}
"""


def markup_message() -> bytes:
    body = MARKUP_TEXT.replace("\n", "\r\n")
    return (
        "From: Mallory <m.allory@bibliotheque-riviere.example.fr>\r\n"
        "To: wsis@association.test\r\n"
        "Subject: <script>alert('subject')</script> WSIS\r\n"
        "Message-ID: <markup-1@bibliotheque-riviere.example.fr>\r\n"
        "Date: Mon, 01 Sep 2025 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n" + body
    ).encode()


@dataclass
class Workspace:
    app: App
    path: Path
    smtp: SmtpTestServer


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def log_in(client: FlaskClient, name: str, password: str) -> Any:
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


@dataclass
class Console:
    url: str
    workspace: Workspace


def screenshot(driver: Any, name: str) -> Path:
    """Keep a screenshot of the page as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def error_message(html: str) -> str:
    """The text of an error page's message, unescaped."""
    found = re.search(r'<p class="error" id="error-message">(.*?)</p>', html, re.S)
    assert found is not None, "the page has no error message"
    return unescape(found.group(1))


def flashes(html: str) -> list[str]:
    """The messages a page shows after an action, unescaped."""
    return [
        unescape(m) for m in re.findall(r'<p class="flash" role="status">(.*?)</p>', html, re.S)
    ]
