"""The Members page's address forms: give a member an address, take one away."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from support.web import COORDINATOR, VIEWER, Workspace, csrf_token, error_message, log_in

ANNA = "a.lindqvist@lakeside-library.example.org"
STRANGER = "someone@elsewhere.example.net"
ANNA_SHOWN = f"Anna Lindqvist &lt;{ANNA}&gt;"  # as the page escapes "Name <address>"


def _logged_in(client: FlaskClient, account: tuple[str, str] = COORDINATOR) -> str:
    log_in(client, *account)
    return csrf_token(client.get("/members").text)


def _anna(workspace: Workspace) -> dict[str, object]:
    [row] = workspace.app.member_page(ANNA).rows
    return row


def test_members_page_gives_a_member_an_address_with_who(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)

    response = client.post(
        "/members/alias",
        data={"member": ANNA, "add": STRANGER.upper(), "q": "lakeside", "csrf_token": token},
    )
    page = client.get("/members?q=lakeside").text

    assert response.headers["Location"] == "/members?q=lakeside"
    assert f"Added {STRANGER} to {ANNA_SHOWN}." in page
    assert _anna(workspace)["addresses"] == [ANNA, STRANGER]
    [latest, *_] = workspace.app.recent_decisions()
    assert (latest["who"], latest["action"], latest["note"]) == ("anna", "alias_add", STRANGER)


def test_members_page_takes_an_address_away_and_its_submissions_stay(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    client.post("/members/alias", data={"member": ANNA, "add": STRANGER, "csrf_token": token})
    member_id = _anna(workspace)["id"]
    with_two = client.get("/members?q=lakeside").text

    client.post(
        "/members/alias",
        data={"member": STRANGER, "remove": STRANGER, "q": "lakeside", "csrf_token": token},
    )
    page = client.get("/members?q=lakeside").text
    [held] = [s for s in workspace.app.submissions() if s["member"] == STRANGER]

    assert f'id="remove-address-{member_id}-2">Remove {STRANGER}</button>' in with_two
    assert (
        f"Removed {STRANGER} from {ANNA_SHOWN}; the submissions sent from it stay with the member."
        in page
    )
    assert f'id="remove-address-{member_id}-1"' not in page  # one address left: no remove
    assert f'id="add-address-{member_id}"' in page
    assert _anna(workspace)["addresses"] == [ANNA]
    assert (held["status"], held["member_name"]) == ("held", "Anna Lindqvist")
    [latest, *_] = workspace.app.recent_decisions()
    assert (latest["action"], latest["note"]) == ("alias_remove", STRANGER)


def test_members_page_refuses_to_take_the_last_address_with_the_reason(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)

    response = client.post(
        "/members/alias", data={"member": ANNA, "remove": ANNA, "csrf_token": token}
    )

    assert response.status_code == 409
    assert error_message(response.text) == (
        f"Anna Lindqvist <{ANNA}> would have no address left: a member keeps at least one. "
        "Add the new address first, or deactivate the member."
    )
    assert _anna(workspace)["addresses"] == [ANNA]


def test_members_page_refuses_another_members_address_naming_them(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)
    dana = "dwhitfield@oakridge-library.example.org"

    response = client.post(
        "/members/alias", data={"member": dana, "add": ANNA, "csrf_token": token}
    )

    assert response.status_code == 409
    assert error_message(response.text) == (
        f"{ANNA} is an address of another member, Anna Lindqvist <{ANNA}>. Take it from them first "
        f"(“mailflow members alias {ANNA} --remove {ANNA}”)."
    )
    assert _anna(workspace)["addresses"] == [ANNA]


def test_members_page_with_a_bad_address_adds_nothing(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client)

    client.post(
        "/members/alias", data={"member": ANNA, "add": "not an address", "csrf_token": token}
    )
    page = client.get("/members").text

    assert "Give one or more mail addresses, separated by spaces or commas." in page
    assert _anna(workspace)["addresses"] == [ANNA]


def test_members_page_address_forms_need_a_coordinator_and_a_csrf_token(
    client: FlaskClient, workspace: Workspace
) -> None:
    token = _logged_in(client, VIEWER)
    page = client.get("/members").text

    as_viewer = client.post(
        "/members/alias", data={"member": ANNA, "add": STRANGER, "csrf_token": token}
    )
    without_token = client.post("/members/alias", data={"member": ANNA, "add": STRANGER})

    assert 'id="add-address-' not in page
    assert (as_viewer.status_code, without_token.status_code) == (403, 400)
    assert _anna(workspace)["addresses"] == [ANNA]


def test_import_preview_names_new_addresses_and_those_an_import_keeps(
    client: FlaskClient, workspace: Workspace
) -> None:
    workspace.app.add_aliases(ANNA, [STRANGER], who="anna")
    token = _logged_in(client)
    roster = f"email,name,aliases\n{ANNA},Anna Lindqvist,anna@lakeside.test\n"

    preview = client.post(
        "/members/import",
        data={"file": (io.BytesIO(roster.encode()), "roster.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    ).text

    assert (
        "to update · new addresses: anna@lakeside.test · "
        f"keeps {STRANGER}, not in the file</td>" in preview
    )
    assert (
        "An import never removes an address; remove one under “Change addresses” on the "
        "Members page." in preview
    )
    assert _anna(workspace)["addresses"] == [ANNA, STRANGER]
