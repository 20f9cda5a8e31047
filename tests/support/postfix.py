"""The pytest fixture over Postfix on loopback (`mailflow.testing.postfix`).

Make ``postfix_mta`` visible from ``tests/conftest.py`` next to ``dovecot``::

    from support.postfix import postfix_mta  # noqa: F401  (pytest finds fixtures by name)

It is session-scoped, depends on the ``dovecot`` fixture (whose auth service takes its SMTP AUTH,
XOAUTH2 and OAUTHBEARER included) and delivers for ``DOMAINS``; a test sends
to ``postfix_mta.host``/``postfix_mta.smtp_port`` and reads the mail back from Dovecot over IMAP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.testing.dovecot import Dovecot
from mailflow.testing.postfix import DOMAINS, Postfix, master_cf, postfix_available

__all__ = ["DOMAINS", "Postfix", "master_cf", "postfix_available", "postfix_mta"]


@pytest.fixture(scope="session")
def postfix_mta(dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postfix]:
    """Postfix on 127.0.0.1 delivering `DOMAINS` to the session's Dovecot over LMTP."""
    reason = postfix_available()
    if reason:
        pytest.skip(reason)
    base = Path(tmp_path_factory.mktemp("postfix", numbered=True))
    with Postfix.start(
        base, domains=DOMAINS, lmtp_port=dovecot.lmtp_port, sasl_port=dovecot.auth_port
    ) as server:
        yield server
