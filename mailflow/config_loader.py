"""Loading settings: embedded defaults, then ``mailflow.toml``, then ``MAILFLOW_<SECTION>_<KEY>``.

`load` reads and validates the whole configuration once and returns the frozen dataclasses of
`mailflow.config`; every error names the key it is about (``imap.port: must be an integer``).
Passwords never come from the file: only from ``MAILFLOW_IMAP_PASSWORD`` /
``MAILFLOW_SMTP_PASSWORD`` or a ``password_command`` (the `Secret` runs it when revealed).
Relative paths (the SQLite file, a Maildir, the file sink's folder) are resolved against the
folder of the config file. This module reads settings only; what each section holds is
`mailflow.config`, the file `mailflow init` writes is `mailflow.config_file`.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from mailflow.config import (
    AUTH_METHODS,
    CSV_DIALECTS,
    LATE_POLICIES,
    OAUTH2_FLOWS,
    OAUTH2_PROVIDERS,
    SECURITY_MODES,
    AlertSettings,
    CampaignSettings,
    ImapSettings,
    LedgerSettings,
    OAuth2Settings,
    Secret,
    SecuritySettings,
    Settings,
    SmtpSettings,
    is_loopback,
)
from mailflow.errors import ConfigError

ENV_PREFIX = "MAILFLOW_"
DEFAULT_FILE = "mailflow.toml"

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
        raise ConfigError(
            'Google gives no device code for mail; use flow = "installed" (a person signs in '
            'with a browser on this machine: a Gmail account, or a Workspace one) or flow = "app" '
            "(a Google Workspace service account with domain-wide delegation)",
            key="oauth2.flow",
        )
    if settings.provider == "generic" and settings.flow == "installed":
        raise ConfigError("generic signs in with flow app or device", key="oauth2.flow")
    if settings.refresh_margin_s < 0:
        raise ConfigError("must be 0 or more", key="oauth2.refresh_margin_s")


def _resolve_paths(name: str, settings: Any, base: Path) -> Any:
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
