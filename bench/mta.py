"""The bench's own Postfix: a private instance with its configuration and queue in the work folder.

`mailflow.testing.postfix` runs the machine's one Postfix from ``/etc/postfix`` and its queue in
``/var/spool/postfix``, so a bench could not start while a test session's Postfix ran (or one a
killed session left behind). `PrivatePostfix` runs ``postfix -c FOLDER/etc start-fg`` with its
own ``queue_directory`` and ``data_directory`` under FOLDER and smtpd on a free loopback port: it
runs beside any other Postfix (its services are the distribution's master.cf, read from the
backup copy while a test Postfix has replaced that file), touches nothing in ``/etc/postfix``,
and every command that reads its queue (``postqueue``, ``postsuper``) is given the same ``-c``.
The configuration is the test one (`mailflow.testing.postfix.MAIN_CF`: loopback only, the test
domains handed to Dovecot over LMTP). With ``hold=True`` every accepted mail waits in the hold
queue until `deliver_held`: what the outbox figure times is then the SMTP dialogue and Postfix's
acceptance of each mail alone, the same work for mailflow and for the bare loop (see
`bench/run.py`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from mailflow.testing.dovecot import free_port
from mailflow.testing.postfix import (
    HOST,
    MAIN_CF,
    distribution_master_cf,
    master_cf,
    wait_for_greeting,
)

_PRIVATE = """
queue_directory = {base}/queue
data_directory = {base}/data
"""
#: Every header line matches: the mail goes to the hold queue when it is accepted.
_HOLD = "/^/ HOLD accepted while the bench times its sender\n"


@dataclass
class PrivatePostfix:
    """A running private Postfix; `stop()` ends it."""

    base: Path
    smtp_port: int
    process: subprocess.Popen[bytes]
    host: str = HOST

    @property
    def config_dir(self) -> Path:
        return self.base / "etc"

    @classmethod
    def start(
        cls, base: Path, *, domains: tuple[str, ...], lmtp_port: int, hold: bool = False
    ) -> PrivatePostfix:
        (base / "etc").mkdir(parents=True)
        base.chmod(0o755)  # postlogd and the queue's owner must reach the folder
        (base / "queue").mkdir()  # `postfix check` makes its folders, owned as they must be
        (base / "data").mkdir()
        shutil.chown(base / "data", "postfix")
        port = free_port()
        main = MAIN_CF.format(domains=" ".join(domains), lmtp_port=lmtp_port, base=base)
        main += _PRIVATE.format(base=base)
        if hold:
            (base / "hold").write_text(_HOLD)
            main += f"header_checks = regexp:{base}/hold\n"
        (base / "etc" / "main.cf").write_text(main)
        (base / "etc" / "master.cf").write_text(master_cf(distribution_master_cf(), port))
        (base / "aliases").write_text("postmaster: root\n")
        etc = str(base / "etc")
        subprocess.run(["postalias", "-c", etc, f"hash:{base}/aliases"], check=True)
        subprocess.run(["postfix", "-c", etc, "check"], check=True, capture_output=True)
        with (base / "postfix-start.out").open("wb") as output:
            process = subprocess.Popen(
                ["postfix", "-c", etc, "start-fg"], stdout=output, stderr=subprocess.STDOUT
            )
        server = cls(base, port, process)
        try:
            wait_for_greeting(port, process)
        except BaseException:
            server.stop()
            raise
        return server

    def _queued(self) -> list[dict[str, object]]:
        out = subprocess.run(
            ["postqueue", "-c", str(self.config_dir), "-j"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def deliver_held(self) -> None:
        """Release the held mail and ask for its delivery now."""
        etc = str(self.config_dir)
        subprocess.run(["postsuper", "-c", etc, "-H", "ALL"], check=True, capture_output=True)
        subprocess.run(["postqueue", "-c", etc, "-f"], check=True, capture_output=True)

    def wait_for_empty_queue(self, timeout: float = 300.0) -> None:
        """Wait until every mail is handed to Dovecot, which has saved it when it says so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._queued():
                return
            time.sleep(0.2)
        raise RuntimeError("the Postfix queue did not drain")

    def stop(self) -> None:
        if self.process.poll() is None:
            subprocess.run(
                ["postfix", "-c", str(self.config_dir), "stop"], capture_output=True, check=False
            )
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=10)
