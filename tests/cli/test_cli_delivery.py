"""Mail never stuck silently: delivery problems exit 1 with the reason and show in `status`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from support.cli import CONFIG, Workspace, make_workspace
from support.smtp_server import SmtpTestServer


def smtp_config(server: SmtpTestServer | None, *, port: int | None = None, user: str = "") -> str:
    host, port = (server.host, server.port) if server else ("127.0.0.1", port)
    return CONFIG.replace(
        'outdir = "sent"',
        f'host = "{host}"\nport = {port}\nsecurity = "none"\nuser = "{user}"\nretry_base_s = 60',
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.servers
def test_call_whose_credentials_are_refused_puts_mail_back_and_exits_1(
    tmp_path: Path, smtp_server: SmtpTestServer
) -> None:
    ws = make_workspace(tmp_path, smtp_config(smtp_server, user="wsis@association.test"))
    ws.ok("members", "import", "members.csv")
    env = {"MAILFLOW_SMTP_PASSWORD": "s3cret"}
    reason = (
        f"{smtp_server.host}:{smtp_server.port} refused the credentials of wsis@association.test: "
        "535 5.7.8 Authentication credentials invalid"
    )

    called = ws.run("call", env=env)
    rows = ws.json("outbox", "list")
    status = ws.json("status")
    ws.configure(smtp_config(smtp_server))
    flushed = ws.run("outbox", "flush")

    assert (called.exit_code, called.stderr) == (1, f"Error: 11 mails not sent: {reason}\n")
    assert {(r["state"], r["attempts"], r["last_error"]) for r in rows} == {("queued", 0, reason)}
    assert status["delivery_error"]["error"] == reason
    assert status["delivery_error"]["mails"] == 11
    assert status["outbox"]["sending"] == 0
    assert (flushed.exit_code, flushed.stdout) == (0, "outbox: 11 sent\n")
    assert len(smtp_server.received) == 11
    assert ws.json("status")["delivery_error"] is None


@pytest.mark.servers
def test_call_to_a_server_without_auth_while_smtp_user_is_set_leaves_nothing_sending(
    tmp_path: Path,
) -> None:
    with SmtpTestServer(offer_auth=False) as server:
        ws = make_workspace(tmp_path, smtp_config(server, user="wsis@association.test"))
        ws.ok("members", "import", "members.csv")
        reason = f"{server.host}:{server.port} does not offer AUTH but smtp.user is set"

        called = ws.run("call", env={"MAILFLOW_SMTP_PASSWORD": "s3cret"})
        rows = ws.json("outbox", "list")
        ws.configure(smtp_config(server))
        flushed = ws.run("outbox", "flush")

    assert (called.exit_code, called.stderr) == (1, f"Error: 11 mails not sent: {reason}\n")
    assert {(r["state"], r["attempts"], r["last_error"]) for r in rows} == {("queued", 0, reason)}
    assert (flushed.exit_code, flushed.stdout) == (0, "outbox: 11 sent\n")
    assert len(server.received) == 11


def test_call_with_the_smtp_server_down_exits_1_naming_the_reason(tmp_path: Path) -> None:
    port = free_port()
    ws = make_workspace(tmp_path, smtp_config(None, port=port))
    ws.ok("members", "import", "members.csv")

    called = ws.run("call")
    flushed = ws.run("outbox", "flush")

    assert called.exit_code == 1
    assert called.stdout == "call: 11 queued, 0 skipped; outbox: 11 retry\n"
    assert called.stderr.startswith(f"Error: 11 mails not sent: cannot reach 127.0.0.1:{port}: ")
    assert flushed.exit_code == 1
    assert flushed.stderr.startswith("Error: 11 mails not sent: cannot reach ")
    status = ws.json("status")
    assert [p["state"] for p in status["todo"]["mail_problems"]] == ["queued"] * 11
    assert status["todo"]["mail_problems"][0]["reason"].startswith("cannot reach 127.0.0.1")


def test_poll_with_the_smtp_server_down_exits_1_after_recording(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, smtp_config(None, port=free_port()))
    ws.ok("members", "import", "members.csv")

    polled = ws.run("poll")

    assert polled.exit_code == 1
    assert polled.stdout.startswith("13 new, 0 already recorded;")
    assert polled.stdout.endswith("; outbox: 11 retry\n")
    assert polled.stderr.startswith("Error: 11 mails not sent: cannot reach 127.0.0.1:")
    assert ws.json("status")["submissions"]["accepted"] == 9


def test_status_clears_a_stale_last_error_after_a_good_poll(ws: Workspace) -> None:
    (ws.path / "Maildir").rename(ws.path / "Maildir.away")
    failed = ws.run("poll")
    during = ws.json("status")["service"]
    (ws.path / "Maildir.away").rename(ws.path / "Maildir")
    ws.ok("poll")
    after = ws.json("status")["service"]

    assert failed.exit_code == 1
    assert during["last_error"] is not None and "Maildir" in during["last_error"]
    assert (after["last_error"], after["last_error_at"]) == (None, None)
    assert "Last error" not in ws.ok("status")
