"""Where the files that live beside the package are: ``db/`` (migrations) and sample mail.

In a source checkout or an editable install they sit at the repository top level; a wheel carries
them inside the package (``mailflow/_db``, ``mailflow/_templates``; see pyproject's
force-include). This module only finds folders; it reads nothing. The templates are found by
`mailflow.answering.i18n.templates_dir`, the one code that loads them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(installed: str, checkout: str) -> Path:
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


def db_dir() -> Path:
    """The Alembic script folder (env.py and versions/)."""
    return _find("_db", "db")


def sample_maildir() -> Path:
    """The bundled sample Maildir used by `mailflow demo`."""
    return _PACKAGE / "sample" / "Maildir"
