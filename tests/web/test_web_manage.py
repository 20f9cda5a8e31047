"""The report, outbox and coordinator-text forms of the console, through the test client."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask.testing import FlaskClient
from support.web import COORDINATOR, VIEWER, Workspace, csrf_token, error_message, log_in

from mailflow.browse import Filters


def _logged_in(client: FlaskClient, account: tuple[str, str] = COORDINATOR) -> str:
    log_in(client, *account)
    return csrf_token(client.get("/").text)


def _sid(workspace: Workspace, sender: str) -> int:
    return int(workspace.app.submission_page(Filters(query=sender)).rows[0]["id"])


def test_english_version_is_kept_and_shown(client: FlaskClient, workspace: Workspace) -> None:
    token = _logged_in(client)
    sid = _sid(workspace, "h.dubois@bm-saintclair.example.fr")
    response = client.post(
        f"/submissions/{sid}/text/translation",
        data={"text": "Why: we train readers in media literacy.", "csrf_token": token},
    )
    assert response.headers["Location"] == f"/submissions/{sid}#translation"
    page = client.get(f"/submissions/{sid}").text
    assert "The English version is kept (version 1)." in page
    assert "we train readers in media literacy.</textarea>" in page
    [decision] = workspace.app.submission_detail(sid)["decisions"]
    assert (decision["who"], decision["action"]) == ("anna", "english")


def test_unchanged_edit_is_refused_with_the_reason(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    sid = _sid(workspace, "h.dubois@bm-saintclair.example.fr")
    data = {"text": "Why: a text.", "csrf_token": token}
    client.post(f"/submissions/{sid}/text/edit", data=data)
    again = client.post(f"/submissions/{sid}/text/edit", data=data)
    assert again.status_code == 409
    assert error_message(again.text) == "The text for the report is unchanged; nothing was kept."


def test_report_page_says_the_ledger_changed_since_the_compile(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    assert client.post("/report/compile", data={"csrf_token": token}).status_code == 302
    page = client.get("/report").text
    assert 'id="report-current"' in page
    assert client.get("/report/files/report.txt").status_code == 200
    framed = client.get("/report/view")
    assert framed.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'; sandbox")
    sid = _sid(workspace, "h.dubois@bm-saintclair.example.fr")
    client.post(f"/submissions/{sid}/text/edit", data={"text": "Why: new.", "csrf_token": token})
    page = client.get("/report").text
    assert "The report can no longer be sent as it is; compile it again:" in page
    assert "1 contribution changed in the ledger since the compile" in page
    refused = client.post("/report/send", data={"confirm": "yes", "csrf_token": token})
    assert refused.status_code == 409
    assert error_message(refused.text) == (
        "The report was not sent: 1 contribution changed in the ledger since the compile "
        "(Bibliothèque municipale de Saint-Clair (#4): edited or translated by a coordinator). "
        "Compile it again, check the folder, then send it."
    )


def test_report_file_outside_the_manifest_is_not_served(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    client.post("/report/compile", data={"csrf_token": token})
    assert client.get("/report/files/..%2Fledger.sqlite3").status_code == 404
    assert client.get("/report/files/secrets.txt").status_code == 404


def test_send_needs_the_confirmation_box(client: FlaskClient, workspace: Workspace) -> None:
    token = _logged_in(client)
    client.post("/report/compile", data={"csrf_token": token})
    response = client.post("/report/send", data={"csrf_token": token})
    assert response.headers["Location"] == "/report/send"
    assert workspace.smtp.received == []


def test_failed_mail_is_sent_again_from_the_outbox(
    client: FlaskClient, workspace: Workspace, tmp_path: Path
) -> None:
    held = int(workspace.app.submission_page(Filters(status="held")).rows[0]["id"])
    workspace.smtp.fail("RCPT", 550, "5.1.1 mailbox unavailable")
    workspace.app.review(held, accept=True, who="anna")
    [failed] = workspace.app.outbox_page("failed").rows
    token = _logged_in(client)
    page = client.get("/outbox?state=failed").text
    assert f'id="retry-{failed["id"]}"' in page
    response = client.post(
        "/outbox/retry", data={"id": str(failed["id"]), "state": "failed", "csrf_token": token}
    )
    assert response.headers["Location"] == "/outbox?state=failed"
    assert "Queued again: 1; sent now: 1." in client.get("/outbox").text
    assert [m.rcpt_tos for m in workspace.smtp.received] == [("someone@elsewhere.example.net",)]
    assert workspace.app.outbox_page("failed").rows == []


def test_viewer_sees_no_forms_and_cannot_compile(client: FlaskClient, workspace: Workspace) -> None:
    token = _logged_in(client, VIEWER)
    sid = _sid(workspace, "h.dubois@bm-saintclair.example.fr")
    page = client.get(f"/submissions/{sid}").text
    assert 'id="edit-text"' not in page
    assert 'id="compile"' not in client.get("/report").text
    assert client.post("/report/compile", data={"csrf_token": token}).status_code == 403
    assert workspace.app.report_state()["draft"] is None


def test_member_is_added_and_deactivated_with_who(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    added = client.post(
        "/members/add",
        data={
            "email": "Reading.Room@Library.test, desk@library.test",
            "name": "Ada",
            "organisation": "Reading Room Library",
            "country": "Kenya",
            "language": "en",
            "csrf_token": token,
        },
    )
    assert added.headers["Location"] == "/members?q=reading.room@library.test"
    page = client.get("/members?q=reading.room@library.test").text
    assert "Added reading.room@library.test, desk@library.test." in page
    [row] = workspace.app.member_page("reading.room@library.test").rows
    assert (row["organisation"], row["addresses"], row["active"]) == (
        "Reading Room Library",
        ["reading.room@library.test", "desk@library.test"],
        True,
    )
    client.post("/members/deactivate", data={"address": "desk@library.test", "csrf_token": token})
    [row] = workspace.app.member_page("reading.room@library.test").rows
    assert row["active"] is False
    trail = [
        (d["who"], d["action"], d["member_id"], d["note"])
        for d in reversed(workspace.app.recent_decisions())
    ]
    assert trail == [
        ("anna", "member_add", row["id"], "reading.room@library.test, desk@library.test"),
        ("anna", "member_deactivate", row["id"], "desk@library.test"),
    ]


def test_member_with_a_bad_address_is_not_added(client: FlaskClient, workspace: Workspace) -> None:
    token = _logged_in(client)
    before = workspace.app.member_page().total
    client.post("/members/add", data={"email": "not an address", "csrf_token": token})
    page = client.get("/members").text
    assert "Give one or more mail addresses, separated by spaces or commas." in page
    assert workspace.app.member_page().total == before


ROSTER = (
    "email,name,organisation,country,language\n"
    "new.one@library.test,New One,New Library,Chile,es\n"
    "h.dubois@bm-saintclair.example.fr,Hélène Dubois,BM Saint-Clair,France,fr\n"
)


def test_members_import_previews_then_imports(client: FlaskClient, workspace: Workspace) -> None:
    token = _logged_in(client)
    before = workspace.app.member_page().total
    preview = client.post(
        "/members/import",
        data={"file": (io.BytesIO(ROSTER.encode()), "roster.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert "roster.csv: to add 1, to update 1. Nothing has changed yet." in preview.text
    assert '<td class="break">new.one@library.test</td><td>New One</td>' in preview.text
    assert workspace.app.member_page().total == before
    confirm = client.post(
        "/members/import",
        data={
            "name": "roster.csv",
            "data": re.search(r'name="data" value="([^"]+)"', preview.text)[1],  # type: ignore[index]
            "confirm": "yes",
            "csrf_token": token,
        },
    )
    assert confirm.headers["Location"] == "/members"
    assert "Imported: 1 added, 1 updated." in client.get("/members").text
    assert workspace.app.member_page().total == before + 1
    [decision] = workspace.app.recent_decisions(1)
    assert (decision["who"], decision["action"], decision["note"]) == (
        "anna",
        "member_import",
        "roster.csv",
    )


def test_members_import_of_a_bad_file_names_the_line(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    bad = "email,name\nnot-an-address,Someone\n"
    response = client.post(
        "/members/import",
        data={"file": (io.BytesIO(bad.encode()), "bad.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert error_message(response.text) == (
        "bad.csv: 1 row cannot be imported, so nothing was: "
        "line 2: “not-an-address” is not a mail address."
    )
