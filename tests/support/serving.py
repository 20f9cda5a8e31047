"""`mailflow serve` in a thread for the tests, with short waits, and waiting for what it does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from mailflow import service
from mailflow.config import Settings
from mailflow.ledger import Ledger

#: Short waits so a test sees every branch of the loop within seconds.
FAST = service.Timings(
    idle_max_s=5.0,
    check_s=0.1,
    full_pass_s=60.0,
    flush_s=0.5,
    backoff_min_s=0.1,
    backoff_max_s=0.5,
)
#: Generous: only a broken service takes this long.
DEADLINE_S = 30.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


class Running:
    """`service.serve` in a thread; leaving the block stops it and checks that it returned."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        timings: service.Timings = FAST,
        **options: object,
    ) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None

        def target() -> None:
            try:
                service.serve(settings, ledger, stop=self.stop, timings=timings, **options)  # type: ignore[arg-type]
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=target, name="serve", daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(DEADLINE_S)
        assert not self.thread.is_alive(), "serve did not stop"
        if self.error is not None:
            raise self.error

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()
