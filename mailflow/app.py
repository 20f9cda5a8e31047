"""The core object the CLI (and the service) work through: settings plus an open ledger.

`App` loads nothing by itself: it is given validated `Settings` and opens the ledger on first use,
checking that its schema is current. Commands call one method or one function of the core with it.
It holds no business rules; those live in the stage modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailflow.config import Settings
from mailflow.ledger import Ledger


@dataclass
class App:
    settings: Settings
    _ledger: Ledger | None = field(default=None, repr=False)

    def ledger(self, *, check_schema: bool = True) -> Ledger:
        """The ledger, opened once; by default it must be migrated to head."""
        if self._ledger is None:
            s = self.settings.ledger
            self._ledger = Ledger(s.url, busy_timeout_s=s.busy_timeout_s)
        if check_schema:
            self._ledger.require_current()
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
