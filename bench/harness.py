"""The benchmarks' plumbing: mailboxes filled on disk, mailflow configs, timed child processes.

`fill_maildir` writes messages straight into a Dovecot user's Maildir (owned by nobody:nogroup,
as Dovecot's static userdb expects) and `index_mailbox` then makes Dovecot index them with one
SELECT, which is far faster than APPENDing thousands of messages. `Instance` is one mailflow
installation (a config file, a SQLite ledger, an IMAP account, an SMTP target or a file sink);
`timed` runs any command as a child process and returns its wall time, and its CPU time and peak
RSS measured by ``os.wait4`` for that child alone. The servers themselves come from
`mailflow.testing` (shipped in the package, so the bench needs no path to ``tests/``) and
`bench/mta.py`; what is measured and how it is reported lives in `bench/run.py`.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailflow.testing.dovecot import SHARED_PASSWORD, Dovecot

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

MAILFLOW = str(Path(sys.executable).with_name("mailflow"))
PYTHON = sys.executable
#: Arrival time given to the Maildir files (INTERNALDATE): before any deadline used here.
ARRIVAL = 1_757_000_000  # 2025-09-04


@dataclass(frozen=True)
class Timing:
    seconds: float
    max_rss_kb: int
    stdout: str
    cpu_s: float = 0.0  # user + system time of the child (not of its own children)


def timed(argv: Sequence[str], *, env: dict[str, str] | None = None) -> Timing:
    """Run ``argv`` to completion; its wall time, CPU time and peak RSS. Raises on failure."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    # Read the pipes before reaping: a child blocked on a full pipe would never exit.
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with {process.returncode}:\n{err.decode(errors='replace')}"
        )
    cpu = usage.ru_utime + usage.ru_stime
    return Timing(seconds, usage.ru_maxrss, out.decode(errors="replace"), cpu)


def fill_maildir(dovecot: Dovecot, user: str, messages: Iterable[tuple[int, bytes]]) -> int:
    """Write messages as files of ``user``'s INBOX (``cur/``, unseen); returns how many."""
    root = dovecot.maildir(user)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    count = 0
    for number, raw in messages:
        path = root / "cur" / f"{ARRIVAL + number}.M{number}P{os.getpid()}.bench,S={len(raw)}:2,"
        path.write_bytes(raw)
        os.utime(path, (ARRIVAL + number, ARRIVAL + number))
        count += 1
    _chown_tree(root)
    return count


def deliver_new(dovecot: Dovecot, user: str, number: int, raw: bytes) -> None:
    """One message arriving in ``user``'s ``new/``, as a local delivery agent leaves it."""
    root = dovecot.maildir(user)
    tmp = root / "tmp" / f"{ARRIVAL + number}.M{number}P{os.getpid()}.bench"
    tmp.write_bytes(raw)
    os.utime(tmp, (ARRIVAL + number, ARRIVAL + number))
    shutil.chown(tmp, "nobody", "nogroup")
    tmp.rename(root / "new" / tmp.name)


def clear_maildir(dovecot: Dovecot, user: str) -> None:
    """Remove every message of ``user``'s INBOX (Dovecot notices at the next SELECT)."""
    root = dovecot.maildir(user)
    for sub in ("cur", "new"):
        for path in (root / sub).iterdir():
            path.unlink()


def _chown_tree(root: Path) -> None:
    for base, dirs, files in os.walk(root.parent):
        for name in (*dirs, *files):
            shutil.chown(os.path.join(base, name), "nobody", "nogroup")


def index_mailbox(dovecot: Dovecot, user: str) -> int:
    """Let Dovecot index ``user``'s INBOX now (one SELECT); returns the message count."""
    client = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    try:
        client.login(user, SHARED_PASSWORD)
        _, data = client.select("INBOX", readonly=True)
        return int(data[0] or 0)
    finally:
        client.logout()


@dataclass
class Instance:
    """One mailflow set-up in its own folder: config, ledger, the account it reads."""

    folder: Path
    dovecot: Dovecot
    user: str
    smtp_port: int | None = None  # None: the file sink
    deadline: str = "2099-12-31T23:59:59+00:00"

    @property
    def config(self) -> Path:
        return self.folder / "mailflow.toml"

    @property
    def ledger(self) -> Path:
        return self.folder / "ledger.sqlite3"

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.smtp_port is None:
            smtp = 'outdir = "sent"\nhost = "127.0.0.1"\nport = 25\nsecurity = "none"\nuser = ""'
        else:
            smtp = f'host = "127.0.0.1"\nport = {self.smtp_port}\nsecurity = "none"\nuser = ""'
        self.config.write_text(
            f"""[ledger]
url = "sqlite:///{self.ledger.name}"

[imap]
host = "127.0.0.1"
port = {self.dovecot.imap_port}
security = "none"
user = "{self.user}"
folder = "INBOX"
poll_interval_s = 1

[smtp]
{smtp}
from = "WSIS coordinator <wsis@association.test>"

[campaign]
name = "WSIS bench"
association = "Benchmark Library Association"
deadline = "{self.deadline}"
word_limit = 200
recipient = "ifla@association.test"

[security]
max_auto_replies_per_day = 5
""",
            encoding="utf-8",
        )

    @property
    def env(self) -> dict[str, str]:
        return {"MAILFLOW_IMAP_PASSWORD": SHARED_PASSWORD, "MAILFLOW_CONFIG": str(self.config)}

    def argv(self, *args: str) -> list[str]:
        return [MAILFLOW, "--config", str(self.config), *args]

    def run(self, *args: str) -> Timing:
        return timed(self.argv(*args), env=self.env)

    def setup(self, members_csv: str) -> None:
        """Write the config, create the ledger and import the members (one child process)."""
        self.write()
        roster = self.folder / "members.csv"
        roster.write_text(members_csv, encoding="utf-8")
        timed([PYTHON, str(BENCH / "setup_probe.py"), str(self.config), str(roster)], env=self.env)
