"""The pytest fixtures over a real Dovecot on loopback (`mailflow.testing.dovecot`).

The `dovecot` fixture is session-scoped; tests isolate themselves by using their own user
(`fresh_mailbox`).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.testing.dovecot import (
    SHARED_PASSWORD,
    Dovecot,
    Mailbox,
    dovecot_available,
    free_port,
    wait_for_port,
)

__all__ = [
    "SHARED_PASSWORD",
    "Dovecot",
    "Mailbox",
    "dovecot",
    "dovecot_available",
    "free_port",
    "fresh_mailbox",
    "wait_for_port",
]


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    # Not under pytest's tmp folder: that is mode 0700 and Dovecot's unprivileged processes
    # must reach the passwd-file and mail. Short paths also suit Dovecot's unix sockets.
    base = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-"))
    server = Dovecot.start(base)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_mailbox(dovecot: Dovecot) -> Mailbox:
    """A new, empty IMAP account on the session's Dovecot."""
    user = f"wsis-{uuid.uuid4().hex[:10]}@association.test"
    return Mailbox(dovecot, user, SHARED_PASSWORD)
