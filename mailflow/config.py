"""Settings: embedded defaults, then ``mailflow.toml``, then ``MAILFLOW_<SECTION>_<KEY>`` variables.

`load` reads and validates the whole configuration once and returns frozen dataclasses; every
error names the key it is about (``imap.port: must be an integer``). Passwords never come from the
file: only from ``MAILFLOW_IMAP_PASSWORD`` / ``MAILFLOW_SMTP_PASSWORD`` or a ``password_command``,
and they are held in a `Secret` whose repr hides them. Relative paths (the SQLite file, a Maildir,
the file sink's folder) are resolved against the folder of the config file. This module reads
settings only; it does not open connections or databases (see `mailflow.sources`,
`mailflow.answering.sinks`, `mailflow.ledger`).
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import shlex
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from mailflow.errors import ConfigError
from mailflow.redact import register

ENV_PREFIX = "MAILFLOW_"
DEFAULT_FILE = "mailflow.toml"
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


_SECTIONS: dict[str, type] = {
    "ledger": LedgerSettings,
    "imap": ImapSettings,
    "smtp": SmtpSettings,
    "campaign": CampaignSettings,
    "security": SecuritySettings,
    "oauth2": OAuth2Settings,
    "alerts": AlertSettings,
}

#: The key that names a command printing a section's secret (default ``password_command``).
_COMMAND_KEYS = {"oauth2": "secret_command"}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback address literals (127.0.0.0/8, ::1): the only hosts a
    password may reach unencrypted."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: ``--config``, else ``MAILFLOW_CONFIG``, else ``./mailflow.toml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MAILFLOW_CONFIG")
    return Path(env) if env else Path(DEFAULT_FILE)


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    required: bool = False,
) -> Settings:
    """Load and validate settings; ``required`` makes a missing file an error."""
    environ = os.environ if environ is None else environ
    file = config_path(path)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot be read: {exc.strerror}") from None
    elif required or path is not None:
        raise ConfigError(f"{file}: no such file (run `mailflow init` to write one)")
    base = file.resolve().parent if file.exists() else Path.cwd()
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        first = sorted(unknown)[0]
        raise ConfigError("unknown section" + _did_you_mean(first, _SECTIONS), key=first)
    sections = {
        name: _section(name, cls, data.get(name, {}), environ, base)
        for name, cls in _SECTIONS.items()
    }
    return Settings(
        **sections, path=file if file.exists() else None, warnings=unknown_variables(environ)
    )


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``" (did you mean security?)"`` for the nearest candidate, or "" when none is near."""
    near = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {near[0]}?)" if near else ""


#: Variables of mailflow that are not settings; ``MAILFLOW_TEST_*`` belong to its test suite.
OTHER_VARIABLES = ("MAILFLOW_CONFIG",)


def known_variables() -> list[str]:
    """Every ``MAILFLOW_*`` variable mailflow reads."""
    names = list(OTHER_VARIABLES)
    for section, cls in _SECTIONS.items():
        for f in fields(cls):
            key = f.name.rstrip("_").upper()
            names.append(f"{ENV_PREFIX}{section.upper()}_{key}")
            if f.type in ("Secret", Secret):
                names.append(f"{ENV_PREFIX}{section.upper()}_{key}_COMMAND")
    return names


def unknown_variables(environ: Mapping[str, str]) -> tuple[str, ...]:
    """A warning for each ``MAILFLOW_*`` variable that sets nothing (a typo, most often)."""
    known = known_variables()
    return tuple(
        f"{name} is not a mailflow setting and is ignored{_did_you_mean(name, known)}"
        for name in sorted(environ)
        if name.startswith(ENV_PREFIX)
        and name not in known
        and not name.startswith(f"{ENV_PREFIX}TEST_")
    )


def _section(name: str, cls: type, table: Any, environ: Mapping[str, str], base: Path) -> Any:
    if not isinstance(table, dict):
        raise ConfigError("must be a table", key=name)
    known = {f.name.rstrip("_"): f for f in fields(cls)}
    command_key = _COMMAND_KEYS.get(name, "password_command")
    for key in table:
        if key not in known and key != command_key:
            secrets = [f.name for f in fields(cls) if f.type in ("Secret", Secret)]
            candidates = [*known, *((command_key,) if secrets else ())]
            raise ConfigError("unknown key" + _did_you_mean(key, candidates), key=f"{name}.{key}")
    values: dict[str, Any] = {}
    for key, f in known.items():
        env_value = environ.get(f"{ENV_PREFIX}{name.upper()}_{key.upper()}")
        if f.type in ("Secret", Secret):
            if key in table:
                raise ConfigError(
                    f"secrets are not read from the file; set {ENV_PREFIX}{name.upper()}_"
                    f"{key.upper()} or {name}.{command_key}",
                    key=f"{name}.{key}",
                )
            command = environ.get(f"{ENV_PREFIX}{name.upper()}_{command_key.upper()}") or table.get(
                command_key, ""
            )
            if not isinstance(command, str):
                raise ConfigError("must be a string", key=f"{name}.{command_key}")
            values[f.name] = Secret(env_value or "", command, key=f"{name}.{command_key}")
            continue
        if env_value is not None:
            raw: Any = env_value
        elif key in table:
            raw = table[key]
        else:
            continue
        values[f.name] = _coerce(f"{name}.{key}", f.type, raw, from_env=env_value is not None)
    settings = cls(**values)
    _validate(name, settings, base)
    return _resolve_paths(name, settings, base)


def _coerce(key: str, kind: Any, raw: Any, *, from_env: bool) -> Any:
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise ValueError
            return int(raw)
        if kind == "float":
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise ValueError
            return float(raw)
        if kind == "datetime":
            value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
            if value.tzinfo is None:
                raise ConfigError("needs a time zone, e.g. 2025-09-30T23:59:59+07:00", key=key)
            return value
        if kind == "tuple[str, ...]":
            if isinstance(raw, str):
                return tuple(part.strip() for part in raw.split(",") if part.strip())
            if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
                return tuple(raw)
            raise ValueError
        if not isinstance(raw, str):
            raise ValueError
        return raw
    except ConfigError:
        raise
    except ValueError:
        expected = {"int": "an integer", "float": "a number", "datetime": "an ISO 8601 date-time"}
        raise ConfigError(
            f"must be {expected.get(kind, 'a string' if kind == 'str' else 'a list of strings')}",
            key=key,
        ) from None


def _validate(name: str, settings: Any, base: Path) -> None:
    if isinstance(settings, ImapSettings | SmtpSettings):
        if settings.security not in SECURITY_MODES:
            raise ConfigError(f"must be one of {', '.join(SECURITY_MODES)}", key=f"{name}.security")
        if not 0 < settings.port < 65536:
            raise ConfigError("must be between 1 and 65535", key=f"{name}.port")
    if (
        isinstance(settings, ImapSettings)
        and settings.security == "none"
        and not settings.maildir
        and not is_loopback(settings.host)
    ):
        raise ConfigError(
            f"none would send the IMAP password unencrypted to {settings.host}; use ssl or "
            "starttls (none is allowed only for localhost and loopback addresses)",
            key="imap.security",
        )
    if isinstance(settings, ImapSettings | SmtpSettings) and settings.auth not in AUTH_METHODS:
        raise ConfigError(f"must be one of {', '.join(AUTH_METHODS)}", key=f"{name}.auth")
    if isinstance(settings, OAuth2Settings):
        _validate_oauth2(settings)
    if isinstance(settings, AlertSettings):
        if settings.to and "@" not in parseaddr(settings.to)[1]:
            raise ConfigError("must be a mail address", key="alerts.to")
        if settings.after_minutes <= 0:
            raise ConfigError("must be more than 0", key="alerts.after_minutes")
    if isinstance(settings, ImapSettings) and settings.chunk_size < 1:
        raise ConfigError("must be at least 1", key="imap.chunk_size")
    if isinstance(settings, ImapSettings) and settings.workers < 0:
        raise ConfigError("must be 0 (one per CPU core) or more", key="imap.workers")
    if isinstance(settings, SmtpSettings):
        if "@" not in settings.from_address:
            raise ConfigError("must contain an address", key="smtp.from")
        if settings.max_attempts < 1:
            raise ConfigError("must be at least 1", key="smtp.max_attempts")
        if settings.reply_to and "@" not in parseaddr(settings.reply_to)[1]:
            raise ConfigError("must contain an address", key="smtp.reply_to")
    if isinstance(settings, CampaignSettings):
        if settings.late not in LATE_POLICIES:
            raise ConfigError(f"must be one of {', '.join(LATE_POLICIES)}", key="campaign.late")
        if settings.word_limit < 1:
            raise ConfigError("must be at least 1", key="campaign.word_limit")
        if settings.note_max_words < 0:
            raise ConfigError("must be 0 or more", key="campaign.note_max_words")
        if "@" not in parseaddr(settings.recipient)[1]:
            raise ConfigError("must be a mail address", key="campaign.recipient")
        if settings.csv_dialect not in CSV_DIALECTS:
            raise ConfigError(
                f"must be one of {', '.join(CSV_DIALECTS)}", key="campaign.csv_dialect"
            )
    if isinstance(settings, LedgerSettings) and "://" not in settings.url:
        raise ConfigError(
            "must be a database URL such as sqlite:///mailflow.sqlite3", key="ledger.url"
        )


def _validate_oauth2(settings: OAuth2Settings) -> None:
    """Each provider's own needs; checked even when no section uses oauth2 (a typo shows now)."""
    if settings.provider not in OAUTH2_PROVIDERS:
        raise ConfigError(f"must be one of {', '.join(OAUTH2_PROVIDERS)}", key="oauth2.provider")
    if settings.flow not in OAUTH2_FLOWS:
        raise ConfigError(f"must be one of {', '.join(OAUTH2_FLOWS)}", key="oauth2.flow")
    if settings.provider == "microsoft" and settings.flow == "installed":
        raise ConfigError("microsoft signs in with flow app or device", key="oauth2.flow")
    if settings.provider == "google" and settings.flow == "device":
        # Google's device flow does not grant https://mail.google.com/.
        raise ConfigError("google signs in with flow app or installed", key="oauth2.flow")
    if settings.provider == "generic" and settings.flow == "installed":
        raise ConfigError("generic signs in with flow app or device", key="oauth2.flow")
    if settings.refresh_margin_s < 0:
        raise ConfigError("must be 0 or more", key="oauth2.refresh_margin_s")


def _resolve_paths(name: str, settings: Any, base: Path) -> Any:
    from dataclasses import replace

    if isinstance(settings, LedgerSettings) and settings.url.startswith("sqlite:///"):
        rest = settings.url.removeprefix("sqlite:///")
        if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
            return replace(settings, url=f"sqlite:///{base / rest}")
    if isinstance(settings, ImapSettings) and settings.maildir:
        return replace(settings, maildir=str((base / settings.maildir).resolve()))
    if isinstance(settings, SmtpSettings) and settings.outdir:
        return replace(settings, outdir=str((base / settings.outdir).resolve()))
    if isinstance(settings, OAuth2Settings) and settings.service_account_file:
        path = str((base / settings.service_account_file).resolve())
        return replace(settings, service_account_file=path)
    return settings
