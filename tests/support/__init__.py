"""What mailflow's tests share: real servers on loopback and the places of test data.

- `servers` — Dovecot (IMAP + LMTP) from a config of its own; `pg` — a PostgreSQL cluster;
  `postfix` — Postfix as a loopback MTA; `smtp_server` — an in-process aiosmtpd server that can
  fail, drop and hang up on command; `tls_servers` — the same behind TLS with a private CA;
- `oauth_server` — an OAuth2 token server (discovery, token, device code, introspection) that
  Dovecot and mailflow both ask; `mail` — mail to put in a mailbox or send, and reading it back;
  `serving` — `mailflow serve` in a thread with short waits;
- `settings` — mailflow settings pointed at those servers; `browser` — a real headless Chromium.

Fixtures are made visible to every test by ``tests/conftest.py``; tests import classes and helpers
from here (``from support.servers import Mailbox``), never from ``conftest``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The tests folder, and the repository around it.
TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
#: Hand-checked contributions with their expected reading (``*.eml`` + ``*.json``).
GOLDEN = TESTS / "golden"
#: Small fixed inputs of single tests.
DATA = TESTS / "data"
#: The shared corpus of real-world mail: ``../shared/corpus`` beside the checkout.
CORPUS = Path(os.environ.get("MAILFLOW_TEST_CORPUS") or ROOT.parent / "shared" / "corpus")
