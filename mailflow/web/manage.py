"""The console's pages for the roster, the report and the outbox, with their forms.

Members (list and search, add, give or take an address, import, deactivate), the report (as
IFLA will read it, its files, whether the folder or the ledger changed since the compile,
compiling it, and sending it behind a confirmation step with the same rules as
``mailflow send-report``) and the outbox (mail by state with the reasons of failures; a failed
mail can be sent again). Each view reads through one `App` method and
each form calls one.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from mailflow.answering.i18n import SUPPORTED_LANGUAGES
from mailflow.answering.outbox import Delivery
from mailflow.members import ImportResult, normalise_address
from mailflow.web import messages
from mailflow.web.guard import core, who
from mailflow.web.language import _

blueprint = Blueprint("manage", __name__)

#: The report's HTML is the mail IFLA reads: inline styles, no script, framed by the console only.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@blueprint.route("/members")
def members() -> str:
    query = request.args.get("q", "").strip()
    page = core().member_page(query, _page_number())
    return render_template("members.html", page=page, query=query, languages=SUPPORTED_LANGUAGES)


@blueprint.route("/members/add", methods=["POST"])
def add_member() -> BaseResponse:
    form = request.form
    given = [a for a in re.split(r"[\s,;]+", form.get("email", "")) if a]
    addresses = [normalise_address(a) for a in given]
    if not addresses or not all(addresses):
        flash(_("Give one or more mail addresses, separated by spaces or commas."))
        return redirect(url_for("manage.members"))
    done = core().add_member(
        addresses,
        name=form.get("name", "").strip(),
        organisation=form.get("organisation", "").strip(),
        country=form.get("country", "").strip(),
        language=form.get("language", "").strip().lower(),
        who=who(),
    )
    shown = ", ".join(addresses)
    if done.created:
        flash(_("Added %(addresses)s.", addresses=shown))
    else:
        flash(_("Updated the member with %(addresses)s.", addresses=shown))
    return redirect(url_for("manage.members", q=addresses[0]))


@blueprint.route("/members/alias", methods=["POST"])
def member_alias() -> BaseResponse:
    """Give a member further addresses, or take one away (the rules of ``members alias``)."""
    form = request.form
    member = form.get("member", "")
    back = redirect(url_for("manage.members", q=form.get("q", "")))
    if form.get("remove"):
        done = core().remove_aliases(member, [form["remove"]], who=who())
        shown = ", ".join(done.changed)
        flash(
            _(
                "Removed %(addresses)s from %(member)s; the submissions sent from it stay "
                "with the member.",
                addresses=shown,
                member=done.member,
            )
        )
        if done.new_primary:
            flash(_("%(address)s is now the primary address.", address=done.primary))
        return back
    given = [a for a in re.split(r"[\s,;]+", form.get("add", "")) if a]
    if not given or not all(normalise_address(a) for a in given):
        flash(_("Give one or more mail addresses, separated by spaces or commas."))
        return back
    done = core().add_aliases(member, given, who=who())
    if done.changed:
        flash(
            _(
                "Added %(addresses)s to %(member)s.",
                addresses=", ".join(done.changed),
                member=done.member,
            )
        )
    if done.unchanged:
        flash(
            _(
                "%(member)s already has %(addresses)s.",
                member=done.member,
                addresses=", ".join(done.unchanged),
            )
        )
    return back


@blueprint.route("/members/import", methods=["POST"])
def import_members() -> str | BaseResponse:
    """A CSV's preview (the file is read and checked, nothing changes), then the import."""
    form = request.form
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        name, data = upload.filename, upload.read()
    else:
        name, data = form.get("name", "members.csv"), base64.b64decode(form.get("data", ""))
    name = Path(name).name or "members.csv"
    confirmed = form.get("confirm") == "yes"
    with tempfile.TemporaryDirectory(prefix="mailflow-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        result = core().import_members(path, dry_run=not confirmed, who=who())
    if confirmed:
        flash(_("Imported: %(added)s added, %(updated)s updated.", **_counts(result)))
        return redirect(url_for("manage.members"))
    return render_template(
        "import_preview.html",
        result=result,
        name=name,
        data=base64.b64encode(data).decode("ascii"),
    )


def _counts(result: ImportResult) -> dict[str, int]:
    return {"added": result.added, "updated": result.updated}


@blueprint.route("/members/deactivate", methods=["POST"])
def deactivate_member() -> BaseResponse:
    address = request.form.get("address", "")
    name = core().deactivate_member(address, who=who())
    flash(_("%(name)s gets no more calls or reminders.", name=name))
    return redirect(url_for("manage.members", q=request.form.get("q", "")))


# -- the outbox ------------------------------------------------------------------------------------
@blueprint.route("/outbox")
def outbox() -> str:
    state = request.args.get("state", "")
    page = core().outbox_page(state, _page_number())
    return render_template("outbox.html", page=page, state=state)


@blueprint.route("/outbox/retry", methods=["POST"])
def retry() -> BaseResponse:
    """Queue failed mail again (one, or every failed one) and send the outbox now."""
    app = core()
    if request.form.get("all") == "failed":
        retried = app.retry_outbox(all_failed=True, who=who())
    else:
        try:
            ids = [int(request.form.get("id", ""))]
        except ValueError:
            abort(400)
        retried = app.retry_outbox(ids, who=who())
    delivery = app.flush_outbox() if retried else Delivery()
    flash(
        _(
            "Queued again: %(count)s; sent now: %(sent)s.",
            count=len(retried),
            sent=delivery.get("sent", 0),
        )
    )
    not_sent = messages.delivery_text(delivery)
    if not_sent:
        flash(not_sent)
    return redirect(url_for("manage.outbox", state=request.form.get("state", "")))


# -- the report ------------------------------------------------------------------------------------
def _report_dir() -> Path:
    folder = current_app.extensions["mailflow.report_dir"]
    assert isinstance(folder, Path)
    return folder


@blueprint.route("/report")
def report() -> str:
    return render_template("report.html", state=core().report_state(), report_dir=_report_dir())


def _compiled_file(name: str) -> bytes:
    """A file of the compiled report, by a name its manifest lists (and no other)."""
    draft = core().report_state()["draft"]
    if draft is None or name not in draft["files"] or not draft["folder"]:
        abort(404)
    try:
        return (Path(draft["folder"]) / name).read_bytes()
    except OSError:
        abort(404)


@blueprint.route("/report/view")
def report_view() -> Response:
    """The compiled report.html, shown inside the report page (sandboxed, no script)."""
    response = Response(_compiled_file("report.html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@blueprint.route("/report/files/<name>")
def report_file(name: str) -> Response:
    return Response(
        _compiled_file(name),
        mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.route("/report/compile", methods=["POST"])
def compile_report() -> BaseResponse:
    compiled = core().compile_report(_report_dir(), who=who())
    flash(_("The report is compiled (contributions: %(count)s).", count=compiled.entries))
    for warning in compiled.warnings:
        flash(messages.say(warning))
    return redirect(url_for("manage.report"))


@blueprint.route("/report/send", methods=["GET", "POST"])
def send_report() -> str | BaseResponse:
    """A confirmation page, then the send itself (refused as ``send-report`` refuses)."""
    app = core()
    if request.method == "GET":
        return render_template(
            "send_report.html", state=app.report_state(), recipient=app.settings.campaign.recipient
        )
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the report should go to IFLA now."))
        return redirect(url_for("manage.send_report"))
    sent = app.send_report(resend=request.form.get("resend") == "yes", who=who())
    flash(messages.say(sent.message))
    return redirect(url_for("manage.report"))
