"""A real Dovecot (IMAP + LMTP) on loopback, from a config in a folder of its own.

`Dovecot.start(folder)` writes a dovecot.conf (no TLS, plaintext auth, a passwd-file with {PLAIN}
passwords, a static userdb running as nobody, Maildir storage), starts ``dovecot -c FILE`` and
waits for its ports; `add_user` creates accounts while it runs; every account also takes
`SHARED_PASSWORD`. Given the introspection endpoint of an OAuth2 token server, it also accepts
access tokens (XOAUTH2 and OAUTHBEARER, through its ``oauth2`` passdb, which asks that endpoint
whether a token is active and whose it is) and opens its authentication service on a loopback
port (`auth_port`) for Postfix's SMTP AUTH. The pytest fixtures over it are in
``tests/support/servers.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONFIG",
    "SHARED_PASSWORD",
    "Dovecot",
    "Mailbox",
    "dovecot_available",
    "free_port",
    "wait_for_port",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


#: A password every account takes (tests make accounts without adding them to the passwd-file).
SHARED_PASSWORD = "s3cret-imap"

#: Added to `CONFIG` when a token server is given: OAuth2 logins and the auth service for Postfix.
OAUTH2_CONFIG = """\
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {base}/dovecot-oauth2.conf.ext
}}
service auth {{
  inet_listener auth-postfix {{
    address = 127.0.0.1
    port = {auth_port}
  }}
}}
"""

#: Dovecot's oauth2 passdb settings: ask the token server whether a token is active, and whose.
OAUTH2_ARGS = """\
introspection_mode = post
introspection_url = {introspection_url}
username_attribute = email
active_attribute = active
active_value = true
"""

CONFIG = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{base}/mail/%u
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 0
mail_privileged_group =
protocol imap {{
  mail_max_userip_connections = 200
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {base}/users
}}
# Accounts made while Dovecot runs: the passwd-file above is re-read only when its mtime changes
# (whole seconds), so users added within one second could be missed; this one covers them all.
passdb {{
  driver = static
  mechanisms = plain login
  args = password={shared_password}
}}
userdb {{
  driver = static
  # Every user exists (LMTP asks); the passdbs, each for its own mechanisms, decide logins.
  args = uid=nobody gid=nogroup home={base}/home/%u allow_all_users=yes
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0666
  }}
}}
# No growing delay after failed logins (Dovecot's authentication penalty): tests that expect a
# refusal would otherwise slow down every later login from 127.0.0.1 by up to 15 s.
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
}}
lmtp_save_to_detail_mailbox = no
recipient_delimiter =
"""


@dataclass
class Dovecot:
    base: Path
    imap_port: int
    lmtp_port: int
    config: Path
    auth_port: int = 0  # Dovecot's auth service for Postfix; 0 without a token server

    @classmethod
    def start(cls, base: Path, *, introspection_url: str = "") -> Dovecot:
        base.mkdir(parents=True, exist_ok=True)
        for sub in ("run", "state", "mail", "home"):
            (base / sub).mkdir(exist_ok=True)
        os.chmod(base, 0o755)
        for sub in ("mail", "home"):
            shutil.chown(base / sub, "nobody", "nogroup")
        (base / "users").write_text("")
        imap_port, lmtp_port = free_port(), free_port()
        auth_port = free_port() if introspection_url else 0
        config = base / "dovecot.conf"
        text = CONFIG.format(
            base=base,
            imap_port=imap_port,
            lmtp_port=lmtp_port,
            shared_password=SHARED_PASSWORD,
        )
        if introspection_url:
            text += OAUTH2_CONFIG.format(base=base, auth_port=auth_port)
            args = base / "dovecot-oauth2.conf.ext"
            args.write_text(OAUTH2_ARGS.format(introspection_url=introspection_url))
        config.write_text(text)
        server = cls(
            base=base, imap_port=imap_port, lmtp_port=lmtp_port, config=config, auth_port=auth_port
        )
        server._launch()
        try:
            wait_for_port(imap_port)
            wait_for_port(lmtp_port)
        except RuntimeError:
            server.stop()
            raise
        return server

    def _launch(self) -> None:
        # The daemon inherits our stdout/stderr: hand it a file, not a pipe we would wait on.
        with (self.base / "startup.log").open("ab") as log:
            subprocess.run(
                ["dovecot", "-c", str(self.config)],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def stop(self) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.config), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (self.base / "run" / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self._launch()
        wait_for_port(self.imap_port)

    def kick(self, user: str) -> None:
        """End every IMAP session of ``user`` (as Exchange does when a session's token expires)."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "kick", user],
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def add_user(self, user: str, password: str = "secret") -> None:
        with (self.base / "users").open("a") as users:
            users.write(f"{user}:{{PLAIN}}{password}::::::\n")

    def maildir(self, user: str) -> Path:
        return self.base / "mail" / user


def dovecot_available() -> str | None:
    """Why Dovecot cannot run here, or None when it can."""
    if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
        return "dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
    if os.geteuid() != 0:
        return "dovecot's test instance needs root (its login process runs as dovenull)"
    return None


@dataclass(frozen=True)
class Mailbox:
    """An IMAP account on a running `Dovecot`."""

    server: Dovecot
    user: str
    password: str
