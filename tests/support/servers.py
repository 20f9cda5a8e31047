"""The pytest fixtures over a real Dovecot on loopback (`mailflow.testing.dovecot`).

The `dovecot` fixture is session-scoped, with the session's OAuth2 `token_server`
(`support.oauth_server`) behind its oauth2 passdb; tests isolate themselves by using their own
user (`fresh_mailbox`).
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
from support.oauth_server import TokenServer
from support.oauth_server import serve as serve_tokens

__all__ = [
    "SHARED_PASSWORD",
    "Dovecot",
    "Mailbox",
    "dovecot",
    "dovecot_available",
    "free_port",
    "fresh_mailbox",
    "token_server",
    "wait_for_port",
]


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    """The session's OAuth2 token server on loopback (`support.oauth_server`)."""
    yield from serve_tokens(tmp_path_factory.mktemp("oauth"))


@pytest.fixture(scope="session")
def dovecot(token_server: TokenServer) -> Iterator[Dovecot]:
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    # Not under pytest's tmp folder: that is mode 0700 and Dovecot's unprivileged processes
    # must reach the passwd-file and mail. Short paths also suit Dovecot's unix sockets.
    base = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-"))
    server = Dovecot.start(base, introspection_url=token_server.introspection_url)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_mailbox(dovecot: Dovecot) -> Mailbox:
    """A new, empty IMAP account on the session's Dovecot."""
    user = f"wsis-{uuid.uuid4().hex[:10]}@association.test"
    return Mailbox(dovecot, user, SHARED_PASSWORD)
