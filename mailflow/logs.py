"""Logging for the long-running service: one handler on the root logger, text or JSON lines.

`setup` installs a single stream handler (stderr by default, which systemd's journal collects)
with either a human-readable line (``time LEVEL logger: message``; a message is written to stand
on its own) or `JsonFormatter` (one JSON object per line: time, level, logger, message, plus any
``extra=`` fields such as ``message_id`` or ``outcome``, for a log collector to index). It
quiets chatty third-party loggers to WARNING, because at DEBUG some of them (charset detection,
PDF parsing) would quote message bodies. Calling `setup` again replaces its handler. This module
decides how records look, not what is logged: the messages themselves come from the stage
modules (the pipeline logs every recorded message's Message-ID and outcome at INFO), and no
module logs a password or a message body at INFO.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from mailflow.redact import redact

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

#: Third-party loggers held at WARNING whatever the chosen level.
QUIET = ("pypdf", "imap_tools", "charset_normalizer", "flufl.bounce", "alembic", "inscriptis")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_MARK = "_mailflow_handler"


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller passed with ``extra=``, in the order they were set."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extras(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class RedactingFormatter(logging.Formatter):
    """Another formatter's lines with every registered secret removed (`mailflow.redact`): the
    last guard should a server's echoed credentials reach a log message or a traceback."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def setup(
    fmt: str = "text", level: str | int = "INFO", *, stream: IO[str] | None = None
) -> logging.Handler:
    """Send log records to ``stream`` (stderr) as text or JSON lines; returns the handler."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    inner = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(RedactingFormatter(inner))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def teardown(handler: logging.Handler) -> None:
    """Remove a handler `setup` installed (tests and embedding programs)."""
    logging.getLogger().removeHandler(handler)
    handler.close()
