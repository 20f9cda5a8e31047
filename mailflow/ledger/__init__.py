"""The ledger: SQLAlchemy models (`models`); sessions, migrations, idempotent writes (`store`)."""

from mailflow.ledger.store import Ledger

__all__ = ["Ledger"]
