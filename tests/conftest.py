"""Fixtures for every test: real servers on loopback (from `support`) and mailflow settings.

Shared classes and helpers live in the `support` package; tests import them from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support.pg import pg_url, postgres  # noqa: F401  (fixtures by name)
from support.postfix import postfix_mta  # noqa: F401  (fixtures by name)
from support.servers import (  # noqa: F401  (fixtures by name)
    Dovecot,
    Mailbox,
    dovecot,
    fresh_mailbox,
    token_server,
)
from support.smtp_server import (  # noqa: F401  (pytest finds fixtures by name)
    auth_smtp_server,
    smtp_server,
    starttls_smtp_server,
    tls_ca,
    tls_smtp_server,
)

from mailflow.config import (
    CampaignSettings,
    ImapSettings,
    LedgerSettings,
    Settings,
    SmtpSettings,
)
from mailflow.ledger import Ledger
from mailflow.redact import forget

#: Test modules whose tests run once per ledger backend, with ids ``[sqlite]`` and ``[postgresql]``.
BOTH_BACKENDS = frozenset({"test_ledger", "test_outbox", "test_poll_imap"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `ledger_backend` for the modules in `BOTH_BACKENDS`.

    A test whose name says ``sqlite`` is about SQLite itself and runs only there. The PostgreSQL
    runs carry the ``servers`` mark, like every test that needs a real server.
    """
    if "ledger_backend" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rpartition(".")[2]
    if module not in BOTH_BACKENDS or "sqlite" in metafunc.function.__name__:
        return
    metafunc.parametrize(
        "ledger_backend",
        ["sqlite", pytest.param("postgresql", marks=pytest.mark.servers)],
    )


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Each test starts with no registered secret: a password one test revealed ("wrong", say)
    must not be masked out of the replies another test checks."""
    forget()
    yield
    forget()


@pytest.fixture
def ledger_backend() -> str:
    """The ledger's database kind: SQLite, unless `pytest_generate_tests` says otherwise."""
    return "sqlite"


@pytest.fixture
def settings(tmp_path: Path, ledger_backend: str, request: pytest.FixtureRequest) -> Settings:
    """Settings for a throwaway ledger, an empty Maildir and the file sink.

    The ledger is SQLite, or a fresh PostgreSQL database when `ledger_backend` is
    ``postgresql``. The campaign's deadline is far ahead, so mail arriving now is on time.
    """
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    if ledger_backend == "postgresql":
        url = str(request.getfixturevalue("pg_url"))
    else:
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return Settings(
        ledger=LedgerSettings(url=url),
        imap=ImapSettings(maildir=str(maildir), user="wsis@association.test"),
        smtp=SmtpSettings(
            from_="WSIS coordinator <wsis@association.test>", outdir=str(tmp_path / "sent")
        ),
        campaign=CampaignSettings(deadline=datetime.fromisoformat("2099-09-30T23:59:59+07:00")),
    )


@pytest.fixture
def ledger(settings: Settings) -> Ledger:
    """A ledger migrated to head."""
    opened = Ledger(settings.ledger.url)
    opened.upgrade()
    yield opened  # type: ignore[misc]
    opened.close()
