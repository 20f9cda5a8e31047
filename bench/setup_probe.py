"""Prepare one benchmark ledger in one process: ``python bench/setup_probe.py CONFIG ROSTER.csv``.

Does what ``mailflow init`` (create and migrate the ledger) and ``mailflow members import`` do,
through the same core functions, so that setting up an instance costs one interpreter start
instead of two. Nothing here is measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mailflow import config_loader
from mailflow import members as roster
from mailflow.app import App


def main(argv: list[str]) -> int:
    app = App(config_loader.load(argv[0]))
    app.ledger(check_schema=False).upgrade()
    with app.ledger().transaction() as session:
        result = roster.import_csv(session, Path(argv[1]))
    app.close()
    print(f"{result.added} members added")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
