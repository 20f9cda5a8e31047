"""The console's pages for the roster, the report and the outbox, with their forms.

Members (list, search, add, deactivate, import a CSV after a preview), the report (as IFLA
will read it, its files, whether the ledger changed since the compile, and sending it behind a
confirmation step) and the outbox (mail by state with the reasons of failures). Each view reads
through one `App` method and each form calls one.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from mailflow.web.guard import core

blueprint = Blueprint("manage", __name__)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@blueprint.route("/members")
def members() -> str:
    query = request.args.get("q", "").strip()
    page = core().member_page(query, _page_number())
    return render_template("members.html", page=page, query=query)


@blueprint.route("/outbox")
def outbox() -> str:
    state = request.args.get("state", "")
    page = core().outbox_page(state, _page_number())
    return render_template("outbox.html", page=page, state=state)


@blueprint.route("/report")
def report() -> str:
    return render_template("report.html", status=core().status())
