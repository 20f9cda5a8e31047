"""Decisions taken in the console are in the ledger with who and when, and `submissions show`
prints them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner
from flask.testing import FlaskClient
from support.web import COORDINATOR, Workspace, csrf_token, log_in

from mailflow.browse import Filters
from mailflow.cli import main


def test_review_in_the_console_is_kept_with_who_and_when(
    client: FlaskClient, workspace: Workspace
) -> None:
    sid = workspace.app.submission_page(Filters(status="held")).rows[0]["id"]
    log_in(client, *COORDINATOR)
    page = client.get(f"/submissions/{sid}")
    before = datetime.now(UTC)
    response = client.post(
        f"/submissions/{sid}/review",
        data={"decision": "reject", "note": "not one of ours", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    [decision] = workspace.app.submission_detail(sid)["decisions"]
    assert {k: decision[k] for k in ("who", "action", "note", "submission_id")} == {
        "who": "anna",
        "action": "reject",
        "note": "not one of ours",
        "submission_id": sid,
    }
    assert before <= datetime.fromisoformat(decision["at"]) <= datetime.now(UTC)
    shown = client.get(f"/submissions/{sid}").text
    assert "<strong>anna</strong> · rejected: <q>not one of ours</q>" in shown
    dashboard = client.get("/").text
    assert (
        f'<strong>anna</strong> · rejected · <a href="/submissions/{sid}">#{sid}</a> '
        '<span class="muted break">not one of ours</span>'
    ) in dashboard


def test_submissions_show_prints_the_decisions(workspace: Workspace) -> None:
    sid = workspace.app.submission_page(Filters(status="held")).rows[0]["id"]
    workspace.app.review(sid, accept=True, note="vouched for", who="anna")
    config = workspace.path / "mailflow.toml"
    config.write_text(f'[ledger]\nurl = "{workspace.app.settings.ledger.url}"\n', encoding="utf-8")
    runner = CliRunner()
    data = json.loads(
        runner.invoke(
            main, ["--config", str(config), "submissions", "show", str(sid), "--json"]
        ).output
    )
    [decision] = data["decisions"]
    assert (decision["who"], decision["action"], decision["note"]) == (
        "anna",
        "accept",
        "vouched for",
    )
    text = runner.invoke(main, ["--config", str(config), "submissions", "show", str(sid)]).output
    assert f"  decided accept by anna at {decision['at']}: vouched for\n" in text


def test_review_attaches_a_held_submission_to_a_member(
    client: FlaskClient, workspace: Workspace
) -> None:
    sid = workspace.app.submission_page(Filters(status="held")).rows[0]["id"]
    log_in(client, *COORDINATOR)
    page = client.get(f"/submissions/{sid}")
    assert 'id="member"' in page.text
    client.post(
        f"/submissions/{sid}/review",
        data={
            "decision": "accept",
            "member": "m.allory@bibliotheque-riviere.example.fr",
            "csrf_token": csrf_token(page.text),
        },
    )
    detail = workspace.app.submission_detail(sid)
    assert (detail["organisation"], detail["status"]) == ("<i>Rivière</i> Library", "accepted")
    actions = [(d["who"], d["action"]) for d in detail["decisions"]]
    assert actions == [("anna", "attach_member"), ("anna", "accept")]
    shown = client.get(f"/submissions/{sid}").text
    assert "<strong>anna</strong> · attached to a member" in shown
    assert "&lt;i&gt;Rivière&lt;/i&gt; Library" in shown
