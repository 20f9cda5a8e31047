"""`mailflow web` as a user runs it: a real process serving on loopback until stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.web import Workspace


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_web_command_serves_on_loopback_until_interrupted(workspace: Workspace) -> None:
    config = workspace.path / "mailflow.toml"
    config.write_text(f'[ledger]\nurl = "{workspace.app.settings.ledger.url}"\n', encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mailflow.cli", "--config", str(config), "web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(workspace.path),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line == f"console: http://127.0.0.1:{port}/  (Ctrl-C stops it)\n"
        opener = urllib.request.build_opener(_NoRedirect)
        deadline = time.monotonic() + 20
        while True:
            try:
                opener.open(f"http://127.0.0.1:{port}/", timeout=5)
            except urllib.error.HTTPError as answer:
                assert answer.code == 302
                assert answer.headers["Location"] == "/login?next=/"
                break
            except OSError:
                assert time.monotonic() < deadline, "the console did not answer"
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=20)
    assert (process.returncode, errors) == (0, "")
