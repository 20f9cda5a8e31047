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
    assert {"mailflow/testing/dovecot.py", "mailflow/testing/postfix.py"} <= names


#: Runs bench/run.py --help as ``python bench/run.py`` would, where pytest is not installed.
WITHOUT_PYTEST = """
import runpy, sys
sys.modules["pytest"] = None  # importing it now raises ImportError
sys.path.insert(0, {bench!r})  # what Python does for a script: its folder first
sys.argv = [{run!r}, "--help"]
runpy.run_path({run!r}, run_name="__main__")
"""


def test_bench_starts_without_pytest_and_without_tests_on_the_path(tmp_path: Path) -> None:
    bench = ROOT / "bench"
    script = WITHOUT_PYTEST.format(bench=str(bench), run=str(bench / "run.py"))

    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: run.py")
    assert [
        path.name for path in sorted(bench.glob("*.py")) if "sys.path" in path.read_text()
    ] == []
