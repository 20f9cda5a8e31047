"""A ledger of N recorded contributions without a mail server, for profiling the report's compile.

``python bench/report_ledger.py FOLDER N`` writes contributions 0 … N-1 of `bench/corpus.py`
(about 95 % accepted) into ``FOLDER/Maildir`` and polls them with mailflow's own pipeline
(`mailflow.pipeline.run_once` over the Maildir source, no mail sent), leaving
``FOLDER/mailflow.toml`` and ``FOLDER/ledger.sqlite3``. It needs no Dovecot, so it suits quick
profiling; then ``python bench/compile_probe.py FOLDER/mailflow.toml OUTDIR`` times a compile.
The bench's own ``compile_s`` figure still compiles a ledger that ``mailflow poll`` filled over
IMAP.
"""

from __future__ import annotations

import sys
from pathlib import Path

import corpus

from mailflow import config_loader, members, pipeline
from mailflow.app import App

CONFIG = """[ledger]
url = "sqlite:///ledger.sqlite3"

[imap]
maildir = "Maildir"
user = "wsis-compile@association.test"

[smtp]
outdir = "sent"
host = "127.0.0.1"
port = 25
security = "none"
user = ""
from = "WSIS coordinator <wsis@association.test>"

[campaign]
name = "WSIS bench"
association = "Benchmark Library Association"
deadline = "2099-12-31T23:59:59+00:00"
word_limit = 200
recipient = "ifla@association.test"
"""


def build(folder: Path, count: int) -> None:
    maildir = folder / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (maildir / "new" / f"bench-{i:06d}.eml").write_bytes(corpus.contribution(i))
    (folder / "mailflow.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "members.csv").write_text(corpus.members_csv(count), encoding="utf-8")
    app = App(config_loader.load(folder / "mailflow.toml"))
    app.ledger(check_schema=False).upgrade()
    ledger = app.ledger()
    with ledger.transaction() as session:
        members.import_csv(session, folder / "members.csv")
    summary = pipeline.run_once(app.settings, ledger, send=False)
    print(summary.line())
    app.close()


def main(argv: list[str]) -> int:
    build(Path(argv[0]), int(argv[1]))
    print(f"{argv[1]} contributions recorded in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
