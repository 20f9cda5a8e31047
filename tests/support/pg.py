"""A real PostgreSQL 15 on loopback for the tests, from Debian's packages, in a temporary folder.

`Postgres.start(folder)` runs ``initdb`` as the ``postgres`` OS user (trust authentication, a
superuser named ``postgres``), then ``pg_ctl start`` on 127.0.0.1 and a free port, with its unix
socket in the same folder: the package's own cluster (``/var/lib/postgresql/15/main``, port 5432,
``/var/run/postgresql``) is neither used nor touched, running or not. Durability is switched off
(``fsync``, ``synchronous_commit``, ``full_page_writes``): a test database is thrown away anyway.
The `postgres` fixture is session-scoped; `pg_url` creates a fresh database for one test and
drops it afterwards. Tests skip with the reason where PostgreSQL cannot be started.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from support.servers import free_port, wait_for_port

#: Where Debian's postgresql-15 package puts the server programs.
PG_BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "postgres"
SUPERUSER = "postgres"


def postgres_available() -> str | None:
    """Why the test PostgreSQL cannot run here, or None when it can."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return f"PostgreSQL 15 is not installed ({PG_BIN} missing; apt-get install postgresql)"
    if os.geteuid() != 0:
        return "the test PostgreSQL needs root (it runs initdb and pg_ctl as the postgres user)"
    if shutil.which("runuser") is None:
        return "runuser (util-linux) is not installed"
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return f"there is no {OS_USER!r} OS user (it comes with the postgresql package)"
    return None


@dataclass
class Postgres:
    base: Path
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    @classmethod
    def start(cls, base: Path) -> Postgres:
        account = pwd.getpwnam(OS_USER)
        os.chown(base, account.pw_uid, account.pw_gid)
        server = cls(base=base, port=free_port())
        server._as_postgres(
            str(PG_BIN / "initdb"),
            "--pgdata",
            str(server.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        options = (
            f"-k {base} -h 127.0.0.1 -p {server.port} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        server._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "start",
            "--pgdata",
            str(server.data),
            "--log",
            str(server.log),
            "--wait",
            "--options",
            options,
        )
        try:
            wait_for_port(server.port)
        except RuntimeError:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "stop",
            "--pgdata",
            str(self.data),
            "--mode",
            "fast",
            check=False,
        )

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` (psycopg 3 driver, trust auth, no password)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"mailflow_{uuid.uuid4().hex[:12]}"
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        # FORCE ends connections a test left open (an engine not disposed, a thread still busy).
        with self._admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def _as_postgres(self, *command: str, check: bool = True) -> None:
        # The daemon inherits stdout/stderr: hand it a file, not a pipe we would wait on.
        with (self.base / "commands.log").open("ab") as log:
            done = subprocess.run(
                ["runuser", "-u", OS_USER, "--", *command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.base,
            )
        if check and done.returncode != 0:
            tail = (self.base / "commands.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{tail}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    # Not under pytest's tmp folder: its parents are mode 0700 and owned by root, and the
    # postgres user must reach its data folder. A short path also suits the unix socket.
    base = Path(tempfile.mkdtemp(prefix="mailflow-pg-"))
    # Installed but failing to start is an error, not a skip: it would hide a broken setup.
    server = Postgres.start(base)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: Postgres) -> Iterator[str]:
    """The URL of a new, empty database on the session's PostgreSQL, dropped after the test."""
    name = postgres.create_database()
    yield postgres.url(name)
    postgres.drop_database(name)


__all__ = ["Postgres", "pg_url", "postgres", "postgres_available"]
