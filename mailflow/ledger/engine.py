"""Opening the ledger, migrating it, and the one way code writes: `Ledger.transaction`.

`Ledger` owns the engine: SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE``
transactions (so two writers queue instead of failing half-way); PostgreSQL is used as given.
`Ledger.upgrade` runs the Alembic migrations in ``db/``. This is the ledger's error boundary:
whatever SQLAlchemy or the database driver raises leaves a `Ledger` method or transaction as a
`LedgerError` (`database_error` says which), so no caller needs to know SQLAlchemy's exceptions.
Recording inbound mail is in `mailflow.ledger.inbound`, a chunk's bulk insert in
`mailflow.ledger.bulk`, rows created under races in `mailflow.ledger.rows`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, and_, create_engine, event, inspect, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.orm import Session, sessionmaker

from mailflow.errors import LedgerBusyError, LedgerError, LedgerRefusedError
from mailflow.resources import db_dir

if TYPE_CHECKING:  # alembic costs a second to import: load it only when migrating
    from alembic.config import Config as AlembicConfig

#: The newest revision under ``db/versions``: the schema the models describe. The schema check
#: that runs before every command compares the ledger with it, so that check needs no Alembic
#: import (which costs more than the rest of a short command). A test asserts that it equals
#: Alembic's head, so a new migration cannot leave it behind.
HEAD_REVISION = "i14_revisions"


#: SQLite's default: a commit that leaves the WAL this long (pages) checkpoints it.
_CHECKPOINT_PAGES = 1000
#: The same for a connection held by `Ledger.hold` (about 40 MB of WAL with 4 KiB pages).
HELD_CHECKPOINT_PAGES = 10_000

#: SQLite's words for a disk that failed under it (full, read-only, gone).
_DISK_FAILURES = ("disk is full", "disk i/o error", "readonly database", "unable to open database")


def database_error(exc: SQLAlchemyError) -> LedgerError:
    """A database error as a one-line `LedgerError` a user can read.

    SQLAlchemy's own text quotes the SQL statement and its parameters, which can hold a member's
    mail: only the first line of the driver's message is kept. A held lock becomes
    `LedgerBusyError` (retrying helps), a failing disk says what to do, and a row the database
    refuses (a unique or foreign key, a value that does not fit) becomes `LedgerRefusedError`.
    """
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    detail = (str(cause).strip().splitlines() or [exc.__class__.__name__])[0][:300]
    if isinstance(exc, OperationalError) and ("locked" in detail or "busy" in detail):
        return LedgerBusyError("the ledger is locked by another process; try again", detail=detail)
    if isinstance(exc, OperationalError) and any(w in detail.lower() for w in _DISK_FAILURES):
        return LedgerError(
            f"the ledger's disk failed ({detail}); nothing committed is lost: free space or "
            "fix the disk, check with `mailflow status`, and the next poll carries on",
            detail=detail,
        )
    if isinstance(exc, IntegrityError | DataError):
        return LedgerRefusedError(f"ledger error: {detail}", detail=detail)
    return LedgerError(f"ledger error: {detail}", detail=detail)


@contextmanager
def database_errors() -> Iterator[None]:
    """Raise what SQLAlchemy raises inside as `database_error` says."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise database_error(exc) from None


def require_ledger_file(url: str) -> None:
    """A command that needs the ledger finds none: say so, and create no empty database file."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # Ledger names the bad URL
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return
    if not Path(parsed.database).exists():
        raise LedgerError(
            f"no ledger at {parsed.database}; run `mailflow init` to create it "
            "(or check ledger.url in the configuration)"
        )


class Ledger:
    """The ledger database: an engine, a session factory and its migrations."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise LedgerError(f"ledger.url is not a database URL: {url!r}") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(url, busy_timeout_s, self.is_sqlite)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        Whatever SQLAlchemy raises in it comes out as a `LedgerError` (`database_errors`).
        """
        with database_errors(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def connection(self, held: Connection | None = None) -> Iterator[Connection]:
        """A Core connection in one transaction, without an ORM session: for a hot path of a
        few statements (the outbox records each mail this way). ``held`` (from `hold`) is used
        instead of a connection from the pool, which saves the check-out. Errors as in
        `transaction`."""
        with database_errors():
            if held is None:
                with self.engine.begin() as connection:
                    yield connection
            else:
                with held.begin():
                    yield held

    @contextmanager
    def hold(self) -> Iterator[Connection]:
        """A Core connection kept for a series of `connection` transactions; none is open
        between them, so holding it locks nothing.

        On SQLite its commits checkpoint the WAL into the database only once it holds
        `HELD_CHECKPOINT_PAGES` pages, instead of SQLite's default 1,000: a checkpoint is the
        only point where a commit waits for the disk (fsync; ``synchronous=NORMAL`` writes a
        commit to the WAL without one, which survives a crash of the process), and a series of
        small commits (one per mail sent) would otherwise wait for one every ~150 of them. The
        WAL is checkpointed when the connection is let go.
        """
        with database_errors(), self.engine.connect() as connection:
            if not self.is_sqlite:
                yield connection
                return
            # On the driver's connection: through SQLAlchemy a statement would begin a transaction.
            driver = connection.connection.driver_connection
            assert driver is not None  # a connection checked out of the pool
            driver.execute(f"PRAGMA wal_autocheckpoint={HELD_CHECKPOINT_PAGES}")
            try:
                yield connection
            finally:
                if not connection.in_transaction():
                    driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
                driver.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")

    def commit_row_update(
        self, held: Connection, table: Table, where: Mapping[str, Any], values: Mapping[str, Any]
    ) -> None:
        """``UPDATE table SET values WHERE where`` (equalities) committed on its own, on ``held``.

        The same as a Core UPDATE in `connection`, for a statement run once per mail: on SQLite
        it goes to the driver's connection directly (``BEGIN IMMEDIATE``, the UPDATE, ``COMMIT``),
        each value through its column type's bind processing, which saves SQLAlchemy's
        transaction and execution work (about half of such a commit's cost). Errors as in
        `transaction`.
        """
        if not self.is_sqlite:
            with self.connection(held) as connection:
                clauses = [table.c[name] == value for name, value in where.items()]
                connection.execute(update(table).where(and_(*clauses)).values(**values))
            return
        dialect = self.engine.dialect
        params: list[Any] = []
        for name, value in (*values.items(), *where.items()):
            process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            params.append(process(value) if process is not None else value)
        sql = (
            f"UPDATE {table.name} SET {', '.join(f'{name} = ?' for name in values)} "
            f"WHERE {' AND '.join(f'{name} = ?' for name in where)}"
        )
        driver = held.connection.driver_connection
        assert driver is not None  # a connection checked out of the pool
        try:
            driver.execute("BEGIN IMMEDIATE")
            try:
                driver.execute(sql, params)
                driver.execute("COMMIT")
            except BaseException:
                driver.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise database_error(DBAPIError.instance(sql, params, exc, sqlite3.Error)) from None

    # -- migrations -----------------------------------------------------------------------------
    def alembic_config(self) -> AlembicConfig:
        from alembic.config import Config as AlembicConfig

        config = AlembicConfig()
        config.set_main_option("script_location", str(db_dir()))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision``."""
        from alembic import command

        try:
            command.upgrade(self.alembic_config(), revision)
        except SQLAlchemyError as exc:
            error = database_error(exc)
            raise type(error)(
                f"could not upgrade the ledger at {self.safe_url}: {error.detail}",
                detail=error.detail,
            ) from None

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with database_errors(), self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def stored_revisions(self) -> tuple[str, ...]:
        """The revisions recorded in ``alembic_version``; empty for a ledger never migrated.

        One plain query, without Alembic (what `require_current` runs before every command).
        """
        with database_errors(), self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return ()
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return tuple(sorted(str(version) for version in rows.scalars()))

    def require_current(self) -> None:
        """Raise a clear error unless the schema is at head (the CLI then suggests a fix)."""
        try:
            stored = self.stored_revisions()
        except LedgerBusyError:
            raise
        except LedgerError as exc:
            raise LedgerError(f"cannot open the ledger at {self.safe_url}: {exc.detail}") from None
        if stored != (HEAD_REVISION,):
            current = ", ".join(stored) or "none"
            raise LedgerError(
                f"the ledger at {self.safe_url} is not up to date "
                f"(revision {current}); run `mailflow db upgrade` or `mailflow init`"
            )

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)


def _make_engine(url: str, busy_timeout_s: float, is_sqlite: bool) -> Engine:
    if not is_sqlite:
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE below is what runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # A writer takes the lock up front, so it waits (busy_timeout) instead of failing later
        # when a read transaction tries to become a write transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
