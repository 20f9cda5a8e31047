"""A ledger of N recorded contributions without a mailbox, for profiling the report's compile.

``python bench/report_ledger.py FOLDER N`` writes ``FOLDER/mailflow.toml`` and
``FOLDER/ledger.sqlite3`` holding contributions 0 … N-1 of `bench/corpus.py` (about 95 %
accepted), each read, extracted and judged by mailflow's own stages (`mailflow.mime`,
`mailflow.contribution`, `mailflow.validate`, in two processes) and recorded through
`mailflow.ledger.store` and `mailflow.submissions`, as a poll records them, but without IMAP,
classification or confirmations. 11,000 contributions take about three minutes instead of a
poll's many. Then ``python bench/compile_probe.py FOLDER/mailflow.toml OUTDIR`` times a compile.
The bench's own ``compile_s`` figure still compiles a ledger that ``mailflow poll`` filled.
"""

from __future__ import annotations

import multiprocessing
import sys
from datetime import UTC, datetime
from pathlib import Path

import corpus

from mailflow import config, members, mime, submissions
from mailflow.app import App
from mailflow.contribution import Contribution, extract
from mailflow.ledger import store
from mailflow.processing import Context
from mailflow.sources.base import FetchedMessage
from mailflow.validate import judge

CONFIG = """[ledger]
url = "sqlite:///ledger.sqlite3"

[imap]
host = "127.0.0.1"
port = 1
security = "none"
user = "wsis-compile@association.test"
folder = "INBOX"

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


def _read(i: int) -> tuple[int, bytes, datetime | None, Contribution]:
    raw = corpus.contribution(i)
    text = mime.read_message(raw)
    return i, raw, text.date, extract(text)


def build(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mailflow.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "members.csv").write_text(corpus.members_csv(count), encoding="utf-8")
    app = App(config.load(folder / "mailflow.toml"))
    app.ledger(check_schema=False).upgrade()
    ledger = app.ledger()
    with ledger.transaction() as session:
        members.import_csv(session, folder / "members.csv")
    with multiprocessing.Pool(2) as pool:
        read = pool.map(_read, range(count), chunksize=200)
    with ledger.transaction() as session:
        context = Context.load(session, app.settings)
        for i, raw, date, contribution in read:
            sender = corpus.member_address(i)
            received_at = date or datetime.now(UTC)
            fetched = FetchedMessage(None, f"bench-{i}", raw, received_at)
            inbound = store.record_inbound(
                session,
                fetched,
                account=app.settings.imap.user,
                folder="INBOX",
                uidvalidity=1,
                message_id=f"<bench-{i}@{corpus.MEMBER_DOMAIN}>",
                sender=sender,
                subject=corpus.SUBJECTS[corpus.language(i)],
            ).message
            member = members.find_by_address(session, sender)
            verdict = judge(
                contribution,
                is_member=member is not None,
                received_at=received_at,
                authentication_results=[],
                rules=context.rules,
            )
            submissions.record(
                session,
                campaign_id=context.campaign_id,
                inbound=inbound,
                member=member,
                sender=sender,
                contribution=contribution,
                verdict=verdict,
                received_at=received_at,
                attachments=[],
                charset_fallback=False,
                previous=None,
            )
    app.close()


def main(argv: list[str]) -> int:
    build(Path(argv[0]), int(argv[1]))
    print(f"{argv[1]} contributions recorded in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
