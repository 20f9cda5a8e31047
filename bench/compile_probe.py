"""Time one report compilation in a fresh process: ``python bench/compile_probe.py CONFIG OUTDIR``.

Loads the settings and opens the ledger first (not timed), then times
`mailflow.campaign.compile_report` alone, the call behind ``mailflow compile``: reading the
accepted submissions and writing the text, HTML, .docx and .csv files, including the lazy imports
and template compilation a first call pays. Prints ``<seconds> <entries>``. The CLI's own start-up
is left out so that the linearity check compares compilation with compilation.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mailflow import campaign, config_loader
from mailflow.app import App


def main(argv: list[str]) -> int:
    app = App(config_loader.load(argv[0]))
    ledger = app.ledger()
    started = time.perf_counter()
    result = campaign.compile_report(app.settings, ledger, Path(argv[1]))
    seconds = time.perf_counter() - started
    app.close()
    print(f"{seconds:.3f} {result.entries}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
