"""mailflow: collects a library association's WSIS contributions by mail.

Members mail short reports to the association's mailbox; mailflow records every message in a
ledger, reads and judges each contribution, answers the member, and lets coordinators compile and
send one report to IFLA. The stages live in their own modules; `mailflow.pipeline` is the only
module that knows their order, and `mailflow.cli` is a thin layer over the core.
"""

__version__ = "0.1.0"
