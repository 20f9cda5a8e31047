"""`status` as a to-do list, and what the coordinator sees before sending."""

from __future__ import annotations

import json
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest
from support.cli import CONFIG, Workspace, make_workspace

from mailflow.cli.status import print_status

DESIGN_KEYS = {"campaign", "messages", "submissions", "outbox", "report"}


def polled(ws: Workspace) -> Workspace:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")
    return ws


def test_status_json_keeps_the_design_keys_and_adds_the_todo_lists(ws: Workspace) -> None:
    data = polled(ws).json("status")

    assert set(data) >= DESIGN_KEYS | {"todo", "delivery_error", "member_notes"}
    assert set(data["todo"]) == {
        "held",
        "not_answered",
        "member_notes",
        "mail_problems",
        "changed_since_report",
    }
    [held] = data["todo"]["held"]
    assert (held["id"], held["member"], held["accept"], held["reject"]) == (
        11,
        "someone@elsewhere.example.net",
        "mailflow review 11 --accept",
        "mailflow review 11 --reject",
    )
    assert held["why"] == "sender not a member"
    assert data["todo"]["not_answered"] == [
        {
            "name": "Dana Whitfield",
            "organisation": "Oakridge Library",
            "addresses": ["dwhitfield@oakridge-library.example.org"],
        }
    ]
    assert data["campaign"]["days_left"] >= 0
    sent = [row["sent_at"] for row in ws.json("outbox", "list")]
    assert data["service"]["last_send"] == max(sent)


def test_status_text_is_a_todo_list_with_the_exact_review_commands(ws: Workspace) -> None:
    shown = polled(ws).ok("status")

    lines = shown.splitlines()
    assert lines[0] == "WSIS 2025 — Lakeside Library Association"
    assert lines[1].startswith("deadline 2099-09-30 23:59 +07:00 — ")
    assert lines[1].endswith(" days left; report: not compiled")
    held = lines.index("Held submissions — decide on each (1)")
    assert lines[held + 1 : held + 3] == [
        "  #11  unknown sender <someone@elsewhere.example.net>: sender not a member",
        "       mailflow review 11 --accept   or   mailflow review 11 --reject",
    ]
    answered = lines.index("Members who have not answered (1)")
    assert lines[answered + 1] == "  Dana Whitfield (Oakridge Library)"
    counts = lines.index("Counts")
    assert lines[counts + 1] == (
        "  submissions: accepted 9, needs revision 1, held 1, superseded 1"
    )
    assert "\x1b[" not in shown  # plain in a pipe


def test_status_lists_failed_mail_with_its_reason(ws: Workspace) -> None:
    polled(ws)
    db = sqlite3.connect(ws.path / "ledger.sqlite3")
    with db:
        db.execute(
            "UPDATE outbox SET state = 'failed', last_error = '550 5.1.1 mailbox unknown' "
            "WHERE id = 2"
        )
    db.close()

    data = ws.json("status")
    shown = ws.ok("status")

    [problem] = data["todo"]["mail_problems"]
    assert (problem["id"], problem["state"], problem["reason"]) == (
        2,
        "failed",
        "550 5.1.1 mailbox unknown",
    )
    assert (
        "  #2  confirmation to minh.tv@thuvien-supham.example.vn: failed — "
        "550 5.1.1 mailbox unknown\n" in shown
    )


def test_status_lists_contributions_changed_since_the_report_was_sent(ws: Workspace) -> None:
    polled(ws)
    ws.ok("compile")
    ws.ok("send-report")
    ws.ok("review", "11", "--accept", "--member", "dwhitfield@oakridge-library.example.org")

    data = ws.json("status")
    shown = ws.ok("status")

    assert data["todo"]["changed_since_report"] == [
        {
            "id": 11,
            "member": "someone@elsewhere.example.net",
            "status": "accepted",
            "change": "accepted after the report was sent",
            "label": "Oakridge Library (#11)",
            "reported": None,
        }
    ]
    assert (data["report"]["changed_since_sent"], data["report"]["changed_since_sent_unit"]) == (
        1,
        "contribution",
    )
    assert (
        "Contributions changed since the report was sent (1)\n"
        "  #11  someone@elsewhere.example.net: accepted after the report was sent\n"
        "  mailflow compile, then mailflow send-report --resend sends an update\n"
    ) in shown


def sent(ws: Workspace) -> Workspace:
    polled(ws)
    ws.ok("compile")
    ws.ok("send-report")
    return ws


def submission_of(ws: Workspace, member: str) -> int:
    [row] = [row for row in ws.json("submissions", "list") if row["member"] == member]
    return int(row["id"])


GRACE = "g.wanjiru@pinewood-medlib.example.org"


def test_status_counts_a_new_version_once_in_its_text_json_and_list(ws: Workspace) -> None:
    reported = submission_of(sent(ws), GRACE)
    correction = EmailMessage()
    correction["From"] = f"Grace Wanjiru <{GRACE}>"
    correction["To"] = "wsis@association.test"
    correction["Subject"] = "Corrected contribution"
    correction["Message-ID"] = "<correction-2@pinewood-medlib.example.org>"
    correction.set_content(
        "Organisation: Pinewood Medical Library\nCountry: Kenya\nAction lines: C7 e-health\n"
        "Why: Clinicians need current evidence.\nOutputs: https://pinewood.example.org/evidence\n"
    )
    (ws.path / "Maildir" / "new" / "correction.eml").write_bytes(correction.as_bytes())
    ws.ok("poll")
    newest = submission_of(ws, GRACE)

    data = ws.json("status")
    shown = ws.ok("status")

    # The member's new version supersedes the reported one: one contribution changed, not two.
    assert data["report"]["changed_since_sent"] == 1
    assert data["todo"]["changed_since_report"] == [
        {
            "id": newest,
            "member": GRACE,
            "status": "accepted",
            "change": f"a new version of #{reported}, which the sent report has",
            "label": f"Pinewood Medical Library (#{newest})",
            "reported": reported,
        }
    ]
    assert (
        "Contributions changed since the report was sent (1)\n"
        f"  #{newest}  {GRACE}: a new version of #{reported}, which the sent report has\n"
    ) in shown


def rename_grace(ws: Workspace) -> None:
    roster = (ws.path / "members.csv").read_text(encoding="utf-8")
    ws.write("members.csv", roster.replace("Grace Wanjiru", "Grace W. Wanjiru"))
    ws.ok("members", "import", "members.csv")


def test_status_sees_a_members_details_changed_after_the_send(ws: Workspace) -> None:
    grace = submission_of(sent(ws), GRACE)

    rename_grace(ws)
    data = ws.json("status")

    assert data["report"]["changed_since_sent"] == 1
    [row] = data["todo"]["changed_since_report"]
    assert (row["id"], row["reported"], row["change"]) == (
        grace,
        grace,
        "changed since the report was sent (an edit, a translation or the member's details)",
    )


def test_status_after_importing_the_same_roster_again_sees_no_change(ws: Workspace) -> None:
    sent(ws).ok("members", "import", "members.csv")

    data = ws.json("status")

    assert (data["report"]["changed_since_sent"], data["todo"]["changed_since_report"]) == (0, [])
    assert "Contributions changed since" not in ws.ok("status")


def test_status_compares_a_report_sent_without_stamps_in_full(ws: Workspace) -> None:
    sent(ws)
    db = sqlite3.connect(ws.path / "ledger.sqlite3")
    with db:
        [(report_id, manifest)] = db.execute("SELECT id, manifest FROM reports").fetchall()
        data = json.loads(manifest)
        for entry in data["contributions"].values():
            del entry["stamp"]  # as a report sent before stamps were recorded
        db.execute("UPDATE reports SET manifest = ? WHERE id = ?", (json.dumps(data), report_id))
    db.close()

    unchanged = ws.json("status")["report"]["changed_since_sent"]
    rename_grace(ws)
    changed = ws.json("status")["report"]["changed_since_sent"]

    assert (unchanged, changed) == (0, 1)


def test_status_warns_while_the_association_is_the_example(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, CONFIG.replace("association = ", "# association = "))

    warnings = ws.json("status")["warnings"]

    assert warnings[0] == (
        "campaign.association is still the example ('Example Library Association'); "
        "`mailflow call` and `mailflow remind` refuse to send until it names your association"
    )
    assert "warning: campaign.association is still the example" in ws.ok("status")


def test_status_with_nothing_to_do_says_so(ws: Workspace) -> None:
    shown = ws.ok("status")

    assert "\nNothing needs you now.\n" in shown


# -- see before sending ---------------------------------------------------------------------------
def test_call_dry_run_lists_recipients_and_changes_nothing(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")

    out = ws.ok("call", "--dry-run")
    data = ws.json("call", "--dry-run")

    assert out.splitlines()[0] == (
        "would send to a.lindqvist@lakeside-library.example.org "
        "(Anna Lindqvist, Lakeside Public Library) in en"
    )
    assert out.splitlines()[-1] == "call: 11 would be queued, 0 skipped; nothing sent (dry run)"
    assert (data["dry_run"], data["queued"], len(data["recipients"])) == (True, 0, 11)
    assert data["recipients"][1] == {
        "address": "minh.tv@thuvien-supham.example.vn",
        "name": "Trần Văn Minh",
        "organisation": "Thư viện Đại học Sư phạm",
        "language": "vi",
    }
    assert ws.json("outbox", "list") == []
    assert ws.ok("call").startswith("call: 11 queued")


def test_remind_dry_run_lists_only_members_without_an_accepted_contribution(
    ws: Workspace,
) -> None:
    polled(ws)

    data = ws.json("remind", "--dry-run")

    assert [r["address"] for r in data["recipients"]] == [
        "l.tremblay@greenfield-libraries.example.ca",
        "dwhitfield@oakridge-library.example.org",
    ]
    assert [m["kind"] for m in ws.json("outbox", "list")].count("reminder") == 0


def test_remind_days_before_that_sends_nothing_says_why(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")

    out = ws.ok("remind", "--days-before", "7")

    assert out.startswith("reminders: 0 queued, 0 skipped; outbox: nothing due\n")
    days = int(out.split("the deadline is ")[1].split(" ")[0])
    assert out.endswith(
        f"nothing to send: the deadline is {days} days away; --days-before 7 sends "
        "reminders only from 7 days before it\n"
    )
    assert days > 7
    assert json.loads(ws.ok("outbox", "list", "--json")) == []


def test_status_text_says_how_many_more_changed_than_it_lists(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    data = sent(ws).json("status")
    row = {"id": 1, "member": "m@x.example", "change": "accepted after the report was sent"}
    data["report"]["changed_since_sent"] = 60
    data["todo"]["changed_since_report"] = [dict(row, id=n) for n in range(1, 51)]

    print_status(data)

    shown = capsys.readouterr().out
    assert "Contributions changed since the report was sent (60)\n" in shown
    assert "  #50  m@x.example: accepted after the report was sent\n  … and 10 more\n" in shown
