"""``python -m mailflow.cli``: the same program as ``mailflow``."""

from mailflow.cli import main

main()
