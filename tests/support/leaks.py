"""Searching what mailflow showed, logged or stored for a secret, in every form a server echoes.

`leaks` finds a secret as written, as an IMAP quoted string (also inside the repr of bytes), and
inside any base64 run at any byte offset (an ``AUTH PLAIN`` blob, or the base64 SASL string that
carries an OAuth2 token). `ledger_text` is a ledger's rows as text, optionally without a table
whose job is to hold secrets (the OAuth2 tokens themselves).
"""

from __future__ import annotations

import base64
import binascii
import re
import sqlite3
from contextlib import closing
from pathlib import Path

_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{8,}")


def leaks(text: str, secret: str) -> list[str]:
    """Where ``text`` holds ``secret``: as written, quoted, or inside a base64 run."""
    unquoted = text
    for _ in range(2):  # an IMAP quoted string, shown in the repr of bytes
        unquoted = unquoted.replace("\\\\", "\\").replace('\\"', '"')
    found = [secret] if secret in unquoted else []
    raw = secret.encode()
    for run in _BASE64_RUN.findall(text):
        for start in range(4):
            chunk = run[start:].rstrip("=")
            chunk = chunk[: len(chunk) - 1] if len(chunk) % 4 == 1 else chunk
            chunk += "=" * (-len(chunk) % 4)
            try:
                if raw in base64.b64decode(chunk):
                    found.append(run)
            except (binascii.Error, ValueError):
                continue
    return found


def ledger_text(path: Path, *, without: tuple[str, ...] = ()) -> str:
    """Every row of every table of the SQLite ledger at ``path``, but those of ``without``."""
    with closing(sqlite3.connect(path)) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in without
        ]
        return "\n".join(
            f"{table}: {row!r}"
            for table in tables
            for row in db.execute(f'SELECT * FROM "{table}"')
        )
