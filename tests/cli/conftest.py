"""A workspace for the CLI's tests (see `support.cli`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import Workspace, make_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace with an initialised ledger, nothing imported or polled yet."""
    return make_workspace(tmp_path)
