"""The ledger is an error boundary: every SQLAlchemy error leaves it as a `LedgerError`."""

from __future__ import annotations

import inspect

import pytest
import sqlalchemy.exc

from mailflow.errors import LedgerBusyError, LedgerError, LedgerRefusedError
from mailflow.ledger import Ledger, database_error

SECRET = "the member's contribution"


def _every_error() -> list[sqlalchemy.exc.SQLAlchemyError]:
    """One instance of each error class SQLAlchemy defines, carrying SQL and parameters where
    the class takes them."""
    made = []
    for cls in vars(sqlalchemy.exc).values():
        if not (inspect.isclass(cls) and issubclass(cls, sqlalchemy.exc.SQLAlchemyError)):
            continue
        statement, params = f"INSERT INTO t VALUES ('{SECRET}')", {"raw": SECRET}
        if issubclass(cls, sqlalchemy.exc.DBAPIError):
            made.append(cls(statement, params, Exception("refused")))
        elif issubclass(cls, sqlalchemy.exc.StatementError):
            made.append(cls("refused", statement, params, ValueError("refused")))
        elif cls is sqlalchemy.exc.CircularDependencyError:
            made.append(cls("a cycle", cycles=set(), edges=set()))
        elif cls in (sqlalchemy.exc.NoReferencedTableError,):
            made.append(cls("no table", "t"))
        elif cls is sqlalchemy.exc.NoReferencedColumnError:
            made.append(cls("no column", "t", "c"))
        elif cls is sqlalchemy.exc.UnsupportedCompilationError:
            made.append(cls(object(), object))
        elif cls is sqlalchemy.exc.ObjectNotExecutableError:
            made.append(cls(object()))
        else:
            made.append(cls("refused"))
    return made


ERRORS = _every_error()


def test_every_error_class_of_sqlalchemy_is_tried() -> None:
    assert len(ERRORS) == len(
        [
            c
            for c in vars(sqlalchemy.exc).values()
            if inspect.isclass(c) and issubclass(c, sqlalchemy.exc.SQLAlchemyError)
        ]
    )


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__class__.__name__)
def test_transaction_maps_every_sqlalchemy_error(
    ledger: Ledger, error: sqlalchemy.exc.SQLAlchemyError
) -> None:
    with pytest.raises(LedgerError) as raised, ledger.transaction():
        raise error

    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert SECRET not in str(raised.value)
    assert "INSERT" not in str(raised.value)


def test_database_error_keeps_the_first_line_of_the_drivers_reason() -> None:
    error = sqlalchemy.exc.IntegrityError(
        "INSERT INTO inbound_messages (raw) VALUES (%(raw)s)",
        {"raw": SECRET.encode()},
        Exception('duplicate key value violates unique constraint "uq"\nDETAIL:  Key (x)=(1)'),
    )

    mapped = database_error(error)

    assert (type(mapped), str(mapped), mapped.detail) == (
        LedgerRefusedError,
        'ledger error: duplicate key value violates unique constraint "uq"',
        'duplicate key value violates unique constraint "uq"',
    )


@pytest.mark.parametrize("reason", ["database is locked", "database table is busy"])
def test_database_error_a_held_lock_is_busy(reason: str) -> None:
    error = sqlalchemy.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception(reason))

    mapped = database_error(error)

    assert (type(mapped), str(mapped)) == (
        LedgerBusyError,
        "the ledger is locked by another process; try again",
    )


def test_database_error_a_value_that_does_not_fit_is_refused() -> None:
    error = sqlalchemy.exc.DataError("INSERT", {}, Exception("value too long for type"))

    assert type(database_error(error)) is LedgerRefusedError


def test_transaction_leaves_mailflow_errors_as_they_are(ledger: Ledger) -> None:
    error = LedgerError("mine")

    with pytest.raises(LedgerError) as raised, ledger.transaction():
        raise error

    assert raised.value is error
