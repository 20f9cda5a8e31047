"""The file `mailflow init` writes: the commented default configuration, and init's one later
edit of it (the trusted authserv-id, detected or asked for).

Reading and validating a configuration is `mailflow.config_loader`; this module only holds the
file's text and changes that one line of it, keeping the rest as the coordinator wrote it.
"""

from __future__ import annotations

import re
from pathlib import Path

from mailflow.errors import ConfigError

_AUTHSERV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")
_SECURITY_TABLE = re.compile(r"^\[security\]\s*$", re.MULTILINE)
_TRUSTED_LINE = re.compile(r"^trusted_authserv_ids\s*=\s*\[\s*\][^\n]*$", re.MULTILINE)


def trust_authserv_id(path: Path, authserv_id: str) -> None:
    """Write ``authserv_id`` into the config file as the one trusted authserv-id.

    Only a file that trusts none yet is changed: its empty ``trusted_authserv_ids`` line is
    replaced, or a ``[security]`` table added; the rest of the file is kept as written.
    """
    if not _AUTHSERV_ID.fullmatch(authserv_id):
        raise ConfigError(
            f"not an authserv-id: {authserv_id!r}", key="security.trusted_authserv_ids"
        )
    text = path.read_text(encoding="utf-8")
    line = f'trusted_authserv_ids = ["{authserv_id}"]'
    if _TRUSTED_LINE.search(text):
        text = _TRUSTED_LINE.sub(line, text, count=1)
    elif "trusted_authserv_ids" in text:
        raise ConfigError("already set; edit it by hand", key="security.trusted_authserv_ids")
    elif re.search(r"^\[security\]\s*$", text, re.MULTILINE):
        text = re.sub(
            r"^\[security\]\s*$", f"[security]\n{line}", text, count=1, flags=re.MULTILINE
        )
    else:
        text = text.rstrip("\n") + f"\n\n[security]\n{line}\n"
    path.write_text(text, encoding="utf-8")


DEFAULT_TOML = """\
# mailflow configuration. Every key can be overridden by MAILFLOW_<SECTION>_<KEY>
# (e.g. MAILFLOW_IMAP_HOST). Passwords are never read from this file: set
# MAILFLOW_IMAP_PASSWORD / MAILFLOW_SMTP_PASSWORD, or a password_command in the section.

[ledger]
url = "sqlite:///mailflow.sqlite3"     # relative to this file; or postgresql+psycopg://user@host/db

[imap]                                  # the association mailbox
host = "imap.example.org"
port = 993
security = "ssl"                        # ssl | starttls | none (none only for loopback)
user = "wsis@association.example"
folder = "INBOX"
processed_folder = ""                   # optional: move handled mail here after it is recorded
# maildir = "path/to/Maildir"           # set: read this local Maildir instead of an IMAP server
# password_command = "pass show mailflow/imap"
# auth = "password"                     # password | oauth2 (Microsoft 365, Google: see [oauth2])
# ca_file = ""                          # extra CA certificates for a private server
# workers = 0                           # processes reading a large poll's mail; 0: one per core

[smtp]
host = "smtp.example.org"
port = 587
security = "starttls"                   # ssl | starttls | none
user = "wsis@association.example"
from = "WSIS coordinator <wsis@association.example>"
# auth = "password"                     # password | oauth2
# reply_to = ""                         # where members' answers go; unset: the From address
# outdir = "outbox/"                    # set: write .eml files here instead of sending

[campaign]
name = "WSIS 2025"
association = "Example Library Association"
deadline = "2025-09-30T23:59:59+07:00"
word_limit = 200
recipient = "maria.debrasdefer@ifla.org"
late = "hold"                           # accept | hold | reject
coordinator = "WSIS coordinator <wsis@association.example>"   # signs the report's cover note
signature = ""                          # optional closing lines of the cover note
csv_dialect = "comma"                   # the report's .csv: comma | semicolon (many Excels)
note_max_words = 40                     # a shorter reply with no contribution in it is a note

[security]
trusted_authserv_ids = []               # authserv-id your own MTA stamps in Authentication-Results
max_auto_replies_per_day = 5            # loop breaker: automatic mails per address per day

# [oauth2]                              # when imap.auth or smtp.auth is "oauth2"; then
#                                       # `mailflow auth login` (see the README for the
#                                       # registration at Microsoft or Google)
# provider = "microsoft"                # microsoft | google | generic
# flow = "app"                          # app: no person signs in; device: a device code
#                                       # (microsoft, generic); installed: a browser (google)
# tenant = "contoso.onmicrosoft.com"    # microsoft: directory (tenant) ID or domain
# client_id = ""
# secret_command = "pass show mailflow/oauth2"   # or MAILFLOW_OAUTH2_CLIENT_SECRET
# service_account_file = ""             # google, flow app: the service account's JSON key
# scopes = []                           # empty: what IMAP and SMTP need at the provider
# token_url = ""                        # generic: the token endpoint
# device_url = ""                       # generic: the device authorization endpoint

# [alerts]                              # `mailflow serve` mails when mail stops flowing
# to = "coordinator@association.example"
# after_minutes = 30                    # how long a failure lasts before the alert
"""
