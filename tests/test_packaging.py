"""A real wheel (not only an editable install) carries the templates, migrations and samples."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import ROOT


@pytest.mark.slow
def test_wheel_contains_templates_migrations_and_sample(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("mailflow-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mailflow/_db/env.py" in names
    assert "mailflow/_db/versions/0001_initial_ledger.py" in names
    assert "mailflow/_templates/mail/confirmation.txt" in names
    assert "mailflow/_templates/locale/vi/LC_MESSAGES/mailflow.po" in names
    assert any(n.startswith("mailflow/_templates/report/") for n in names)
    assert "mailflow/data/wsis_action_lines.json" in names
    assert "mailflow/sample/members.csv" in names
    assert sum(n.startswith("mailflow/sample/Maildir/cur/") for n in names) == 13
