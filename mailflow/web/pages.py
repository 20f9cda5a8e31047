"""The console's reading pages and the decisions taken on a submission.

Dashboard (the campaign at a glance and what needs doing), the submissions list (filters,
search, pages) and a submission's page (text, fields, issues, versions, mail, decisions, raw
message), with the forms that review a held submission, edit the text that goes to IFLA, add an
English version and attach it to a member. Each view reads through one `App` method and each
form calls one; after a post the browser is sent back to the page (post/redirect/get).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from mailflow.answering import explain
from mailflow.answering.model import IssueNote
from mailflow.browse import Filters
from mailflow.intake import campaign_info
from mailflow.web import language, messages
from mailflow.web.guard import core, who
from mailflow.web.labels import (
    decision_label,
    issue_label,
    kind_label,
    language_label,
    outbox_label,
    section_label,
    source_label,
    status_label,
)
from mailflow.web.language import _, ngettext

blueprint = Blueprint("pages", __name__)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@blueprint.app_context_processor
def _account() -> dict[str, Any]:
    return {"account": g.get("account")}


@blueprint.route("/")
def dashboard() -> str:
    app = core()
    status = app.status()
    return render_template(
        "dashboard.html",
        status=status,
        todo=todo(status),
        lists=status["todo"],
        decisions=app.recent_decisions(8),
        deadline=app.settings.campaign.deadline,
    )


def todo(status: dict[str, Any]) -> list[dict[str, str]]:
    """The status's open points as sentences, most urgent first, each with a link."""
    items: list[dict[str, str]] = []

    def add(level: str, text: str, url: str = "") -> None:
        items.append({"level": level, "text": text, "url": url})

    subs, outbox, report = status["submissions"], status["outbox"], status["report"]
    if status["service"]["last_error"]:
        error = messages.say(status["service"]["last_error"])
        add("bad", _("The last run failed: %(error)s", error=error))
    for warning in status["warnings"]:
        add("warn", messages.say(warning))
    if outbox.get("failed"):
        add(
            "bad",
            ngettext(
                "%(num)d mail could not be sent.",
                "%(num)d mails could not be sent.",
                outbox["failed"],
            ),
            url_for("manage.outbox", state="failed"),
        )
    lists = status["todo"]
    changed = status["report"].get("changed_since_sent", 0)  # contributions, as `status` says
    if changed:
        add(
            "warn",
            ngettext(
                "%(num)d contribution changed since the report was sent.",
                "%(num)d contributions changed since the report was sent.",
                changed,
            ),
            url_for("manage.report"),
        )
    if subs.get("held"):
        add(
            "warn",
            ngettext(
                "%(num)d submission is held for your review.",
                "%(num)d submissions are held for your review.",
                subs["held"],
            ),
            url_for("pages.submission_list", status="held"),
        )
    bouncing = status["members"]["undeliverable_addresses"]
    if bouncing:
        add(
            "warn",
            ngettext(
                "%(num)d member address bounces.", "%(num)d member addresses bounce.", bouncing
            ),
            url_for("manage.members"),
        )
    silent = len(lists["not_answered"])
    if silent:
        add(
            "info",
            ngettext(
                "%(num)d member has not answered yet.",
                "%(num)d members have not answered yet.",
                silent,
            ),
            "#not-answered",
        )
    notes = len(lists["member_notes"])
    if notes:
        add(
            "info",
            ngettext(
                "%(num)d short reply from a member (such as “Thanks!”); nothing to answer.",
                "%(num)d short replies from members (such as “Thanks!”); nothing to answer.",
                notes,
            ),
            "#member-notes",
        )
    if outbox.get("queued"):
        add(
            "info",
            ngettext(
                "%(num)d mail waits in the outbox.",
                "%(num)d mails wait in the outbox.",
                outbox["queued"],
            ),
            url_for("manage.outbox", state="queued"),
        )
    if report["state"] in (None, "draft") and subs.get("accepted"):
        if status["campaign"]["deadline_passed"]:
            add("warn", _("The deadline has passed: send the report."), url_for("manage.report"))
        elif report["state"] is None:
            add("info", _("The report is not compiled yet."), url_for("manage.report"))
    if report["state"] == "bounced":
        add("bad", _("The report bounced."), url_for("manage.report"))
    return items


@blueprint.route("/submissions")
def submission_list() -> str:
    args = request.args
    filters = Filters(
        status=args.get("status", ""),
        action_line=args.get("action_line", ""),
        language=args.get("language", ""),
        country=args.get("country", ""),
        query=args.get("q", "").strip(),
    )
    page = core().submission_page(filters, _page_number(), with_choices=True)
    return render_template("submissions.html", page=page, filters=filters)


@blueprint.route("/submissions/<int:submission_id>")
def submission(submission_id: int) -> str:
    data = core().submission_detail(submission_id)
    return render_template("submission.html", sub=data)


@blueprint.route("/submissions/<int:submission_id>/raw")
def raw(submission_id: int) -> Response:
    name, data = core().raw_message(submission_id)
    return Response(
        data,
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.route("/submissions/<int:submission_id>/review", methods=["POST"])
def review(submission_id: int) -> BaseResponse:
    accept = request.form.get("decision") == "accept"
    note = request.form.get("note", "").strip()
    member = request.form.get("member", "").strip() or None
    status, delivery = core().review(
        submission_id, accept=accept, note=note, member=member, who=who()
    )
    flash(_("Submission %(id)s is now %(status)s.", id=submission_id, status=status_label(status)))
    not_sent = messages.delivery_text(delivery)
    if not_sent:
        flash(not_sent)
    return redirect(url_for("pages.submission", submission_id=submission_id))


@blueprint.route("/submissions/<int:submission_id>/text/<kind>", methods=["POST"])
def coordinator_text(submission_id: int, kind: str) -> BaseResponse:
    if kind not in ("edit", "translation"):
        abort(404)
    text = request.form.get("text", "")
    versions = core().set_coordinator_text(submission_id, kind, text, who=who())
    if kind == "edit":
        flash(_("The text for the report is kept (version %(n)s).", n=versions))
    else:
        flash(_("The English version is kept (version %(n)s).", n=versions))
    return redirect(url_for("pages.submission", submission_id=submission_id, _anchor=kind))


def explain_issue(issue: dict[str, Any]) -> str:
    """A submission's issue as its confirmation explains it, in the page's language."""
    note = IssueNote(
        code=str(issue["code"]), severity=str(issue["severity"]), params=issue.get("params") or {}
    )
    return explain.explain_issue(note, language.current(), campaign_info(core().settings))


@blueprint.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "status_label": status_label,
        "outbox_label": outbox_label,
        "kind_label": kind_label,
        "language_label": language_label,
        "decision_label": decision_label,
        "section_label": section_label,
        "source_label": source_label,
        "issue_label": issue_label,
        "explain_issue": explain_issue,
        "say": messages.say,
    }


blueprint.add_app_template_filter(issue_label, "issue")
