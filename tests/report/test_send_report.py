"""`compile` writes a manifest; `send-report` sends exactly the compiled folder, or refuses and says
why; a resend says it replaces the earlier report; `submissions edit` / `translate` keep the
coordinator's texts beside the member's."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailflow.cli import main
from mailflow.resources import sample_maildir

CONFIG = """\
[ledger]
url = "sqlite:///ledger.sqlite3"
[imap]
maildir = "Maildir"
user = "wsis@association.test"
[smtp]
from = "WSIS coordinator <wsis@association.test>"
outdir = "sent"
[campaign]
deadline = "2099-09-30T23:59:59+07:00"
coordinator = "Lan Nguyen <lan@association.test>"
signature = "WSIS coordinator, Example Library Association"
"""
FILES = [
    "report.txt",
    "report.html",
    "report.docx",
    "contributions.csv",
    "contributions.json",
    "manifest.json",
]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a config, the sample Maildir and roster, and a polled ledger."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILFLOW_CONFIG", raising=False)
    (tmp_path / "mailflow.toml").write_text(CONFIG)
    shutil.copytree(sample_maildir(), tmp_path / "Maildir")
    shutil.copyfile(sample_maildir().parent / "members.csv", tmp_path / "members.csv")
    ok("init")
    ok("members", "import", "members.csv")
    ok("poll")
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def ok(*args: str, input: str | None = None) -> str:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 1, result.output
    return result.output


def sent_reports(workspace: Path) -> list[EmailMessage]:
    found = []
    for path in sorted((workspace / "sent").iterdir()):
        message = message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        if message["To"] == "maria.debrasdefer@ifla.org":
            found.append(message)
    return found


def accepted_id(member: str) -> int:
    rows = json.loads(ok("submissions", "list", "--json", "--status", "accepted"))
    return next(row["id"] for row in rows if row["member"] == member)


def test_compile_writes_the_files_and_a_manifest_of_their_hashes(workspace: Path) -> None:
    printed = ok("compile").split()

    assert [Path(p).name for p in printed] == FILES
    manifest = json.loads((workspace / "report" / "manifest.json").read_text())
    assert manifest["files"] == {
        name: hashlib.sha256((workspace / "report" / name).read_bytes()).hexdigest()
        for name in FILES[:-1]
    }
    accepted = json.loads(ok("submissions", "list", "--json", "--status", "accepted"))
    assert sorted(manifest["contributions"]) == sorted(str(row["id"]) for row in accepted)
    assert {c["version"] for c in manifest["contributions"].values()} == {1, 2}


def test_compile_twice_differs_only_in_the_compile_time(workspace: Path) -> None:
    ok("compile", "--out", "r1")
    ok("compile", "--out", "r2")

    first = json.loads((workspace / "r1" / "contributions.json").read_text())
    second = json.loads((workspace / "r2" / "contributions.json").read_text())
    assert first["compiled_at"] <= second["compiled_at"]
    first["compiled_at"] = second["compiled_at"]
    assert first == second
    csvs = [(workspace / r / "contributions.csv").read_bytes() for r in ("r1", "r2")]
    assert csvs[0] == csvs[1]


def test_compile_excel_dialect_semicolon_writes_semicolons(workspace: Path) -> None:
    ok("compile", "--excel-dialect", "semicolon")

    text = (workspace / "report" / "contributions.csv").read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:4] == ["id", "organisation", "country", "member"]


def test_send_report_without_a_compile_is_refused(workspace: Path) -> None:
    assert refused("send-report") == "Error: no compiled report: run `mailflow compile` first\n"


def test_send_report_sends_the_compiled_files_byte_for_byte(workspace: Path) -> None:
    ok("compile")

    assert "1 sent" in ok("send-report")

    [mail] = sent_reports(workspace)
    folder = workspace / "report"
    alternative = next(mail.iter_parts())
    text, html = (part.get_content() for part in alternative.iter_parts())
    assert text.replace("\r\n", "\n") == (folder / "report.txt").read_text()
    assert html.replace("\r\n", "\n") == (folder / "report.html").read_text()
    attached = {p.get_filename(): p.get_payload(decode=True) for p in mail.iter_attachments()}
    assert attached == {
        name: (folder / name).read_bytes()
        for name in ("report.docx", "contributions.csv", "contributions.json")
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    assert mail["Subject"] == manifest["subject"]


def test_send_report_dry_run_prints_the_text_and_says_it_matches(workspace: Path) -> None:
    ok("compile")

    output = ok("send-report", "--dry-run")

    first, _, rest = output.partition("\n\n")
    assert first == (
        "Would send “WSIS 2025: contributions from Example Library Association (9)” to "
        "maria.debrasdefer@ifla.org: 9 contributions, with report.docx, contributions.csv, "
        "contributions.json. It matches the compiled folder and the ledger."
    )
    assert rest == (workspace / "report" / "report.txt").read_text() + "\n"
    assert sent_reports(workspace) == []


def test_send_report_refuses_a_folder_changed_after_the_compile(workspace: Path) -> None:
    ok("compile")
    (workspace / "report" / "report.txt").write_text("something else\n")

    output = refused("send-report")

    assert "report.txt in " in output
    assert "was changed after the compile" in output
    assert "Run `mailflow compile` again" in output
    assert "It does NOT match: report.txt in " in ok("send-report", "--dry-run")


def test_send_report_refuses_when_the_ledger_changed_and_names_the_contribution(
    workspace: Path,
) -> None:
    ok("compile")
    submission = accepted_id("g.wanjiru@pinewood-medlib.example.org")
    ok("submissions", "edit", str(submission), "--file", "-", input="Why: Better health.\n")

    output = refused("send-report")

    assert output.startswith(
        "Error: the report was not sent: 1 contribution changed in the ledger since the compile "
        f"(Pinewood Medical Library (#{submission}): changed (an edit or a translation)). "
        "Run `mailflow compile` again"
    )
    ok("compile")
    assert "1 sent" in ok("send-report")


def test_send_report_refuses_an_empty_report_unless_allowed(workspace: Path) -> None:
    (workspace / "mailflow.toml").write_text(CONFIG + 'name = "WSIS 2026"\n')
    ok("compile")

    assert refused("send-report") == (
        "Error: the compiled report has no contribution; use --allow-empty to send it anyway\n"
    )
    assert "1 sent" in ok("send-report", "--allow-empty")


def test_send_report_twice_is_refused_and_a_resend_replaces_the_first(workspace: Path) -> None:
    ok("compile")
    ok("send-report")
    assert refused("send-report").endswith(
        "to send an update that replaces it, run `mailflow compile`, then "
        "`mailflow send-report --resend`\n"
    )
    assert refused("send-report", "--resend") == (
        "Error: no compiled report: run `mailflow compile` first\n"
    )
    submission = accepted_id("g.wanjiru@pinewood-medlib.example.org")
    ok("submissions", "translate", str(submission), "--file", "-", input="Why: Health.\n")
    status = json.loads(ok("status", "--json"))
    assert status["report"]["changed_since_sent"] == 1

    ok("compile")
    assert "1 sent" in ok("send-report", "--resend")

    first, second = sent_reports(workspace)
    assert second["Subject"] == (
        f"Updated report, replaces the one of {first['Date'].datetime:%-d %B %Y}: "
        "WSIS 2025: contributions from Example Library Association (9)"
    )
    assert (second["In-Reply-To"], second["References"]) == (first["Message-ID"],) * 2
    text = (workspace / "report" / "report.txt").read_text()
    assert "This report replaces the one we sent on " in text
    assert "1 contribution has changed since." in text


def test_submissions_edit_keeps_the_original_and_show_displays_both(workspace: Path) -> None:
    submission = accepted_id("g.wanjiru@pinewood-medlib.example.org")
    original = json.loads(ok("submissions", "show", str(submission), "--json"))["text"]

    output = ok("submissions", "edit", str(submission), "--file", "-", input="Why: Edited.\n")
    again = ok("submissions", "edit", str(submission), "--file", "-", input="Why: Again.\n")

    assert output == (
        f"submission {submission}: the coordinator's edit is kept (version 1); the member's text "
        "stays in the ledger. Run `mailflow compile` to see it in the report.\n"
    )
    assert "(version 2)" in again
    shown = json.loads(ok("submissions", "show", str(submission), "--json"))
    assert shown["text"] == original
    assert shown["coordinator"]["edit"]["text"] == "Why: Again."
    assert shown["coordinator"]["edit"]["versions"] == 2
    assert shown["coordinator"]["translation"] is None
    plain = ok("submissions", "show", str(submission))
    assert original in plain
    assert "coordinator's edit (the text IFLA gets;" in plain
    ok("compile")
    report = (workspace / "report" / "report.txt").read_text()
    assert "Why:\n  Again.\n" in report
    assert "English; edited by the coordinator" in report


def test_submissions_edit_refuses_an_empty_or_unchanged_text(workspace: Path) -> None:
    submission = accepted_id("g.wanjiru@pinewood-medlib.example.org")
    ok("submissions", "edit", str(submission), "--file", "-", input="Why: Edited.\n")

    empty = refused("submissions", "edit", str(submission), "--file", "-")
    same = run("submissions", "edit", str(submission), "--file", "-", input="Why: Edited.\n")

    assert empty == f"Error: the edit of submission {submission} is empty; nothing was kept\n"
    assert same.output == (
        f"Error: the edit of submission {submission} is unchanged; nothing was kept\n"
    )


def test_a_correction_after_the_report_went_is_flagged_to_member_and_coordinator(
    workspace: Path,
) -> None:
    ok("compile")
    ok("send-report")
    correction = EmailMessage()
    correction["From"] = "Grace Wanjiru <g.wanjiru@pinewood-medlib.example.org>"
    correction["To"] = "wsis@association.test"
    correction["Subject"] = "Corrected contribution"
    correction["Message-ID"] = "<correction-1@pinewood-medlib.example.org>"
    correction["Date"] = "Tue, 30 Sep 2025 10:00:00 +0000"
    correction.set_content(
        "Organisation: Pinewood Medical Library\nCountry: Kenya\nAction lines: C7 e-health\n"
        "Why: Clinicians need current evidence.\nOutputs: https://pinewood.example.org/evidence\n"
    )
    (workspace / "Maildir" / "new" / "correction.eml").write_bytes(correction.as_bytes())

    ok("poll")

    confirmations = []
    for path in (workspace / "sent").iterdir():
        mail = message_from_bytes(path.read_bytes(), policy=default)
        if mail["In-Reply-To"] == "<correction-1@pinewood-medlib.example.org>":
            confirmations.append(mail)
    [confirmation] = confirmations
    assert isinstance(confirmation, EmailMessage)
    body = confirmation.get_body(("plain",))
    assert body is not None
    sent_on = json.loads(ok("status", "--json"))["report"]["sent_at"]
    assert (
        "Our report to IFLA was already sent on "
        f"{datetime.fromisoformat(sent_on).strftime('%B %-d, %Y')}; the coordinator will decide "
        "whether to send an update that includes this version."
    ) in " ".join(body.get_content().split())
    status = json.loads(ok("status", "--json"))
    assert status["report"]["changed_since_sent"] == 1
    shown = " ".join(ok("status").replace("│", " ").split())
    newest = accepted_id("g.wanjiru@pinewood-medlib.example.org")
    assert (
        f"Contributions changed since the report was sent (1) #{newest} "
        "g.wanjiru@pinewood-medlib.example.org: a new version of #9, which the sent report has"
    ) in shown, shown
    assert "mailflow compile, then mailflow send-report --resend sends an update" in shown, shown
