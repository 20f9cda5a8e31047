"""Measure mailflow against the physical limits of its own pipeline, side by side in one run.

``python bench/run.py`` starts its own Dovecot (and, for the delivery figures, a private Postfix
instance, `bench/mta.py`) on loopback, writes realistic contributions (`bench/corpus.py`)
straight into Maildirs, and prints one line per figure, then one summary line::

    bench: ingest_ratio=… incremental_ratio=… memory_ratio=… latency_p95_s=… outbox_ratio=…
    compile_s=… web_p95_ms=…   (on one line)

Every ratio compares two runs taken minutes apart on the same machine, so the noise of a shared
machine mostly cancels; absolute times are printed for context only. mailflow always runs as its
CLI in a child process (``mailflow --config FILE …``), like a coordinator runs it; the bare
baselines (`bench/baselines.py`) run as child processes too. ``--quick`` uses small sizes (a
smoke run, under a minute); its figures mean nothing. A figure that cannot be taken here (no
Postfix, no ``serve`` command yet) prints ``n/a`` with the reason. Targets and the recorded
figures live in ``bench/RESULTS.md``; the plumbing in `bench/harness.py`.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

import corpus  # bench/ is on the path: Python puts a script's folder first
import harness
from harness import PYTHON, Instance, Timing, timed
from mta import PrivatePostfix

import mailflow
from mailflow.testing.dovecot import Dovecot, dovecot_available
from mailflow.testing.postfix import DOMAINS, postfix_available

BASELINES = str(harness.BENCH / "baselines.py")


@dataclass(frozen=True)
class Sizes:
    ingest: int  # contributions in the ingest mailbox
    small: int  # the smaller poll of the memory figure (also the outbox's source)
    large: int  # the larger poll of the memory figure (also the incremental one's mailbox)
    repeats: int  # polls of one new message on each side of the incremental figure
    rounds: int  # pairs (bare loop, mailflow) of the ingest and outbox figures
    latency: int  # contributions sent through Postfix to `mailflow serve`
    outbox: int  # queued confirmations flushed
    compile_small: int
    compile_large: int
    web: int  # submissions in the ledger the console's pages are timed on
    web_rounds: int  # requests of each page


FULL = Sizes(
    ingest=5000,
    small=2000,
    large=20000,
    repeats=3,
    rounds=3,
    latency=50,
    outbox=1000,
    compile_small=1000,
    compile_large=10000,
    web=10000,
    web_rounds=40,
)
QUICK = Sizes(
    ingest=40,
    small=20,
    large=60,
    repeats=1,
    rounds=1,
    latency=2,
    outbox=10,
    compile_small=5,
    compile_large=50,
    web=50,
    web_rounds=3,
)
#: Contribution numbers of the members used by the delivery figures (apart from the others).
LATENCY_BASE = 900_000
#: What ``--only`` selects; "memory" also takes the incremental figure on the same ledger.
FIGURES = ("ingest", "memory", "latency", "outbox", "compile", "web")
ORDER = ("ingest_ratio", "incremental_ratio", "memory_ratio", "latency_p95_s", "outbox_ratio")


class NotMeasured(Exception):
    """A figure that cannot be taken on this machine or at this revision (with the reason)."""


def say(line: str) -> None:
    print(line, flush=True)


def note(line: str) -> None:
    print(f"  … {line}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, base: Path, sizes: Sizes) -> None:
        self.base = base
        self.sizes = sizes
        self.dovecot = Dovecot.start(base / "dovecot")
        self.figures: dict[str, str] = {}
        self._messages: list[bytes] = []
        self.small: Instance | None = None  # a ledger after polling `sizes.small` messages
        self.large: Instance | None = None  # … after polling `sizes.large` messages

    # -- data ------------------------------------------------------------------------------------
    def messages(self, count: int) -> list[tuple[int, bytes]]:
        """Contributions 0 … count-1, generated once and shared by every mailbox."""
        for i in range(len(self._messages), count):
            self._messages.append(corpus.contribution(i))
        return list(enumerate(self._messages[:count]))

    def mailbox(self, user: str, count: int) -> None:
        started = time.perf_counter()
        harness.fill_maildir(self.dovecot, user, self.messages(count))
        indexed = harness.index_mailbox(self.dovecot, user)
        assert indexed == count, f"{user}: Dovecot sees {indexed} of {count} messages"
        note(
            f"{user}: {count} messages on disk and indexed in {time.perf_counter() - started:.1f}s"
        )

    def instance(
        self, name: str, user: str, members: int, smtp_port: int | None = None
    ) -> Instance:
        inst = Instance(self.base / name, self.dovecot, user, smtp_port=smtp_port)
        inst.setup(corpus.members_csv(members))
        return inst

    # -- figures ---------------------------------------------------------------------------------
    def ingest(self) -> None:
        """The bare loop and a poll on a fresh copy of the same ledger, in `_rounds`."""
        n, rounds = self.sizes.ingest, self.sizes.rounds
        user = "wsis-ingest@association.test"
        self.mailbox(user, n)
        inst = self.instance("ingest", user, n)
        fresh = inst.folder / "before-poll.sqlite3"
        _copy_ledger(inst.ledger, fresh)
        bare = [PYTHON, BASELINES, "ingest", "--port", str(self.dovecot.imap_port), "--user", user]

        def poll() -> float:
            _copy_ledger(fresh, inst.ledger)
            run = inst.run("poll", "--no-send")
            _expect(run, f"{n} new")
            return run.seconds

        base_s, poll_s, each = _rounds(rounds, lambda: timed(bare).seconds, poll)
        ratio = base_s / poll_s
        say(
            f"ingest_ratio={ratio:.3f}  mailflow {n / poll_s:.1f} msg/s ({poll_s:.1f}s), "
            f"bare fetch+parse {n / base_s:.1f} msg/s ({base_s:.1f}s); {n} contributions, "
            f"{each}; target >= 0.5"
        )
        self.figures["ingest_ratio"] = f"{ratio:.3f}"

    def memory_and_incremental(self) -> None:
        s = self.sizes
        small_user, large_user = "wsis-small@association.test", "wsis-large@association.test"
        self.mailbox(small_user, s.small)
        self.mailbox(large_user, s.large)
        small = self.instance("small", small_user, s.large)
        large = self.instance("large", large_user, s.large)
        run_small = small.run("poll", "--no-send")
        _expect(run_small, f"{s.small} new")
        run_large = large.run("poll", "--no-send")
        _expect(run_large, f"{s.large} new")
        ratio = run_large.max_rss_kb / run_small.max_rss_kb
        say(
            f"memory_ratio={ratio:.3f}  peak RSS {run_large.max_rss_kb / 1024:.0f} MiB over "
            f"{s.large} new messages ({run_large.seconds:.0f}s), "
            f"{run_small.max_rss_kb / 1024:.0f} MiB over {s.small} ({run_small.seconds:.0f}s); "
            "target <= 1.25"
        )
        self.figures["memory_ratio"] = f"{ratio:.3f}"
        self.small, self.large = small, large
        self.incremental(large)

    def incremental(self, large: Instance) -> None:
        """One new message in the large, fully recorded mailbox vs. in a mailbox of one."""
        s = self.sizes
        one_user = "wsis-one@association.test"
        harness.fill_maildir(self.dovecot, one_user, [])
        one = Instance(self.base / "one", self.dovecot, one_user)
        one.setup(_roster([s.large + k for k in range(s.repeats)]))
        with_many: list[float] = []
        with_one: list[float] = []
        for k in range(s.repeats):
            number = s.large + k
            harness.deliver_new(self.dovecot, large.user, number, corpus.contribution(number))
            many = large.run("poll", "--no-send")
            _expect(many, "1 new")
            # The same message alone in a mailbox on the other side.
            harness.clear_maildir(self.dovecot, one_user)
            harness.deliver_new(self.dovecot, one_user, number, corpus.contribution(number))
            single = one.run("poll", "--no-send")
            _expect(single, "1 new")
            with_many.append(many.seconds)
            with_one.append(single.seconds)
        ratio = statistics.median(with_many) / statistics.median(with_one)
        say(
            f"incremental_ratio={ratio:.3f}  poll finding 1 new message: "
            f"{statistics.median(with_many):.2f}s with {s.large} recorded, "
            f"{statistics.median(with_one):.2f}s alone (median of {s.repeats}); target <= 1.5"
        )
        self.figures["incremental_ratio"] = f"{ratio:.3f}"

    def compile(self) -> None:
        s = self.sizes
        times: dict[int, float] = {}
        source = self.large or self._polled("compile", s.compile_large + s.compile_large // 10)
        for count in (s.compile_small, s.compile_large):
            inst = Instance(self.base / f"compile-{count}", self.dovecot, source.user)
            inst.write()
            _copy_ledger(source.ledger, inst.ledger)
            accepted = _keep_accepted(inst.ledger, count)
            if accepted < count:
                raise NotMeasured(f"only {accepted} accepted submissions to compile, not {count}")
            probe = timed(
                [
                    PYTHON,
                    str(harness.BENCH / "compile_probe.py"),
                    str(inst.config),
                    str(inst.folder / "report"),
                ],
                env=inst.env,
            )
            seconds, entries = probe.stdout.split()
            assert int(entries) == count, probe.stdout
            times[count] = float(seconds)
        big, small = times[s.compile_large], times[s.compile_small]
        growth = big / small
        say(
            f"compile_s={big:.2f}  {s.compile_large} accepted submissions in {big:.2f}s, "
            f"{s.compile_small} in {small:.2f}s (x{growth:.1f} for x"
            f"{s.compile_large // s.compile_small} the entries); target <= 5 s and <= 12x"
        )
        self.figures["compile_s"] = f"{big:.2f}"

    def web(self) -> None:
        """The console's pages on a ledger of `Sizes.web` submissions, timed in a fresh process."""
        s = self.sizes
        inst = self._polled("web", s.web)
        _mark_sent(inst.ledger)
        probe = timed(
            [PYTHON, str(harness.BENCH / "web_probe.py"), str(inst.config), str(s.web_rounds)],
            env=inst.env,
        )
        result = json.loads(probe.stdout)
        p95 = result["p95_ms"]
        medians = ", ".join(f"{page} {ms:.0f}" for page, ms in result["median_ms"].items())
        say(
            f"web_p95_ms={p95:.0f}  server time of the dashboard, the submissions list and a "
            f"submission's page with {result['submissions']} submissions in the ledger "
            f"({s.web_rounds} requests each; medians ms: {medians}; a text search "
            f"{result['search_ms']:.0f}); target <= 200"
        )
        self.figures["web_p95_ms"] = f"{p95:.0f}"

    # -- figures that need Postfix ----------------------------------------------------------------
    def with_postfix(self, figures: list[Callable[[PrivatePostfix], None]]) -> None:
        """Each figure with a Postfix of its own (`bench/mta.py`); the outbox's holds its mail."""
        reason = postfix_available()
        for figure in figures:
            if reason:
                self._not_measured(figure.__name__, reason)
                continue
            server = PrivatePostfix.start(
                self.base / f"postfix-{figure.__name__}",
                domains=DOMAINS,
                lmtp_port=self.dovecot.lmtp_port,
                hold=figure.__name__ == "outbox",
            )
            try:
                figure(server)
            except NotMeasured as exc:
                self._not_measured(figure.__name__, str(exc))
            finally:
                server.stop()

    def latency(self, server: PrivatePostfix) -> None:
        n = self.sizes.latency
        user = "wsis-latency@association.test"
        harness.fill_maildir(self.dovecot, user, [])
        members = [LATENCY_BASE + k for k in range(n)]
        inst = Instance(self.base / "latency", self.dovecot, user, smtp_port=server.smtp_port)
        inst.setup(_roster(members))
        log = (inst.folder / "serve.log").open("wb")
        service = subprocess.Popen(
            [harness.MAILFLOW, "--config", str(inst.config), "serve"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **inst.env},
        )
        latencies: list[float] = []
        try:
            _wait_until_serving(service, inst.folder / "serve.log")
            import smtplib

            with smtplib.SMTP(server.host, server.smtp_port, timeout=30) as client:
                for number in members:
                    raw = corpus.contribution(number)
                    message_id = f"<bench-{number}@{corpus.MEMBER_DOMAIN}>"
                    box = self.dovecot.maildir(corpus.member_address(number))
                    sent = time.perf_counter()
                    client.sendmail(corpus.member_address(number), [user], raw)
                    arrived = _wait_for_reply(box, message_id, timeout=30.0)
                    if arrived is None:
                        raise NotMeasured(f"no confirmation for {message_id} within 30 s")
                    latencies.append(arrived - sent)
        finally:
            service.terminate()
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait()
            log.close()
        p95 = _percentile(latencies, 95)
        say(
            f"latency_p95_s={p95:.2f}  end of DATA to confirmation in the member's mailbox over "
            f"{n} contributions: median {statistics.median(latencies):.2f}s, "
            f"max {max(latencies):.2f}s; target p95 <= 2 s"
        )
        self.figures["latency_p95_s"] = f"{p95:.2f}"

    def outbox(self, server: PrivatePostfix) -> None:
        """The flush and the bare loop, each timed while Postfix holds what it accepts.

        Before either side starts, the previous side's mail is delivered, Dovecot has saved all
        of it and the machine's dirty pages are written out (`settle`): each side meets the same
        quiet machine. Delivered while timing, as the bench did until 2026-12-03, the faster
        sender left most of its deliveries to the untimed wait after it (the bare loop: mail
        queued up to 2.4 s) while the slower one had them compete for the CPU while it ran.
        """
        n = self.sizes.outbox
        source = self.small or self._polled("outbox-source", n)
        inst = Instance(self.base / "outbox", self.dovecot, source.user, smtp_port=server.smtp_port)
        inst.write()
        _copy_ledger(source.ledger, inst.ledger)
        queued = _keep_queued(inst.ledger, n)
        if queued < n:
            raise NotMeasured(f"only {queued} queued confirmations, not {n}")
        built = inst.folder / "built"
        built.mkdir()
        with sqlite3.connect(inst.ledger) as db:
            for recipient, data in db.execute("SELECT recipient, data FROM outbox"):
                (built / f"{recipient}.eml").write_bytes(data)
        queued_copy = inst.folder / "queued.sqlite3"
        _copy_ledger(inst.ledger, queued_copy)
        bare = [PYTHON, BASELINES, "smtp", "--port", str(server.smtp_port), "--dir", str(built)]

        def settle() -> None:
            server.deliver_held()
            server.wait_for_empty_queue()
            os.sync()

        cpu: dict[str, list[float]] = {"bare": [], "mailflow": []}

        def send_bare() -> float:
            settle()
            run = timed(bare)
            cpu["bare"].append(run.cpu_s)
            return run.seconds

        def flush() -> float:
            _copy_ledger(queued_copy, inst.ledger)
            settle()
            run = inst.run("outbox", "flush", "--json")
            if f'"sent": {n}' not in run.stdout:
                raise NotMeasured(f"outbox flush did not send all {n}: {run.stdout.strip()}")
            cpu["mailflow"].append(run.cpu_s)
            return run.seconds

        base_s, flush_s, each = _rounds(self.sizes.rounds, send_bare, flush)
        settle()
        ratio = base_s / flush_s
        say(
            f"outbox_ratio={ratio:.3f}  mailflow outbox flush {n / flush_s:.1f} msg/s "
            f"({flush_s:.1f}s, CPU {statistics.median(cpu['mailflow']):.2f}s), bare smtplib loop "
            f"{n / base_s:.1f} msg/s ({base_s:.1f}s, CPU {statistics.median(cpu['bare']):.2f}s); "
            f"{n} confirmations to Postfix (held, delivered between sides), {each}; "
            "target >= 0.7"
        )
        self.figures["outbox_ratio"] = f"{ratio:.3f}"

    def _polled(self, name: str, count: int) -> Instance:
        """A ledger that has recorded ``count`` contributions (for figures run on their own)."""
        user = f"wsis-{name}@association.test"
        self.mailbox(user, count)
        inst = self.instance(name, user, count)
        _expect(inst.run("poll", "--no-send"), f"{count} new")
        return inst

    def _not_measured(self, name: str, reason: str) -> None:
        figure = {"latency": "latency_p95_s", "outbox": "outbox_ratio"}.get(name, name)
        say(f"{figure}=n/a  {reason}")
        self.figures[figure] = "n/a"

    def close(self) -> None:
        self.dovecot.stop()


# -- helpers ---------------------------------------------------------------------------------------
def _rounds(
    rounds: int, bare: Callable[[], float], ours: Callable[[], float]
) -> tuple[float, float, str]:
    """Time both sides ``rounds`` times, alternating which goes first; (median bare seconds,
    median mailflow seconds, a note with each round's ratio). One pair alone swung by +-0.1
    with the load other machines put on the host within minutes."""
    bases: list[float] = []
    ours_s: list[float] = []
    for k in range(rounds):
        if k % 2 == 0:
            bases.append(bare())
            ours_s.append(ours())
        else:
            ours_s.append(ours())
            bases.append(bare())
    each = " ".join(f"{b / o:.2f}" for b, o in zip(bases, ours_s, strict=True))
    note = f"medians of {rounds} rounds (each round's ratio: {each})"
    return statistics.median(bases), statistics.median(ours_s), note


def _expect(run: Timing, text: str) -> None:
    if not run.stdout.startswith(text):
        raise RuntimeError(f"expected a poll that says {text!r}, got {run.stdout!r}")


def _roster(numbers: list[int]) -> str:
    lines = ["email,name,organisation,country,language"]
    lines += [
        f"{corpus.member_address(i)},Member {i},Library {i},Country,{corpus.language(i)}"
        for i in numbers
    ]
    return "\n".join(lines) + "\n"


def _copy_ledger(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _mark_sent(ledger: Path) -> None:
    """The queued confirmations as delivered, as in a campaign whose outbox went out (a poll
    with --no-send leaves them all queued, which no coordinator's ledger holds for long)."""
    with sqlite3.connect(ledger) as db:
        db.execute(
            "UPDATE outbox SET state = 'sent', attempts = 1, sent_at = updated_at "
            "WHERE state = 'queued'"
        )


def _keep_accepted(ledger: Path, count: int) -> int:
    """Leave exactly ``count`` accepted submissions (the others become rejected)."""
    with sqlite3.connect(ledger) as db:
        db.execute(
            "UPDATE submissions SET status = 'rejected' WHERE status = 'accepted' AND id NOT IN "
            "(SELECT id FROM submissions WHERE status = 'accepted' ORDER BY id LIMIT ?)",
            (count,),
        )
        return int(
            db.execute("SELECT count(*) FROM submissions WHERE status = 'accepted'").fetchone()[0]
        )


def _keep_queued(ledger: Path, count: int) -> int:
    """Leave exactly ``count`` queued mails in the outbox (the others are deleted)."""
    with sqlite3.connect(ledger) as db:
        db.execute(
            "DELETE FROM outbox WHERE id NOT IN (SELECT id FROM outbox WHERE state = 'queued' "
            "ORDER BY id LIMIT ?)",
            (count,),
        )
        return int(db.execute("SELECT count(*) FROM outbox WHERE state = 'queued'").fetchone()[0])


def _wait_for_reply(box: Path, message_id: str, timeout: float) -> float | None:
    """When a mail answering ``message_id`` appeared in Maildir ``box`` (perf_counter time)."""
    parser = BytesParser(policy=policy.compat32)
    deadline = time.perf_counter() + timeout
    seen: set[str] = set()
    while time.perf_counter() < deadline:
        for sub in ("new", "cur"):
            folder = box / sub
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.name in seen:
                    continue
                seen.add(entry.name)
                now = time.perf_counter()
                with open(entry.path, "rb") as handle:
                    head = parser.parse(handle, headersonly=True)
                if message_id in str(head.get("In-Reply-To", "")):
                    return now
        time.sleep(0.01)
    return None


def _wait_until_serving(service: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Wait until the service says it is connected and waiting for mail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise NotMeasured(f"serve exited: {log.read_text(errors='replace')[-300:]}")
        if "waiting by" in log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise NotMeasured(f"serve did not connect within {timeout:.0f} s")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def machine() -> str:
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    load = os.getloadavg()[0]
    return (
        f"machine: {os.cpu_count()} CPUs, {mem_kb / 1024 / 1024:.1f} GiB, "
        f"Python {platform.python_version()}, {platform.platform()}, load {load:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated figures to take (default: all of {','.join(FIGURES)})",
    )
    args = parser.parse_args(argv)
    reason = dovecot_available()
    if reason:
        print(f"bench: cannot run: {reason}", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    # mailflow as a coordinator runs it: pip writes every module's bytecode when it installs.
    # A checkout run with PYTHONDONTWRITEBYTECODE set would compile all of them from source in
    # every child process (0.2-0.3 s of CPU a command), which the bare loops never pay.
    compileall.compile_dir(Path(mailflow.__file__).parent, quiet=1)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if not only <= set(FIGURES):
        parser.error(f"--only takes {', '.join(FIGURES)}")
    say(machine())
    # Not under a private tmp folder: Dovecot's unprivileged processes must reach the mail.
    base = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    base.chmod(0o755)
    started = time.perf_counter()
    bench = Bench(base, sizes)
    try:
        if "ingest" in only:
            bench.ingest()
        if "memory" in only:
            bench.memory_and_incremental()
        postfix: list[Callable[[PrivatePostfix], None]] = [
            f for f in (bench.latency, bench.outbox) if f.__name__ in only
        ]
        if postfix:
            bench.with_postfix(postfix)
        if "compile" in only:
            try:
                bench.compile()
            except NotMeasured as exc:
                bench._not_measured("compile_s", str(exc))
        if "web" in only:
            bench.web()
    finally:
        bench.close()
        if args.keep:
            note(f"work folder kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    order = (*ORDER, "compile_s", "web_p95_ms")
    say("bench: " + " ".join(f"{name}={bench.figures.get(name, 'n/a')}" for name in order))
    note(f"whole run {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
