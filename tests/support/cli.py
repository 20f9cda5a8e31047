"""Running ``mailflow`` as a user does, in a workspace: a config, the sample Maildir and roster.

`Workspace` runs commands in-process with Click's runner (stdout and stderr kept apart, so a
test can check each), from the workspace folder, with no ``MAILFLOW_*`` variable of the caller.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from mailflow.cli import main
from mailflow.resources import sample_maildir

CONFIG = """\
[ledger]
url = "sqlite:///ledger.sqlite3"
[imap]
maildir = "Maildir"
user = "wsis@association.test"
[smtp]
from = "WSIS coordinator <wsis@association.test>"
outdir = "sent"
[campaign]
association = "Lakeside Library Association"
deadline = "2099-09-30T23:59:59+07:00"
"""


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class Workspace:
    path: Path

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        clean = {name: None for name in os.environ if name.startswith("MAILFLOW_")}
        with _inside(self.path):
            return CliRunner().invoke(
                main, list(args), env={**clean, **(env or {})}, catch_exceptions=False
            )

    def ok(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        result = self.run(*args, env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    def json(self, *args: str) -> Any:
        import json

        return json.loads(self.ok(*args, "--json"))

    def write(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.path / name
        path.write_text(text, encoding=encoding)
        return path

    def configure(self, text: str) -> None:
        """Replace the config file's text."""
        self.write("mailflow.toml", text)


def make_workspace(folder: Path, config: str = CONFIG, *, init: bool = True) -> Workspace:
    """A folder with ``config``, the sample Maildir and members.csv; ``init`` creates the ledger."""
    (folder / "mailflow.toml").write_text(config, encoding="utf-8")
    shutil.copytree(sample_maildir(), folder / "Maildir")
    shutil.copyfile(sample_maildir().parent / "members.csv", folder / "members.csv")
    workspace = Workspace(folder)
    if init:
        workspace.ok("init")
    return workspace
