"""The core object every front end works through: settings plus an open ledger.

`App` offers one method per coordinator action (import members, poll, review, call, compile…).
Each method owns its transactions: the CLI and the web console never open a session, they call a
method and show what it returns (plain data in the JSON shapes of design.md §7, or a small result
object). Methods that only read (`members`, `submissions`, `status`, `outbox`…) never write.

`App` holds no business rules; those live in the modules it calls (`members`, `submissions`,
`views`, `campaign`, `pipeline`, `answering.outbox`). Running the service (`mailflow.service`)
sits above this layer and takes `settings` and `ledger()` from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailflow import lazy
from mailflow.answering import outbox
from mailflow.answering.outbox import Delivery
from mailflow.config import Settings
from mailflow.errors import MailflowError
from mailflow.ledger import Ledger, require_ledger_file

if TYPE_CHECKING:
    from mailflow import (
        accounts,
        alerts,
        browse,
        campaign,
        decisions,
        members,
        pipeline,
        signin,
        submissions,
        views,
    )
    from mailflow.pipeline import PollSummary, Progress
else:  # each stage runs when an action first uses it (see mailflow.lazy)
    accounts = lazy.module("mailflow.accounts")
    alerts = lazy.module("mailflow.alerts")
    browse = lazy.module("mailflow.browse")
    campaign = lazy.module("mailflow.campaign")
    decisions = lazy.module("mailflow.decisions")
    members = lazy.module("mailflow.members")
    pipeline = lazy.module("mailflow.pipeline")
    signin = lazy.module("mailflow.signin")
    submissions = lazy.module("mailflow.submissions")
    views = lazy.module("mailflow.views")


@dataclass
class App:
    settings: Settings
    _ledger: Ledger | None = field(default=None, repr=False)
    _schema_checked: bool = field(default=False, repr=False)

    def ledger(self, *, check_schema: bool = True) -> Ledger:
        """The ledger, opened once; by default it must be migrated to head (checked once: a
        long-running front end such as the console does not pay the check on every page)."""
        if self._ledger is None:
            s = self.settings.ledger
            if check_schema:
                require_ledger_file(s.url)
            self._ledger = Ledger(s.url, busy_timeout_s=s.busy_timeout_s)
        if check_schema and not self._schema_checked:
            self._ledger.require_current()
            self._schema_checked = True
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
            self._schema_checked = False

    # -- the ledger's schema --------------------------------------------------------------------
    def upgrade(self) -> str | None:
        """Create the ledger or apply its migrations; returns the revision it is at."""
        ledger = self.ledger(check_schema=False)
        ledger.upgrade()
        return ledger.current_revision()

    @property
    def ledger_url(self) -> str:
        """The ledger's URL with any password hidden, for messages."""
        return self.ledger(check_schema=False).safe_url

    # -- signing the mailbox in (OAuth2) ----------------------------------------------------------
    def auth_login(self, show: Callable[[str], None]) -> list[signin.SignInState]:
        """Sign the OAuth2 accounts in (``show`` prints where to); returns their state."""
        return signin.login(self.settings, self.ledger(), show)

    def auth_state(self) -> list[signin.SignInState]:
        """Each OAuth2 account's sign-in as the ledger knows it."""
        return signin.state(self.settings, self.ledger())

    def auth_logout(self) -> list[str]:
        """Forget the OAuth2 tokens; returns the accounts that had some."""
        return signin.logout(self.settings, self.ledger())

    # -- members --------------------------------------------------------------------------------
    def import_members(
        self, path: Path, *, who: str, dry_run: bool = False
    ) -> members.ImportResult:
        """Add or update members from a CSV file, all rows or none. ``dry_run`` reads and checks
        the whole file and changes nothing (the CLI's --dry-run, the console's preview); an
        import is kept in the decisions trail with ``who``."""
        with self.ledger().transaction() as session:
            result = members.import_csv(session, path, dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                # The trail's own notes hold values only (a file, a folder): a page in any
                # language names the action itself; the counts were said when it was done.
                decisions.record(session, who, "member_import", note=path.name)
            return result

    def add_member(
        self,
        addresses: Iterable[str],
        *,
        aliases: Iterable[str] = (),
        name: str = "",
        organisation: str = "",
        country: str = "",
        language: str = "",
        who: str,
    ) -> members.Upserted:
        """Add a member, or more addresses for one (``aliases`` too); links the held mail of
        those addresses to the member. Kept in the decisions trail with ``who``.

        Raises `UsageError` when a value is not a mail address.
        """
        normalised = members.addresses_given([*addresses, *aliases])
        with self.ledger().transaction() as session:
            done = members.upsert_member(
                session,
                normalised,
                name=name,
                organisation=organisation,
                country=country,
                language=language.lower(),
            )
            member = members.find_by_address(session, normalised[0]) if normalised else None
            member_id, note = (member.id if member else None), ", ".join(normalised)
            decisions.record(session, who, "member_add", member_id=member_id, note=note)
            return done

    def add_aliases(self, address: str, aliases: Iterable[str], *, who: str) -> members.AliasChange:
        """Give the member owning ``address`` more addresses, refused if one is another member's
        (`mailflow.members.aliases`); links the held mail of those addresses to the member."""
        given = members.addresses_given(aliases)
        with self.ledger().transaction() as session:
            done = members.aliases.add(session, address, given)
            if done.changed:
                note = ", ".join(done.changed)
                decisions.record(session, who, "alias_add", member_id=done.member_id, note=note)
            return done

    def remove_aliases(
        self, address: str, aliases: Iterable[str], *, who: str
    ) -> members.AliasChange:
        """Take addresses from the member owning ``address``; their submissions stay the
        member's, and the next address becomes the primary one if the primary goes."""
        given = members.addresses_given(aliases)
        with self.ledger().transaction() as session:
            done = members.aliases.remove(session, address, given)
            note = ", ".join(done.changed)
            decisions.record(session, who, "alias_remove", member_id=done.member_id, note=note)
            return done

    def deactivate_member(self, address: str, *, who: str) -> str:
        """Stop calls and reminders to the member owning ``address``; returns their name. Kept
        in the decisions trail with ``who``."""
        with self.ledger().transaction() as session:
            member = members.deactivate(session, address)
            decisions.record(session, who, "member_deactivate", member_id=member.id, note=address)
            return member.name or address

    def members(self) -> list[dict[str, Any]]:
        """The roster (`members list --json`)."""
        with self.ledger().transaction() as session:
            return [members.as_dict(m) for m in members.all_members(session)]

    def member(self, address: str) -> dict[str, Any]:
        """The member owning ``address``, with their submissions (`members show --json`)."""
        with self.ledger().transaction() as session:
            return members.detail(session, members.get_by_address(session, address))

    # -- mail in --------------------------------------------------------------------------------
    def poll(self, *, send: bool = True, progress: Progress | None = None) -> PollSummary:
        """One pass over the mailbox; an error is remembered for `status` and raised."""
        ledger = self.ledger()
        try:
            return pipeline.run_once(self.settings, ledger, send=send, progress=progress)
        except MailflowError as exc:
            pipeline.note_error(ledger, exc)
            raise

    # -- reading the ledger ---------------------------------------------------------------------
    def detect_authserv_id(self) -> str | None:
        """The authserv-id the association's server stamps, from the first mail recorded."""
        with self.ledger().transaction() as session:
            return views.first_authserv_id(session)

    def status(self) -> dict[str, Any]:
        """The campaign at a glance (`status --json`)."""
        with self.ledger().transaction() as session:
            row = views.find_campaign(session, self.settings)
            changed = campaign.changed_since_sent(session, row.id) if row is not None else []
            rows = campaign.todo_rows(session, changed[: views.TODO_LIMIT])
            data = views.status(session, self.settings, changed=(len(changed), rows))
        data["signin"] = [state.as_dict() for state in signin.state(self.settings, self.ledger())]
        data["alerts"] = alerts.Alerts(self.settings, self.ledger()).open_incidents()
        return data

    def submissions(
        self, *, status: str | None = None, history: bool = False
    ) -> list[dict[str, Any]]:
        """The submissions of the configured campaign (`submissions list --json`)."""
        with self.ledger().transaction() as session:
            row = views.find_campaign(session, self.settings)
            if row is None:
                return []
            return [
                submissions.as_dict(session, s)
                for s in submissions.listing(session, row.id, status=status, history=history)
            ]

    def submission(self, submission_id: int) -> dict[str, Any]:
        """One submission with its text, fields and mail (`submissions show --json`)."""
        with self.ledger().transaction() as session:
            return submissions.as_dict(session, submissions.get(session, submission_id), full=True)

    # -- pages of the web console (paginated, a fixed number of queries each) --------------------
    def submission_page(
        self, filters: browse.Filters, page: int = 1, *, with_choices: bool = False
    ) -> browse.Page:
        """One page of the campaign's submissions, filtered and searched; ``with_choices`` adds
        the values the filters offer."""
        with self.ledger().transaction() as session:
            row = views.find_campaign(session, self.settings)
            campaign_id = row.id if row is not None else -1
            return browse.submission_page(
                session, campaign_id, filters, page, with_choices=with_choices
            )

    def submission_detail(self, submission_id: int) -> dict[str, Any]:
        """One submission with its versions side by side, mail as sent, and decisions."""
        with self.ledger().transaction() as session:
            return browse.submission_detail(session, submission_id)

    def raw_message(self, submission_id: int) -> tuple[str, bytes]:
        """The mail a submission came in, byte for byte, with a file name."""
        with self.ledger().transaction() as session:
            return browse.raw_message(session, submission_id)

    def member_page(self, query: str = "", page: int = 1) -> browse.Page:
        """One page of the roster, searched by name, organisation or address."""
        with self.ledger().transaction() as session:
            return browse.member_page(session, query, page)

    def outbox_page(self, state: str = "", page: int = 1) -> browse.Page:
        """One page of the outbox, newest first, by state."""
        with self.ledger().transaction() as session:
            return browse.outbox_page(session, state, page)

    def recent_decisions(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest decisions of the trail, newest first."""
        with self.ledger().transaction() as session:
            return decisions.recent(session, limit)

    # -- accounts of the web console ------------------------------------------------------------
    def add_web_user(self, name: str, password: str, role: str) -> bool:
        """Create a console account or reset its password and role; True when created."""
        with self.ledger().transaction() as session:
            _, created = accounts.add_user(session, name, password, role)
        return created

    def web_users(self) -> list[dict[str, Any]]:
        """The console's accounts (never their hashes)."""
        with self.ledger().transaction() as session:
            return [
                {
                    "name": u.name,
                    "role": u.role,
                    "last_login_at": views.iso(u.last_login_at),
                    "locked_until": views.iso(u.locked_until),
                }
                for u in accounts.list_users(session)
            ]

    def login(self, name: str, password: str) -> accounts.Account:
        """The account when the password is right; raises `accounts.LoginRefused` otherwise."""
        with self.ledger().transaction() as session:
            outcome = accounts.authenticate(session, name, password)
        # Raised after the commit, so that the failed attempt is counted.
        if isinstance(outcome, accounts.LoginRefused):
            raise outcome
        return outcome

    def web_account(self, user_id: int) -> accounts.Account:
        """The console account a session names (NotFoundError once it is gone)."""
        with self.ledger().transaction() as session:
            return accounts.account(session, user_id)

    def web_session_key(self) -> str:
        """The key that signs the console's session cookies (made once per ledger)."""
        with self.ledger().transaction() as session:
            return accounts.session_key(session)

    def outbox(self, *, state: str | None = None) -> list[dict[str, Any]]:
        """Mail mailflow sent or will send (`outbox list --json`)."""
        with self.ledger().transaction() as session:
            return [outbox.as_dict(m) for m in outbox.all_mail(session, state=state)]

    def export(self, fmt: str) -> str:
        """The submissions as CSV or JSON text."""
        return campaign.export(self.settings, self.ledger(), fmt)

    # -- the coordinator's decisions and mailings -----------------------------------------------
    def review(
        self,
        submission_id: int,
        *,
        accept: bool,
        who: str,
        note: str = "",
        member: str | None = None,
    ) -> tuple[str, Delivery]:
        """Decide on a held submission, attached first to the member owning the address
        ``member`` if given; returns its new status and the confirmation's delivery.

        The decision is kept in the ledger with ``who`` and the time.
        """
        return campaign.review(
            self.settings,
            self.ledger(),
            submission_id,
            accept=accept,
            note=note,
            who=who,
            member=member,
        )

    def reprocess(self, submission_id: int | None) -> tuple[int, int]:
        """Read one submission (or all) again from the stored mail; returns (seen, changed)."""
        return campaign.reprocess(self.settings, self.ledger(), submission_id)

    def send_call(
        self, *, again: bool = False, dry_run: bool = False, force: bool = False
    ) -> campaign.Mailing:
        """Queue and send the call for contributions (``dry_run``: only say to whom)."""
        return campaign.send_call(
            self.settings, self.ledger(), again=again, dry_run=dry_run, force=force
        )

    def send_reminders(
        self, *, days_before: int | None = None, dry_run: bool = False, force: bool = False
    ) -> campaign.Mailing:
        """Queue and send reminders to members who have not contributed yet."""
        return campaign.send_reminders(
            self.settings, self.ledger(), days_before=days_before, dry_run=dry_run, force=force
        )

    def flush_outbox(self) -> Delivery:
        """Deliver queued mail now, whatever its retry schedule says; counts by outcome."""
        return outbox.flush(self.settings, self.ledger(), ignore_schedule=True)

    def retry_outbox(
        self, ids: Iterable[int] = (), *, all_failed: bool = False, who: str
    ) -> list[int]:
        """Put failed mail back in the queue (the rows named, or every failed one); their ids.
        Each retry is kept in the decisions trail with ``who``."""
        with self.ledger().transaction() as session:
            mails = outbox.retry(session, list(ids), all_failed=all_failed, now=datetime.now(UTC))
            for mail in mails:
                decisions.record(
                    session, who, "retry", outbox_id=mail.id, submission_id=mail.submission_id
                )
            return [mail.id for mail in mails]

    # -- the report -----------------------------------------------------------------------------
    def compile_report(
        self, outdir: Path, *, delimiter: str | None = None, who: str
    ) -> campaign.Compiled:
        """Render the report from accepted submissions into ``outdir``, with its manifest;
        ``delimiter`` (``,`` or ``;``) overrides ``[campaign] csv_dialect``. The compile is kept
        in the decisions trail with ``who`` once the folder is written."""
        compiled = campaign.compile_report(
            self.settings, self.ledger(), outdir, delimiter=delimiter
        )
        with self.ledger().transaction() as session:
            decisions.record(session, who, "compile", note=str(outdir.resolve()))
        return compiled

    def send_report(
        self,
        *,
        dry_run: bool = False,
        resend: bool = False,
        allow_empty: bool = False,
        who: str,
    ) -> campaign.Sent:
        """Send the compiled folder, byte for byte, to the campaign recipient; a send (not a
        dry run) is kept in the decisions trail with ``who`` once the report is queued."""
        sent = campaign.send_report(
            self.settings,
            self.ledger(),
            dry_run=dry_run,
            resend=resend,
            allow_empty=allow_empty,
        )
        if not dry_run:
            with self.ledger().transaction() as session:
                decisions.record(session, who, "send_report", note=sent.message_id or "")
        return sent

    def report_state(self) -> dict[str, Any]:
        """The compiled report (its files, and why it may not be sent as it is) and the last
        report sent; reads only."""
        return campaign.report_state(self.settings, self.ledger())

    def coordinator_draft(self, submission_id: int, kind: str) -> str:
        """The text an edit (``kind`` "edit") or an English version ("translation") starts from."""
        with self.ledger().transaction() as session:
            return submissions.coordinator_draft(session, submission_id, kind)

    def set_coordinator_text(self, submission_id: int, kind: str, text: str, *, who: str) -> int:
        """Keep the coordinator's edit or English version of a submission; the member's text and
        earlier versions stay. Returns how many versions of that kind there are now. Kept in the
        decisions trail with ``who``."""
        with self.ledger().transaction() as session:
            versions = submissions.set_coordinator_text(session, submission_id, kind, text)
            action = "edit_text" if kind == "edit" else "english"
            decisions.record(session, who, action, submission_id=submission_id)
            return versions
