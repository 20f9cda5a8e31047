"""Modules run when first used, so a command pays only for the stages it needs.

`mailflow.app.App` offers every coordinator action, so importing it ran every stage: reading,
the report, the campaign, the console's accounts. ``mailflow outbox flush`` needs only the outbox
and the ledger: importing `App` took 0.86-0.88 s of CPU, importing the outbox alone 0.53-0.61 s
(this machine, bytecode compiled). A flush started by cron, a ``status`` or a ``--help``
paid the difference every time. `module` returns a module at once and runs it on first
attribute access, through the standard library's `importlib.util.LazyLoader`; an import
elsewhere of the same module gets the same object and runs it as usual.

Before Python 3.12 that first run is not guarded against two threads at once, so a front end
that serves from threads (the web console) calls `load_all` when it starts.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

__all__ = ["load_all", "module"]

_deferred: list[ModuleType] = []


def module(name: str) -> ModuleType:
    """The module ``name`` (``mailflow.…``), run when one of its attributes is first read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    spec.loader.exec_module(lazy)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, lazy)  # as the import system does for a submodule
    _deferred.append(lazy)
    return lazy


def load_all() -> None:
    """Run every module `module` deferred (reading any attribute runs it)."""
    for deferred in _deferred:
        getattr(deferred, "__name__")  # noqa: B009 (the read is the point)
