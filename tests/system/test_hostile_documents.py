"""A poll of mail carrying hostile documents stays under 512 MiB and within the reading budget.

The bombs (tests/support/bombs.py) are those a probe used: a .docx whose directory declares a
few kilobytes for 1 GiB of XML, legal .docx and .odt files holding 29 MiB of dense XML, an .odt
with 4 MiB of it (under the cap: read, slowly), and a PDF page with 10 MiB of text. The poll runs
in a fresh interpreter, which reports its peak RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from support import bombs

from mailflow import members
from mailflow.config import Settings
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, Submission

#: Peak RSS allowed for a whole poll, whatever the mail.
POLL_MEMORY_MIB = 512

#: The poll, reporting its peak RSS as VmHWM: the high-water mark of this program's own memory.
#: Not getrusage's ru_maxrss, which Linux carries over an exec from the process that forked it:
#: started from a long test session, it reported the session's 700 MiB as the poll's.
MEASURED_POLL = """
import json, sys
import mailflow.cli
try:
    mailflow.cli.main(["--config", sys.argv[1], "poll", "--no-send"], standalone_mode=False)
finally:
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"peak_mib": kib / 1024}), file=sys.stderr)
"""


def hostile_documents() -> dict[int, bytes]:
    return {
        1: bombs.attached(bombs.forged_docx(1 << 30), "forged.docx", bombs.DOCX_TYPE, number=1),
        2: bombs.attached(bombs.dense_docx(29 << 20), "dense.docx", bombs.DOCX_TYPE, number=2),
        3: bombs.attached(bombs.dense_odt(29 << 20), "dense.odt", bombs.ODT_TYPE, number=3),
        4: bombs.attached(bombs.dense_odt(4 << 20), "slow.odt", bombs.ODT_TYPE, number=4),
        5: bombs.attached(bombs.dense_pdf(10 << 20), "dense.pdf", "application/pdf", number=5),
    }


@pytest.mark.slow
def test_poll_of_hostile_documents_stays_under_512_mib_and_the_budget(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["hoa@members.test"], name="Hoa", language="vi")
    for number, raw in hostile_documents().items():
        name = f"1700000000.M{number}P1Q{number}.host"
        (Path(settings.imap.maildir) / "new" / name).write_bytes(raw)
    config = tmp_path / "mailflow.toml"
    config.write_text(
        f'[ledger]\nurl = "{settings.ledger.url}"\n'
        f'[imap]\nmaildir = "{settings.imap.maildir}"\nuser = "wsis@association.test"\n'
        f'[smtp]\nfrom = "WSIS <wsis@association.test>"\noutdir = "{settings.smtp.outdir}"\n'
        '[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    started = time.monotonic()

    done = subprocess.run(
        [sys.executable, "-c", MEASURED_POLL, str(config)],
        env=env,
        capture_output=True,
        timeout=300,
    )

    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    peak = json.loads(done.stderr.decode().strip().splitlines()[-1])["peak_mib"]
    print(f"peak {peak:.0f} MiB, {seconds:.1f} s")
    assert peak < POLL_MEMORY_MIB, peak
    # Five messages, one of them stopped at the 20 s budget: never 30 to 80 s a message.
    assert seconds < 5 * 20, seconds
    with ledger.transaction() as session:
        rows = session.execute(
            select(InboundMessage.message_id, Submission.issues)
            .join(Submission, Submission.inbound_id == InboundMessage.id)
            .order_by(InboundMessage.id)
        ).all()
    codes = {message_id: sorted({i["code"] for i in issues}) for message_id, issues in rows}
    assert list(codes) == [f"<bomb-{n}@members.test>" for n in range(1, 6)]
    for n in (1, 2, 3):
        assert "unreadable_attachment" in codes[f"<bomb-{n}@members.test>"], codes
    assert "unreadable_attachment" not in codes["<bomb-4@members.test>"], codes
    assert {"too_large", "unreadable_attachment"} <= set(codes["<bomb-5@members.test>"]), codes
