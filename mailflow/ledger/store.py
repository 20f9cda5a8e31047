"""Opening the ledger, migrating it, and the idempotent writes everything else builds on.

`Ledger` owns the engine: SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE``
transactions (so two writers queue instead of failing half-way); PostgreSQL is used as given.
`Ledger.upgrade` runs the Alembic migrations in ``db/``; `Ledger.transaction` is the one way code
writes. The functions below record inbound messages exactly once (by location, then by
Message-ID + SHA-256), keep the mailbox cursor, and keep the campaign row in step with the
config. Two processes may share one ledger: on SQLite ``BEGIN IMMEDIATE`` makes writers take
turns; on PostgreSQL rows that two pollers could both create are made through `get_or_create`,
and `cursor_for(..., lock=True)` makes the pollers of one mailbox take turns per chunk.
Queries for the CLI's views live in `mailflow.views`; the order of work in `mailflow.pipeline`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Mapper, Session, defer, sessionmaker
from sqlalchemy.orm.interfaces import MANYTOONE

from mailflow.config import CampaignSettings
from mailflow.errors import LedgerBusyError, LedgerError
from mailflow.ledger.models import Base, Campaign, InboundMessage, MailboxCursor
from mailflow.resources import db_dir
from mailflow.sources.base import FetchedMessage
from mailflow.states import InboundState, MessageKind

if TYPE_CHECKING:  # alembic costs a second to import: load it only when migrating
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The newest revision under ``db/versions``: the schema the models describe. The schema check
#: that runs before every command compares the ledger with it, so that check needs no Alembic
#: import (which costs more than the rest of a short command). A test asserts that it equals
#: Alembic's head, so a new migration cannot leave it behind.
HEAD_REVISION = "i18_web_console"


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
        """A session in one transaction: committed on success, rolled back on any error."""
        try:
            with self.sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise _plain(exc) from None

    @contextmanager
    def connection(self, held: Connection | None = None) -> Iterator[Connection]:
        """A Core connection in one transaction, without an ORM session: for a hot path of a
        few statements (the outbox records each mail this way). ``held`` (from `hold`) is used
        instead of a connection from the pool, which saves the check-out."""
        try:
            if held is None:
                with self.engine.begin() as connection:
                    yield connection
            else:
                with held.begin():
                    yield held
        except OperationalError as exc:
            raise _plain(exc) from None

    @contextmanager
    def hold(self) -> Iterator[Connection]:
        """A Core connection kept for a series of `connection` transactions; none is open
        between them, so holding it locks nothing."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except OperationalError as exc:
            raise _plain(exc) from None

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
            raise LedgerError(f"could not upgrade the ledger at {self.safe_url}: {exc}") from None

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def stored_revisions(self) -> tuple[str, ...]:
        """The revisions recorded in ``alembic_version``; empty for a ledger never migrated.

        One plain query, without Alembic (what `require_current` runs before every command).
        """
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return ()
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return tuple(sorted(str(version) for version in rows.scalars()))

    def require_current(self) -> None:
        """Raise a clear error unless the schema is at head (the CLI then suggests a fix)."""
        try:
            stored = self.stored_revisions()
        except OperationalError as exc:
            error = _plain(exc)
            if isinstance(error, LedgerBusyError):
                raise error from None
            raise LedgerError(f"cannot open the ledger at {self.safe_url}: {exc.orig}") from None
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot open the ledger at {self.safe_url}: {exc}") from None
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


#: SQLite's words for a disk that failed under it (full, read-only, gone).
_DISK_FAILURES = ("disk is full", "disk i/o error", "readonly database", "unable to open database")


def _plain(exc: OperationalError) -> LedgerError:
    """A database error as a one-line `LedgerError`; a held lock becomes `LedgerBusyError`, a
    failing disk says what to do."""
    if "locked" in str(exc.orig) or "busy" in str(exc.orig):
        return LedgerBusyError("the ledger is locked by another process; try again")
    if any(words in str(exc.orig).lower() for words in _DISK_FAILURES):
        return LedgerError(
            f"the ledger's disk failed ({exc.orig}); nothing committed is lost: free space or "
            "fix the disk, check with `mailflow status`, and the next poll carries on"
        )
    return LedgerError(f"ledger error: {exc.orig}")


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


# -- inbound messages ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordResult:
    message: InboundMessage
    new: bool  # False: this location or these exact bytes were already recorded


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def known_keys(session: Session, account: str, folder: str, keys: Sequence[str]) -> set[str]:
    """Which of these source keys the ledger already holds for (account, folder)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found.update(
            session.scalars(
                select(InboundMessage.source_key).where(
                    InboundMessage.account == account,
                    InboundMessage.folder == folder,
                    InboundMessage.source_key.in_(chunk),
                )
            )
        )
    return found


class PendingRows:
    """New rows of one chunk, kept out of the session and inserted together at its end.

    A poll creates a few thousand rows per chunk (messages, submissions, queued mail), and the
    session's unit of work costs more per row than the database does: change tracking, sorting
    the rows by their dependencies, fetching back each key. Rows given to `add` are left
    transient (never added to a session); `write`, inside the chunk's transaction, inserts them
    with one executemany per table, parents before children (a submission that supersedes one
    of the same chunk waits for it), takes the new primary keys from RETURNING, and sets each
    row's key and the foreign keys its many-to-one relationships imply. Columns a row leaves
    unset or None get their column default, as the ORM would give them. After `write` the rows
    are plain records of what was written: reading them is fine, changing them writes nothing.
    """

    def __init__(self) -> None:
        self._rows: list[Base] = []

    def add(self, row: Base) -> None:
        self._rows.append(row)

    def write(self, session: Session) -> None:
        """Insert every row added so far; raises what the database raises (nothing is left
        half-written outside the caller's transaction)."""
        by_class: dict[type[Base], list[Base]] = {}
        for row in self._rows:
            by_class.setdefault(type(row), []).append(row)
        order = {table.name: i for i, table in enumerate(Base.metadata.sorted_tables)}
        connection = session.connection()
        for cls in sorted(by_class, key=lambda c: order[_table(inspect(c)).name]):
            mapper: Mapper[Base] = inspect(cls)
            waiting = by_class[cls]
            while waiting:
                ready = [row for row in waiting if not _waits(mapper, row)]
                if not ready:
                    raise LedgerError(f"{cls.__name__} rows refer to each other in a cycle")
                _insert(connection, mapper, ready)
                written = {id(row) for row in ready}
                waiting = [row for row in waiting if id(row) not in written]
        self._rows.clear()


def _parents(mapper: Mapper[Base], row: Base) -> Iterator[tuple[Any, Base]]:
    """(relationship, parent row) for each many-to-one relationship ``row`` has set."""
    for relation in mapper.relationships:
        if relation.direction is MANYTOONE:
            parent = row.__dict__.get(relation.key)
            if parent is not None:
                yield relation, parent


def _waits(mapper: Mapper[Base], row: Base) -> bool:
    """True while a parent of ``row`` has no key yet (the parent is written first)."""
    return any(
        getattr(parent, remote.key) is None
        for relation, parent in _parents(mapper, row)
        for _local, remote in relation.local_remote_pairs
    )


def _table(mapper: Mapper[Base]) -> Table:
    table = mapper.local_table
    assert isinstance(table, Table)  # every model maps one table
    return table


def _insert(connection: Any, mapper: Mapper[Base], rows: list[Base]) -> None:
    table = _table(mapper)
    (key_column,) = mapper.primary_key
    columns = [prop for prop in mapper.column_attrs if not prop.columns[0].primary_key]
    values: list[dict[str, Any]] = []
    for row in rows:
        state = row.__dict__
        # Like the ORM: an unset or None attribute gets the column default (NULL without one).
        params = {
            prop.columns[0].key: _default(prop) if state.get(prop.key) is None else state[prop.key]
            for prop in columns
        }
        for relation, parent in _parents(mapper, row):
            for local, remote in relation.local_remote_pairs:
                params[local.key] = getattr(parent, remote.key)
        values.append(params)
    statement = insert(table).returning(table.c[key_column.name], sort_by_parameter_order=True)
    keys = connection.execute(statement, values).scalars().all()
    for row, key, params in zip(rows, keys, values, strict=True):
        setattr(row, key_column.name, key)
        for relation, _parent in _parents(mapper, row):
            for local, _remote in relation.local_remote_pairs:
                setattr(row, local.key, params[local.key])


def _default(prop: Any) -> Any:
    """The value the column's default gives a row that leaves it unset."""
    default = prop.columns[0].default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps a default callable to take a context
    return default.arg


class RecordedIndex:
    """The recorded messages whose bytes match any of a chunk's, found in one query.

    `record_inbound` consults it instead of querying once per message, and adds what it
    records, so the same bytes twice in one chunk are still recorded once.
    """

    def __init__(self, session: Session, raws: Sequence[bytes]) -> None:
        self._by_digest: dict[str, list[InboundMessage]] = {}
        digests = list({sha256(raw) for raw in raws})
        for start in range(0, len(digests), 500):
            for row in session.scalars(
                select(InboundMessage)
                .options(defer(InboundMessage.raw))
                .where(InboundMessage.sha256.in_(digests[start : start + 500]))
                .order_by(InboundMessage.id)
            ):
                self.add(row)

    def add(self, message: InboundMessage) -> None:
        self._by_digest.setdefault(message.sha256, []).append(message)

    def find(self, digest: str, message_id: str | None) -> InboundMessage | None:
        for row in self._by_digest.get(digest, ()):
            if row.message_id == message_id:
                return row
        return None


def record_inbound(
    session: Session,
    fetched: FetchedMessage,
    *,
    account: str,
    folder: str,
    uidvalidity: int,
    message_id: str | None,
    sender: str,
    subject: str,
    recorded: RecordedIndex | None = None,
    pending: PendingRows | None = None,
) -> RecordResult:
    """Record one fetched message unless the same bytes are already in the ledger.

    A message is the same when its SHA-256 matches and its Message-ID matches (or both have
    none): that is how a rescan after a UIDVALIDITY change, or a copy in a second folder,
    is recognised. The existing row then learns its new location, so later moves find it.
    ``recorded``, when given, holds every recorded row these bytes could match (one query per
    chunk instead of one per message). With ``pending``, a new row is left to it (written at
    the end of the chunk); without, it is added to the session and flushed.
    """
    if recorded is None:
        recorded = RecordedIndex(session, [fetched.raw])
    digest = sha256(fetched.raw)
    existing = recorded.find(digest, message_id)
    key = f"{uidvalidity}:{fetched.key}" if fetched.uid is not None else fetched.key
    if existing is not None:
        if (existing.account, existing.folder) == (account, folder):
            existing.uidvalidity, existing.uid, existing.source_key = uidvalidity, fetched.uid, key
        return RecordResult(existing, new=False)
    message = InboundMessage(
        account=account,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=fetched.uid,
        source_key=key,
        message_id=message_id,
        sha256=digest,
        size=len(fetched.raw),
        raw=fetched.raw,
        internal_date=fetched.internal_date,
        sender=sender[:320],
        subject=subject,
        kind=MessageKind.UNKNOWN.value,
        state=InboundState.RECORDED.value,
    )
    if pending is not None:
        pending.add(message)
    else:
        session.add(message)
        session.flush()
    recorded.add(message)
    return RecordResult(message, new=True)


def get_or_create(session: Session, query: Select[T], make: Callable[[], T]) -> T:
    """The row ``query`` finds, else a new one from ``make``, also when another process races.

    Two transactions that both find nothing both insert; on PostgreSQL the second waits on the
    unique index until the first commits, then fails. That insert runs in a savepoint, so only
    the savepoint is undone, and the row the other process committed is read instead.
    (On SQLite ``BEGIN IMMEDIATE`` already keeps the two apart.)
    """
    found = session.scalars(query).first()
    if found is not None:
        return found
    created = make()
    session.flush()  # so an error below can only come from this insert
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:
        return session.scalars(query).one()
    return created


def cursor_for(
    session: Session, account: str, folder: str, uidvalidity: int, *, lock: bool = False
) -> MailboxCursor:
    """The cursor row for this mailbox generation, created at UID 0 when new.

    With ``lock``, the row stays locked (``SELECT … FOR UPDATE``) until the transaction ends:
    two pollers of one mailbox then take turns per chunk, and the second one sees, and does not
    record again, what the first one committed. SQLite ignores the clause; its ``BEGIN
    IMMEDIATE`` already serializes writers.
    """
    query = select(MailboxCursor).where(
        MailboxCursor.account == account,
        MailboxCursor.folder == folder,
        MailboxCursor.uidvalidity == uidvalidity,
    )
    if lock:
        query = query.with_for_update()
    return get_or_create(
        session,
        query,
        lambda: MailboxCursor(account=account, folder=folder, uidvalidity=uidvalidity, last_uid=0),
    )


def sync_campaign(session: Session, settings: CampaignSettings) -> Campaign:
    """The campaign row named in the config, created or updated to match it."""
    campaign = get_or_create(
        session,
        select(Campaign).where(Campaign.name == settings.name),
        lambda: Campaign(
            name=settings.name,
            deadline=settings.deadline,
            word_limit=settings.word_limit,
            recipient=settings.recipient,
        ),
    )
    campaign.deadline = settings.deadline
    campaign.word_limit = settings.word_limit
    campaign.recipient = settings.recipient
    session.flush()
    return campaign
