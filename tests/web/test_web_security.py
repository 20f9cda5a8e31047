"""The console's safety: login everywhere, CSRF, throttling, roles, headers, no open redirect."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from support.web import COORDINATOR, VIEWER, Workspace, csrf_token, log_in

from mailflow.browse import Filters

GET_PAGES = (
    "/",
    "/submissions",
    "/submissions/1",
    "/submissions/1/raw",
    "/members",
    "/outbox",
    "/report",
)


def held_id(workspace: Workspace) -> int:
    return int(workspace.app.submission_page(Filters(status="held")).rows[0]["id"])


@pytest.mark.parametrize("path", GET_PAGES)
def test_page_without_login_redirects_to_the_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_post_without_login_is_refused(client: FlaskClient, workspace: Workspace) -> None:
    token = csrf_token(client.get("/login").text)
    sid = held_id(workspace)
    response = client.post(
        f"/submissions/{sid}/review", data={"decision": "accept", "csrf_token": token}
    )
    assert response.status_code == 403
    assert workspace.app.submission_detail(sid)["status"] == "held"


def test_post_without_csrf_token_is_refused(client: FlaskClient, workspace: Workspace) -> None:
    assert log_in(client, *COORDINATOR).status_code == 302
    sid = held_id(workspace)
    response = client.post(f"/submissions/{sid}/review", data={"decision": "accept"})
    assert response.status_code == 400
    assert "This form has expired or did not come from this console." in response.text
    assert workspace.app.submission_detail(sid)["status"] == "held"


def test_post_with_a_forged_csrf_token_is_refused(
    client: FlaskClient, workspace: Workspace
) -> None:
    log_in(client, *COORDINATOR)
    sid = held_id(workspace)
    response = client.post(
        f"/submissions/{sid}/review", data={"decision": "accept", "csrf_token": "forged.token"}
    )
    assert response.status_code == 400
    assert workspace.app.submission_detail(sid)["status"] == "held"


def test_login_with_csrf_token_of_another_session_is_refused(
    flask_app: object, client: FlaskClient
) -> None:
    other = flask_app.test_client()  # type: ignore[attr-defined]
    token = csrf_token(other.get("/login").text)
    client.get("/login")
    response = client.post(
        "/login", data={"name": COORDINATOR[0], "password": COORDINATOR[1], "csrf_token": token}
    )
    assert response.status_code == 400


def test_wrong_password_five_times_locks_the_account(
    client: FlaskClient, workspace: Workspace
) -> None:
    for _ in range(4):
        response = log_in(client, COORDINATOR[0], "wrong password")
        assert response.status_code == 401
        assert "Wrong name or password." in response.text
    fifth = log_in(client, COORDINATOR[0], "wrong password")
    assert "This account is locked for a while after repeated failed logins." in fifth.text
    right = log_in(client, *COORDINATOR)
    assert right.status_code == 401
    assert "This account is locked for a while" in right.text
    assert client.get("/").status_code == 302


def test_failed_logins_from_one_address_are_throttled(client: FlaskClient) -> None:
    for n in range(10):
        assert log_in(client, f"nobody{n}", "wrong password").status_code == 401
    response = log_in(client, *COORDINATOR)
    assert response.status_code == 429
    assert "Too many failed logins from your address." in response.text


def test_viewer_cannot_post_a_decision(client: FlaskClient, workspace: Workspace) -> None:
    assert log_in(client, *VIEWER).status_code == 302
    sid = held_id(workspace)
    page = client.get(f"/submissions/{sid}")
    assert page.status_code == 200
    assert 'id="accept"' not in page.text
    response = client.post(
        f"/submissions/{sid}/review",
        data={"decision": "accept", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 403
    assert "Your account may look but not change anything here." in response.text
    assert workspace.app.submission_detail(sid)["status"] == "held"


def test_viewer_may_pick_a_language_and_log_out(client: FlaskClient) -> None:
    log_in(client, *VIEWER)
    token = csrf_token(client.get("/").text)
    picked = client.post("/language", data={"language": "fr", "next": "/", "csrf_token": token})
    assert picked.status_code == 302
    assert '<html lang="fr" dir="ltr">' in client.get("/").text
    out = client.post("/logout", data={"csrf_token": token})
    assert out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_pages_send_a_strict_content_security_policy(client: FlaskClient) -> None:
    log_in(client, *COORDINATOR)
    response = client.get("/")
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.text


def test_session_cookie_is_httponly_and_samesite_strict(client: FlaskClient) -> None:
    response = log_in(client, *COORDINATOR)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("mailflow_session=")
    assert "; HttpOnly" in cookie
    assert "; SameSite=Strict" in cookie


def test_tampered_session_cookie_is_not_accepted(client: FlaskClient) -> None:
    log_in(client, *COORDINATOR)
    cookie = client.get_cookie("mailflow_session")
    assert cookie is not None
    client.set_cookie("mailflow_session", cookie.value[:-2] + "xx")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "evil"])
def test_login_never_redirects_to_another_site(client: FlaskClient, target: str) -> None:
    token = csrf_token(client.get("/login").text)
    response = client.post(
        f"/login?next={target}",
        data={"name": COORDINATOR[0], "password": COORDINATOR[1], "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_markup_in_a_contribution_is_escaped_in_the_page(
    client: FlaskClient, workspace: Workspace
) -> None:
    log_in(client, *COORDINATOR)
    sid = workspace.app.submission_page(Filters(query="m.allory")).rows[0]["id"]
    html = client.get(f"/submissions/{sid}").text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
