"""A sink that writes each mail to a folder as an .eml file, for dry runs and demos.

See `FileSink`. The envelope and result types are in `mailflow.answering.sinks.base`; the SMTP
sink is `mailflow.answering.sinks.smtp`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from mailflow.answering.sinks.base import DeliveryResult, Envelope, OnResult, Outcome, uniform
from mailflow.errors import DeliveryError

__all__ = ["FileSink"]

log = logging.getLogger(__name__)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@+=-]+")


class FileSink:
    """Writes each mail to ``<outdir>/<UTC timestamp>-<safe Message-ID>.eml``, once per Message-ID.

    The file holds the message bytes exactly as given. It is written to a temporary name in the
    same folder and renamed, so a reader never sees half a file; a Message-ID that already has a
    file is not written again (the result is SENT with the existing path). Idempotency assumes
    one writer per folder at a time, as the outbox guarantees.
    """

    def __init__(self, outdir: Path) -> None:
        self._outdir = Path(outdir)
        try:
            self._outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(f"cannot create {self._outdir}: {exc}", permanent=True) from exc
        self._written: dict[str, Path] | None = None  # safe name -> file, read once per sink

    @staticmethod
    def safe_name(message_id: str) -> str:
        """A file-name part for `message_id`: readable, and distinct for distinct ids."""
        readable = _UNSAFE_FILENAME.sub("_", message_id.strip().strip("<>")).strip("._")[:80]
        digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        return f"{readable}-{digest}" if readable else digest

    def path_for(self, message_id: str) -> Path | None:
        """The file already written for `message_id`, if any."""
        if self._written is None:  # list the folder once, not once per mail
            self._written = {
                entry.name.partition("-")[2]: entry
                for entry in self._outdir.iterdir()
                if not entry.name.startswith(".")
            }
        found = self._written.get(f"{self.safe_name(message_id)}.eml")
        return found if found is not None and found.exists() else None

    def deliver(
        self, batch: Sequence[Envelope], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        """Write every envelope; a write error is RETRY for that mail (disk full, permissions)."""
        results = []
        for index, envelope in enumerate(batch):
            results.append(self._write(envelope))
            if on_result is not None:
                on_result(index, results[-1])
        return results

    def _write(self, envelope: Envelope) -> DeliveryResult:
        try:
            existing = self.path_for(envelope.message_id)
            if existing is not None:
                log.info("%s already written to %s", envelope.message_id, existing)
                return uniform(envelope, Outcome.SENT, None, f"already written to {existing}")
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = self._outdir / f"{stamp}-{self.safe_name(envelope.message_id)}.eml"
            fd, tmp = tempfile.mkstemp(dir=self._outdir, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(envelope.data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
                if self._written is not None:
                    self._written[target.name.partition("-")[2]] = target
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("%s not written to %s: %s", envelope.message_id, self._outdir, exc)
            return uniform(envelope, Outcome.RETRY, None, f"cannot write to {self._outdir}: {exc}")
        log.info("%s written to %s", envelope.message_id, target)
        return uniform(envelope, Outcome.SENT, None, f"written to {target}")

    def close(self) -> None:
        """Nothing to release; present to satisfy `Sink`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
