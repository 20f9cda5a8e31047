"""The least any correct program does for the same job: the denominators of the ratios.

``python bench/baselines.py ingest --port P --user U`` fetches every message of the IMAP INBOX in
bulk (UID FETCH of BODY.PEEK[] in chunks, as mailflow does), parses each with ``email`` and
``policy.default``, and decodes every leaf part (text parts to str, attachments to bytes).
``python bench/baselines.py smtp --port P --dir D`` sends every ``*.eml`` in D (file name
``<recipient>.eml``) over one SMTP connection with a bare smtplib loop. Both run in their own
process, like the mailflow commands they are compared with, and print what they did. They use
the standard library only; no mailflow code is imported.
"""

from __future__ import annotations

import argparse
import imaplib
import smtplib
import sys
from email import policy
from email.parser import BytesParser
from pathlib import Path

PASSWORD = "s3cret-imap"  # mailflow.testing.dovecot.SHARED_PASSWORD (no mailflow import here)


def ingest(port: int, user: str, chunk: int) -> int:
    """Fetch, parse and decode every message; return how many were read."""
    parser = BytesParser(policy=policy.default)
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(user, PASSWORD)
    client.select("INBOX", readonly=True)
    _, data = client.uid("SEARCH", "ALL")
    uids = data[0].split() if data and data[0] else []
    count = 0
    decoded = 0
    for start in range(0, len(uids), chunk):
        part_uids = b",".join(uids[start : start + chunk]).decode()
        _, fetched = client.uid("FETCH", part_uids, "(UID INTERNALDATE BODY.PEEK[])")
        for item in fetched:
            if not isinstance(item, tuple):
                continue
            message = parser.parsebytes(item[1])
            for part in message.walk():
                if part.is_multipart():
                    continue
                content = part.get_content()
                decoded += len(content)
            count += 1
    client.logout()
    print(f"ingested {count} messages, {decoded} characters or bytes decoded")
    return count


def smtp(port: int, folder: Path, sender: str) -> int:
    """Send every ``<recipient>.eml`` in ``folder`` over one connection; return the count."""
    files = sorted(folder.glob("*.eml"))
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        for path in files:
            client.sendmail(sender, [path.stem], path.read_bytes())
    print(f"sent {len(files)} messages")
    return len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="job", required=True)
    p_ingest = sub.add_parser("ingest")
    p_ingest.add_argument("--port", type=int, required=True)
    p_ingest.add_argument("--user", required=True)
    p_ingest.add_argument("--chunk", type=int, default=200)
    p_smtp = sub.add_parser("smtp")
    p_smtp.add_argument("--port", type=int, required=True)
    p_smtp.add_argument("--dir", type=Path, required=True)
    p_smtp.add_argument("--sender", default="wsis@association.test")
    args = parser.parse_args(argv)
    if args.job == "ingest":
        ingest(args.port, args.user, args.chunk)
    else:
        smtp(args.port, args.dir, args.sender)
    return 0


if __name__ == "__main__":
    sys.exit(main())
