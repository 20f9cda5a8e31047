"""`mailflow demo`: the whole cycle on embedded defaults, with nothing to install or configure.

Creates a workspace folder with a ``mailflow.toml`` that points at a copy of the bundled sample
Maildir, a SQLite ledger and the file sink (``outbox/``, .eml files instead of SMTP), with the
deadline set a fortnight ahead so the sample mail is on time. Then it runs what a coordinator
would: ``init``, ``members import``, ``poll``, ``compile``, ``send-report``, ``status``, and
yields the lines to print. It calls the same `App` methods as the CLI; it adds no rules.
`console_account` gives the workspace a console login for ``mailflow demo --web``.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailflow import config_file, config_loader
from mailflow.app import App
from mailflow.resources import sample_maildir

DEMO_ACCOUNT = "demo"


def write_config(workdir: Path, *, now: datetime) -> Path:
    deadline = (now + timedelta(days=14)).replace(microsecond=0).isoformat()
    text = (
        config_file.DEFAULT_TOML.replace('# maildir = "path/to/Maildir"', 'maildir = "Maildir"')
        .replace('# outdir = "outbox/"', 'outdir = "outbox/"')
        .replace('deadline = "2025-09-30T23:59:59+07:00"', f'deadline = "{deadline}"')
    )
    path = workdir / "mailflow.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(workdir: Path, *, now: datetime | None = None) -> Iterator[str]:
    """Set up ``workdir`` (replacing an earlier demo there) and run the cycle."""
    now = now or datetime.now(UTC)
    workdir = workdir.resolve()
    if (workdir / "mailflow.toml").exists() and (workdir / "Maildir").exists():
        shutil.rmtree(workdir)  # an earlier demo: start afresh
    elif workdir.exists() and any(workdir.iterdir()):
        from mailflow.errors import ConfigError

        raise ConfigError(f"{workdir} exists and is not an earlier demo; choose another --dir")
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sample_maildir(), workdir / "Maildir")
    roster = workdir / "members.csv"
    shutil.copyfile(sample_maildir().parent / "members.csv", roster)
    path = write_config(workdir, now=now)
    yield f"workspace: {workdir}"

    app = App(config_loader.load(path, environ={}))
    try:
        app.upgrade()
        yield f"ledger: {app.ledger_url}"
        imported = app.import_members(roster, who=DEMO_ACCOUNT)
        yield f"members import: {imported.added} added"
        summary = app.poll()
        yield f"poll: {summary.line()}"
        yield from _report_steps(app, workdir)
        data = app.status()
        yield "status: " + "; ".join(
            f"{section} " + ", ".join(f"{k} {v}" for k, v in data[section].items() if v)
            for section in ("messages", "submissions", "outbox")
        )
        yield f"look at: {workdir / 'outbox'} (mail sent, as .eml files)"
        yield f"         {workdir / 'report'} (the compiled report)"
        yield f"then try: mailflow --config {path} submissions list"
    finally:
        app.close()


def console_account(workdir: Path) -> tuple[App, str, str]:
    """The demo workspace's `App` with a coordinator account for the web console.

    The account is ``demo`` with a fresh random password at every call (printed once, never
    stored in clear): the console is only ever opened on loopback for the demo.
    """
    app = App(config_loader.load(workdir.resolve() / "mailflow.toml", environ={}))
    password = secrets.token_urlsafe(12)
    app.add_web_user(DEMO_ACCOUNT, password, "coordinator")
    return app, DEMO_ACCOUNT, password


def _report_steps(app: App, workdir: Path) -> Iterator[str]:
    compiled = app.compile_report(workdir / "report", who=DEMO_ACCOUNT)
    yield f"compile: {len(compiled.files)} files in {workdir / 'report'}"
    for warning in compiled.warnings:
        yield f"  warning: {warning}"
    sent = app.send_report(who=DEMO_ACCOUNT)
    yield f"send-report: {sent.message}"
