"""What a coordinator sees on a terminal: `status` and `submissions list` inside tmux.

The screens are captured as a user sees them (tmux capture-pane), once as text and once with
the escape sequences of the colours, which a pipe never gets (see tests/cli).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import Workspace, make_workspace

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """A tmux server of its own, one 150x50 window per command."""

    def __init__(self) -> None:
        self.socket = f"mailflow-test-{uuid.uuid4().hex[:8]}"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self, folder: Path, *command: str, until: str, colours: bool = False) -> str:
        """Run ``mailflow COMMAND`` in ``folder`` and return the screen once ``until`` shows."""
        env = " ".join(f"{k}={v}" for k, v in {"TERM": "xterm-256color", "COLUMNS": "150"}.items())
        line = " ".join([env, sys.executable, "-m", "mailflow.cli", *command])
        name = uuid.uuid4().hex[:8]
        self.tmux(
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "150",
            "-y",
            "50",
            "-c",
            str(folder),
            f"{line}; sleep 60",
        )
        deadline = time.monotonic() + 30
        while True:
            shown = self.tmux("capture-pane", "-p", "-t", name, *(["-e"] if colours else []))
            if until in shown or time.monotonic() > deadline:
                return shown
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    try:
        yield term
    finally:
        term.close()


@pytest.fixture
def polled(tmp_path: Path) -> Workspace:
    ws = make_workspace(tmp_path)
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")
    return ws


def _lines(screen: str) -> list[str]:
    return [line.rstrip() for line in screen.rstrip("\n").splitlines()]


def test_status_on_a_terminal_is_the_todo_list(terminal: Terminal, polled: Workspace) -> None:
    screen = _lines(terminal.screen(polled.path, "status", until="last poll:"))

    assert screen[0] == "WSIS 2025 — Lakeside Library Association"
    assert screen[1].startswith("deadline 2099-09-30 23:59 +07:00 — ")
    assert screen[1].endswith("days left; report: not compiled")
    start = screen.index("Held submissions — decide on each (1)")
    assert screen[start : start + 6] == [
        "Held submissions — decide on each (1)",
        "  #11  unknown sender <someone@elsewhere.example.net>: sender not a member",
        "       mailflow review 11 --accept   or   mailflow review 11 --reject",
        "",
        "Members who have not answered (1)",
        "  Dana Whitfield (Oakridge Library)",
    ]
    counts = screen.index("Counts")
    assert screen[counts + 1 : counts + 4] == [
        "  submissions: accepted 9, needs revision 1, held 1, superseded 1",
        "  outbox: sent 11",
        "  messages: total 13, contribution 12, auto reply 1",
    ]


def test_status_on_a_terminal_colours_the_commands(terminal: Terminal, polled: Workspace) -> None:
    screen = terminal.screen(polled.path, "status", until="last poll:", colours=True)

    assert "\x1b[" in screen
    review = next(line for line in screen.splitlines() if "review 11 --accept" in line)
    assert review != "       mailflow review 11 --accept   or   mailflow review 11 --reject"


def test_submissions_list_on_a_terminal_is_a_table_with_coloured_states(
    terminal: Terminal, polled: Workspace
) -> None:
    plain = _lines(terminal.screen(polled.path, "submissions", "list", until="Lakeside County"))
    coloured = terminal.screen(
        polled.path, "submissions", "list", until="Lakeside County", colours=True
    )

    header = next(line for line in plain if line.lstrip().startswith("id"))
    assert header.split() == [
        "id", "status", "version", "name", "organisation", "address", "action", "lines", "words",
        "issues",
    ]  # fmt: skip
    louise = next(line for line in plain if "Louise Tremblay" in line)
    assert louise.split()[:3] == ["5", "needs_revision", "v1"]
    assert louise.endswith("too long")
    held = next(line for line in plain if line.lstrip().startswith("11 "))
    assert "held" in held and "sender not a member" in held
    assert "\x1b[32maccepted" in coloured  # green
    assert "\x1b[35mheld" in coloured  # magenta
