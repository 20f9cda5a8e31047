"""A smoke run of the benchmarks (``bench/run.py --quick``): it must complete, nothing more.

The figures of a quick run mean nothing (the sizes are tiny), so nothing about them is asserted;
the real benchmark never runs inside the test suite. Skipped where Dovecot cannot run; without
Postfix the delivery figures print ``n/a`` and the run still completes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT
from support.servers import dovecot_available

RUN = ROOT / "bench" / "run.py"


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_bench_quick_run_completes(tmp_path: Path) -> None:
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
