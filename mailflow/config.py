"""Settings: what each section of ``mailflow.toml`` holds, its defaults, and the values it allows.

The sections are frozen dataclasses (`Settings` holds one of each); passwords and other secrets
are held in a `Secret` whose repr hides them. Reading a file and ``MAILFLOW_*`` variables into
these classes, and validating what was read, is `mailflow.config_loader`; the file `mailflow
init` writes is `mailflow.config_file`. This module opens no connections and no databases (see
`mailflow.sources`, `mailflow.answering.sinks`, `mailflow.ledger`).
"""

from __future__ import annotations

import ipaddress
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from mailflow.errors import ConfigError
from mailflow.redact import register

SECURITY_MODES = ("ssl", "starttls", "none")
AUTH_METHODS = ("password", "oauth2")
OAUTH2_PROVIDERS = ("microsoft", "google", "generic")
OAUTH2_FLOWS = ("app", "device", "installed")
#: What happens to a contribution that arrives after the deadline (`mailflow.reading.validate`).
LATE_POLICIES = ("accept", "hold", "reject")
CSV_DIALECTS = ("comma", "semicolon")
DEFAULT_ASSOCIATION = "Example Library Association"
DEFAULT_DEADLINE = datetime.fromisoformat("2025-09-30T23:59:59+07:00")


class Secret:
    """A password that never shows itself in a repr, a log line or an exception."""

    def __init__(self, value: str = "", command: str = "", *, key: str = "password_command"):
        self._value = value
        self._command = command
        self._key = key  # the setting that names the command, for error messages

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value or self._command)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and (self._value, self._command) == (
            other._value,
            other._command,
        )

    def __hash__(self) -> int:
        return hash((self._value, self._command))

    def reveal(self) -> str:
        """The secret itself; runs its command (``password_command``…) when so configured.

        The value is registered with `mailflow.redact`, so no server that echoes it gets it
        into an error, a log line or the ledger.
        """
        if self._value or not self._command:
            register(self._value)
            return self._value
        try:
            done = subprocess.run(
                shlex.split(self._command), capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"could not run: {exc.__class__.__name__}", key=self._key) from None
        if done.returncode != 0:
            raise ConfigError(f"exited with status {done.returncode}", key=self._key)
        value = done.stdout.rstrip("\n")
        register(value)
        return value


@dataclass(frozen=True)
class LedgerSettings:
    url: str = "sqlite:///mailflow.sqlite3"
    busy_timeout_s: float = 30.0


@dataclass(frozen=True)
class ImapSettings:
    host: str = "imap.example.org"
    port: int = 993
    security: str = "ssl"
    user: str = "wsis@association.example"
    password: Secret = field(default_factory=Secret)
    auth: str = "password"  # password | oauth2 (then [oauth2] says how to get a token)
    folder: str = "INBOX"
    processed_folder: str = ""
    maildir: str = ""
    ca_file: str = ""
    chunk_size: int = 200
    workers: int = 0  # processes for the pure stages of a large poll; 0: one per CPU core
    timeout_s: float = 60.0
    poll_interval_s: float = 60.0

    @property
    def account(self) -> str:
        """Identity of the mailbox in the ledger: ``maildir:<path>`` or ``imap:<user>@<host>``."""
        if self.maildir:
            return f"maildir:{self.maildir}"
        return f"imap:{self.user}@{self.host}:{self.port}"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "smtp.example.org"
    port: int = 587
    security: str = "starttls"
    user: str = "wsis@association.example"
    password: Secret = field(default_factory=Secret)
    auth: str = "password"  # password | oauth2
    from_: str = "WSIS coordinator <wsis@association.example>"
    reply_to: str = ""  # where members' answers go; empty: the From address
    outdir: str = ""
    ca_file: str = ""
    timeout_s: float = 30.0
    max_attempts: int = 8
    retry_base_s: float = 60.0

    @property
    def from_address(self) -> str:
        """The bare address of ``from``, lower-cased."""
        return parseaddr(self.from_)[1].lower()

    @property
    def reply_to_header(self) -> str:
        """The Reply-To of mailflow's mail: ``reply_to`` when configured, else ``from``."""
        return self.reply_to or self.from_


@dataclass(frozen=True)
class CampaignSettings:
    name: str = "WSIS 2025"
    association: str = DEFAULT_ASSOCIATION
    deadline: datetime = DEFAULT_DEADLINE
    word_limit: int = 200
    recipient: str = "maria.debrasdefer@ifla.org"
    late: str = "hold"
    summary: str = ""
    coordinator: str = ""  # "Name <address>": signs the report's cover note ([smtp] from if unset)
    signature: str = ""  # closing lines of the cover note (role, telephone…)
    csv_dialect: str = "comma"  # the report's contributions.csv: comma | semicolon
    note_max_words: int = 40


@dataclass(frozen=True)
class SecuritySettings:
    trusted_authserv_ids: tuple[str, ...] = ()
    max_auto_replies_per_day: int = 5


@dataclass(frozen=True)
class OAuth2Settings:
    """How mailflow gets an access token when ``imap.auth`` or ``smtp.auth`` is ``oauth2``."""

    provider: str = "microsoft"  # microsoft | google | generic
    # app: no person signs in (Microsoft client credentials, Google service account);
    # device: a person signs in once with `mailflow auth login` (device code);
    # installed: the same with a browser on this machine (Google consumer accounts).
    flow: str = "app"
    tenant: str = ""  # microsoft: the directory (tenant) id or domain
    client_id: str = ""
    client_secret: Secret = field(default_factory=Secret)
    scopes: tuple[str, ...] = ()  # empty: the provider's scopes for IMAP and SMTP
    authority: str = ""  # microsoft: default https://login.microsoftonline.com/<tenant>
    token_url: str = ""  # generic: the token endpoint; google: overrides Google's
    device_url: str = ""  # generic: the device authorization endpoint
    auth_url: str = ""  # generic/google installed flow: the authorization endpoint
    service_account_file: str = ""  # google app flow: the service account's JSON key
    ca_file: str = ""  # extra CA certificates for a private token server
    refresh_margin_s: float = 300.0  # refresh this long before the access token expires
    timeout_s: float = 30.0


@dataclass(frozen=True)
class AlertSettings:
    """Who hears about it when mail stops flowing, and after how long."""

    to: str = ""  # the coordinator's address; empty: alerts only in the log and `status`
    after_minutes: float = 30.0


@dataclass(frozen=True)
class Settings:
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    imap: ImapSettings = field(default_factory=ImapSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    campaign: CampaignSettings = field(default_factory=CampaignSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    oauth2: OAuth2Settings = field(default_factory=OAuth2Settings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    path: Path | None = None  # the file these settings came from, if any
    warnings: tuple[str, ...] = ()  # e.g. a MAILFLOW_* variable that sets nothing


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback address literals (127.0.0.0/8, ::1): the only hosts a
    password may reach unencrypted."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
