"""Settings: defaults, the file, MAILFLOW_* overrides, validation naming the key, secrets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from mailflow.config import Secret
from mailflow.config_file import DEFAULT_TOML
from mailflow.config_loader import load
from mailflow.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailflow.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_default_toml_gives_design_values(tmp_path: Path) -> None:
    settings = load(write(tmp_path, DEFAULT_TOML), environ={})
    assert settings.campaign.recipient == "maria.debrasdefer@ifla.org"
    assert settings.campaign.deadline == datetime.fromisoformat("2025-09-30T23:59:59+07:00")
    assert settings.campaign.word_limit == 200
    assert settings.imap.security == "ssl"
    assert settings.smtp.from_address == "wsis@association.example"
    assert settings.ledger.url == f"sqlite:///{tmp_path / 'mailflow.sqlite3'}"


def test_load_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[imap]\nhost = "from-file"\nport = 993\n')
    settings = load(
        path, environ={"MAILFLOW_IMAP_HOST": "from-env", "MAILFLOW_CAMPAIGN_WORD_LIMIT": "150"}
    )
    assert settings.imap.host == "from-env"
    assert settings.campaign.word_limit == 150


def test_load_password_only_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[imap]\n")
    settings = load(path, environ={"MAILFLOW_IMAP_PASSWORD": "hunter2"})
    assert settings.imap.password.reveal() == "hunter2"
    assert "hunter2" not in repr(settings)


def test_load_password_in_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as caught:
        load(path, environ={})
    assert caught.value.key == "smtp.password"
    assert "hunter2" not in str(caught.value)


def test_password_command_is_run(tmp_path: Path) -> None:
    path = write(tmp_path, '[imap]\npassword_command = "echo from-command"\n')
    assert load(path, environ={}).imap.password.reveal() == "from-command"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[imap]\nport = "x"\n', "imap.port"),
        ("[imap]\nport = 70000\n", "imap.port"),
        ('[imap]\nsecurity = "tls"\n', "imap.security"),
        ('[campaign]\nlate = "maybe"\n', "campaign.late"),
        ('[campaign]\ndeadline = "2025-09-30T23:59:59"\n', "campaign.deadline"),
        ('[campaign]\ndeadline = "soon"\n', "campaign.deadline"),
        ('[campaign]\nrecipient = "nobody"\n', "campaign.recipient"),
        ('[smtp]\nfrom = "no address"\n', "smtp.from"),
        ('[imap]\nhots = "x"\n', "imap.hots"),
        ('[ledger]\nurl = "mailflow.sqlite3"\n', "ledger.url"),
    ],
)
def test_load_invalid_value_names_the_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, toml), environ={})
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")


def test_load_unknown_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown section"):
        load(write(tmp_path, "[imapp]\n"), environ={})


def test_load_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "absent.toml", environ={})


def test_load_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "mailflow.toml"
    path.write_text('[imap]\nmaildir = "mail"\n[smtp]\noutdir = "out"\n')
    settings = load(path, environ={})
    assert settings.imap.maildir == str(tmp_path / "conf" / "mail")
    assert settings.smtp.outdir == str(tmp_path / "conf" / "out")


def test_secret_repr_hides_value() -> None:
    assert repr(Secret("hunter2")) == "Secret('***')"
    assert str(Secret("hunter2")) == "Secret('***')"


@pytest.mark.parametrize("host", ["imap.example.org", "192.0.2.10", "10.0.0.1", "::ffff:8.8.8.8"])
def test_load_imap_security_none_to_a_remote_host_is_refused(tmp_path: Path, host: str) -> None:
    path = write(tmp_path, f'[imap]\nhost = "{host}"\nport = 143\nsecurity = "none"\n')

    with pytest.raises(ConfigError) as caught:
        load(path, environ={})

    assert caught.value.key == "imap.security"
    assert str(caught.value) == (
        f"imap.security: none would send the IMAP password unencrypted to {host}; use ssl or "
        "starttls (none is allowed only for localhost and loopback addresses)"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_load_imap_security_none_to_loopback_is_allowed(tmp_path: Path, host: str) -> None:
    path = write(tmp_path, f'[imap]\nhost = "{host}"\nport = 143\nsecurity = "none"\n')

    assert load(path, environ={}).imap.security == "none"


def test_reply_to_defaults_to_the_from_address(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nfrom = "WSIS <wsis@library.test>"\n')

    assert load(path, environ={}).smtp.reply_to_header == "WSIS <wsis@library.test>"


def test_reply_to_from_the_file_is_used(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[smtp]\nfrom = "WSIS <wsis@library.test>"\nreply_to = "desk@library.test"\n'
    )

    assert load(path, environ={}).smtp.reply_to_header == "desk@library.test"


def test_reply_to_without_an_address_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nreply_to = "the desk"\n')

    with pytest.raises(ConfigError) as caught:
        load(path, environ={})

    assert caught.value.key == "smtp.reply_to"


def test_load_oauth2_section_with_secret_from_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[imap]\nauth = "oauth2"\n[smtp]\nauth = "oauth2"\n'
        '[oauth2]\nprovider = "google"\nflow = "installed"\nclient_id = "id-1"\n'
        'scopes = ["https://mail.google.com/"]\n'
        '[alerts]\nto = "coordinator@association.example"\nafter_minutes = 45\n',
    )
    settings = load(path, environ={"MAILFLOW_OAUTH2_CLIENT_SECRET": "s3cr3t"})
    assert (settings.imap.auth, settings.smtp.auth) == ("oauth2", "oauth2")
    assert (settings.oauth2.provider, settings.oauth2.flow) == ("google", "installed")
    assert settings.oauth2.scopes == ("https://mail.google.com/",)
    assert settings.oauth2.client_secret.reveal() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert (settings.alerts.to, settings.alerts.after_minutes) == (
        "coordinator@association.example",
        45.0,
    )


def test_oauth2_secret_command_is_run(tmp_path: Path) -> None:
    path = write(tmp_path, '[oauth2]\nsecret_command = "echo from-command"\n')
    assert load(path, environ={}).oauth2.client_secret.reveal() == "from-command"


def test_oauth2_secret_command_failure_names_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[oauth2]\nsecret_command = "false"\n')
    with pytest.raises(ConfigError) as caught:
        load(path, environ={}).oauth2.client_secret.reveal()
    assert str(caught.value) == "oauth2.secret_command: exited with status 1"


def test_oauth2_client_secret_in_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[oauth2]\nclient_secret = "s3cr3t"\n')
    with pytest.raises(ConfigError) as caught:
        load(path, environ={})
    assert str(caught.value) == (
        "oauth2.client_secret: secrets are not read from the file; set "
        "MAILFLOW_OAUTH2_CLIENT_SECRET or oauth2.secret_command"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[imap]\nauth = "token"\n', "imap.auth: must be one of password, oauth2"),
        ('[smtp]\nauth = "xoauth2"\n', "smtp.auth: must be one of password, oauth2"),
        (
            '[oauth2]\nprovider = "yahoo"\n',
            "oauth2.provider: must be one of microsoft, google, generic",
        ),
        ('[oauth2]\nflow = "browser"\n', "oauth2.flow: must be one of app, device, installed"),
        (
            '[oauth2]\nflow = "installed"\n',
            "oauth2.flow: microsoft signs in with flow app or device",
        ),
        (
            '[oauth2]\nprovider = "google"\nflow = "device"\n',
            'oauth2.flow: Google gives no device code for mail; use flow = "installed" (a '
            "person signs in with a browser on this machine: a Gmail account, or a Workspace "
            'one) or flow = "app" (a Google Workspace service account with domain-wide '
            "delegation)",
        ),
        ('[alerts]\nto = "coordinator"\n', "alerts.to: must be a mail address"),
        ("[alerts]\nafter_minutes = 0\n", "alerts.after_minutes: must be more than 0"),
    ],
)
def test_load_invalid_oauth2_and_alerts_names_the_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, toml), environ={})
    assert str(caught.value) == message
