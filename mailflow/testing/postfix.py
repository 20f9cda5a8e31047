"""Postfix on loopback for the tests: a real MTA that hands mail for test domains to Dovecot.

`Postfix.start` (as root) backs up ``/etc/postfix/main.cf`` and ``master.cf``, writes a loopback
configuration (``inet_interfaces = loopback-only``, ``mydestination =`` empty, the given
``virtual_mailbox_domains`` delivered by ``lmtp:inet:127.0.0.1:<LMTP port>``, ``mynetworks =
127.0.0.0/8``, the log in a file of the test's folder, smtpd on ``127.0.0.1:<free port>`` and no
chroot), runs ``newaliases``, starts ``postfix start-fg`` as a background process and waits until
the SMTP port greets. `Postfix.stop` runs ``postfix stop``, waits for (or terminates) the process
and puts the original files back (meanwhile their copies wait in
``/etc/postfix/*.before-mailflow-tests``, so the next run repairs a killed one). Postfix reads
``/etc/postfix`` and runs once per machine, so this refuses to touch a running Postfix that these
tests did not configure (`configured_by_us` tells). Dovecot, the LMTP and IMAP end, is
`mailflow.testing.dovecot`; the pytest fixture is ``postfix_mta`` in ``tests/support/postfix.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mailflow.testing.dovecot import free_port

HOST = "127.0.0.1"
ETC = Path("/etc/postfix")
#: The domains the test Postfix delivers to Dovecot (the lead's accounts live in the first).
DOMAINS = ("association.test", "members.test")

MARKER = "# Written by mailflow's tests (mailflow/testing/postfix.py); restored when they end."
BACKUP = ".before-mailflow-tests"  # suffix of the copies of the originals while the tests run
#: Where Postfix's master records its pid (the default queue directory, which the tests keep).
MASTER_PID = Path("/var/spool/postfix/pid/master.pid")
MAIN_CF = (
    MARKER
    + """
compatibility_level = 3.6
myhostname = mta.mailflow.test
mydomain = mailflow.test
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
relayhost =
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = {domains}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
alias_maps = hash:{base}/aliases
alias_database = hash:{base}/aliases
maillog_file = {base}/postfix.log
maillog_file_prefixes = /var, /dev/stdout, {base}
smtputf8_enable = yes
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = $myhostname ESMTP mailflow-test
biff = no
append_dot_mydomain = no
readme_directory = no
delay_warning_time = 0
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
"""
)
#: Added to `MAIN_CF` for SMTP AUTH through Dovecot (mail from mynetworks needs none).
SASL_CF = """
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{sasl_port}
"""


def postfix_available() -> str | None:
    """Why the test Postfix cannot run here, or None when it can."""
    if shutil.which("postfix") is None or shutil.which("newaliases") is None:
        return "postfix is not installed (apt-get install postfix)"
    if os.geteuid() != 0:
        return "the test Postfix must run as root (it rewrites /etc/postfix and starts master)"
    if not (ETC / "master.cf").exists():
        return "/etc/postfix/master.cf is missing: the postfix package is not set up"
    if _running() and not configured_by_us():
        return "a Postfix is already running on this machine; refusing to reconfigure it"
    return None


def _running() -> bool:
    status = subprocess.run(["postfix", "status"], capture_output=True, check=False)
    return status.returncode == 0


def _live_master() -> int | None:
    """The pid of the Postfix master the queue's pid file names, if that process still runs."""
    try:
        pid = int(MASTER_PID.read_text().split()[0])
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError, IndexError):
        return None
    return pid if name == "master" else None


def _end_master(pid: int, timeout: float = 10.0) -> None:
    """Stop a master that ``postfix stop`` could not reach (it ends its own children)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)


def configured_by_us() -> bool:
    """Whether /etc/postfix/main.cf is the one `Postfix.start` writes (maybe left by a killed
    run)."""
    main = ETC / "main.cf"
    return main.exists() and main.read_text(errors="replace").startswith(MARKER)


def distribution_master_cf() -> str:
    """The distribution's ``/etc/postfix/master.cf``: while a test Postfix runs, that file is the
    test's (smtpd already moved to its port), and the original waits in its backup copy."""
    copy = ETC / ("master.cf" + BACKUP)
    if copy.exists() and copy.stat().st_size:
        return copy.read_text()
    return (ETC / "master.cf").read_text()


def master_cf(original: str, smtp_port: int) -> str:
    """The distribution's master.cf with smtpd on 127.0.0.1:`smtp_port` and chroot turned off.

    Without chroot the daemons need no copies of /etc files under the queue directory.
    """
    lines = []
    for line in original.splitlines():
        fields = line.split()
        if line[:1] in ("", "#", " ", "\t") or len(fields) < 8:
            lines.append(line)
            continue
        if fields[0] == "smtp" and fields[1] == "inet":
            fields[0] = f"{HOST}:{smtp_port}"
        fields[4] = "n"
        lines.append("  ".join(fields[:8]) + ("  " + " ".join(fields[8:]) if fields[8:] else ""))
    return "\n".join(lines) + "\n"


def wait_for_greeting(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until the SMTP server on `port` sends its 220 greeting (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postfix start-fg exited with status {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as conn:
                if conn.recv(512).startswith(b"220"):
                    conn.sendall(b"QUIT\r\n")
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Postfix does not greet on {HOST}:{port} after {timeout}s")


@dataclass
class Postfix:
    """A running loopback Postfix; `stop()` ends it and restores /etc/postfix."""

    base: Path
    smtp_port: int
    lmtp_port: int
    domains: tuple[str, ...]
    process: subprocess.Popen[bytes]
    _saved: dict[str, bytes | None] = field(default_factory=dict, repr=False)
    host: str = HOST

    @property
    def log_file(self) -> Path:
        return self.base / "postfix.log"

    def log(self) -> str:
        """Postfix's log so far (for assertions and for failure messages)."""
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    @classmethod
    def start(
        cls,
        base: Path,
        *,
        domains: Sequence[str],
        lmtp_port: int,
        smtp_port: int | None = None,
        sasl_port: int = 0,
    ) -> Postfix:
        reason = postfix_available()
        if reason:
            raise RuntimeError(reason)
        base.mkdir(parents=True, exist_ok=True)
        os.chmod(base, 0o755)  # postlogd runs unprivileged enough to need a path it can enter
        port = smtp_port or free_port()
        if _running():  # postfix_available() found it is a Postfix a killed test run left behind
            subprocess.run(["postfix", "stop"], capture_output=True, check=False)
        # ``start-fg`` runs master as a child of a shell, so a run killed before its `stop`, or
        # a shell terminated while master still started, leaves master running after its
        # configuration was put back; ``postfix status`` cannot see it then, its pid file can.
        leftover = _live_master()
        if leftover is not None and (configured_by_us() or not (ETC / "main.cf").exists()):
            _end_master(leftover)
        saved = {name: _backup(name) for name in ("main.cf", "master.cf")}
        original_master = (saved["master.cf"] or b"").decode()
        try:
            main = MAIN_CF.format(domains=" ".join(domains), lmtp_port=lmtp_port, base=base)
            if sasl_port:
                main += SASL_CF.format(sasl_port=sasl_port)
            (ETC / "main.cf").write_text(main)
            (ETC / "master.cf").write_text(master_cf(original_master, port))
            (base / "aliases").write_text("postmaster: root\n")
            subprocess.run(["newaliases"], check=True, capture_output=True)
            output = (base / "postfix-start.out").open("wb")
            process = subprocess.Popen(
                ["postfix", "start-fg"], stdout=output, stderr=subprocess.STDOUT
            )
            output.close()
        except BaseException:
            _restore(saved)
            raise
        server = cls(base, port, lmtp_port, tuple(domains), process, saved)
        try:
            wait_for_greeting(port, process)
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """Stop Postfix (``postfix stop``, then terminate if needed) and restore /etc/postfix."""
        try:
            if self.process.poll() is None:
                subprocess.run(["postfix", "stop"], capture_output=True, check=False)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.terminate()
                    try:
                        self.process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        self.process.kill()
                        self.process.wait()
            master = _live_master()  # terminating the shell leaves a master still starting
            if master is not None:
                _end_master(master)
        finally:
            _restore(self._saved)

    def __enter__(self) -> Postfix:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _backup(name: str) -> bytes | None:
    """The original ``/etc/postfix/<name>`` (None: absent), kept on disk until `_restore`.

    A copy left by a run that was killed holds the true original, so it wins over the current
    file (which is then that run's test configuration). An absent original is an empty copy.
    """
    copy, target = ETC / (name + BACKUP), ETC / name
    if not copy.exists():
        copy.write_bytes(target.read_bytes() if target.exists() else b"")
    content = copy.read_bytes()
    return content or None


def _restore(saved: dict[str, bytes | None]) -> None:
    for name, content in saved.items():
        target = ETC / name
        if content is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(content)
        (ETC / (name + BACKUP)).unlink(missing_ok=True)


__all__ = [
    "DOMAINS",
    "MARKER",
    "Postfix",
    "configured_by_us",
    "distribution_master_cf",
    "master_cf",
    "postfix_available",
    "wait_for_greeting",
]
