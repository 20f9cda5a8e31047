"""`Notice`: a sentence for the coordinator that also carries its stable code and values.

The core words what it tells the coordinator (a refusal, a warning, an action's result) in
English for the CLI, whose output tests pin. A page in another language cannot translate an
English sentence, and matching its words would break at the first rewording; so the core hands
out a `Notice`: the same English text (it *is* a ``str``, so the CLI, logs and JSON see no
difference) plus a ``code`` and the ``params`` a translation needs. `mailflow.web.messages`
words each code in the page's language from the web catalogs. A `MailflowError` raised with a
notice as its message carries it in ``args[0]``.

This module only defines the carrier; the codes live with the code that raises or returns
them, and their wording in other languages lives in the web layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["Notice", "notice_of"]


class Notice(str):
    """English ``text``, with the stable ``code`` and ``params`` that word it in any language.

    A param is a number, a text, another notice, or a tuple of them (a list of problems).
    """

    code: str
    params: Mapping[str, object]

    def __new__(cls, text: str, code: str = "", /, **params: object) -> Notice:
        notice = super().__new__(cls, text)
        notice.code = code
        notice.params = MappingProxyType(params)
        return notice

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (str(self), self.code, dict(self.params)))


def _rebuild(text: str, code: str, params: dict[str, object]) -> Notice:
    return Notice(text, code, **params)


def notice_of(error: BaseException) -> Notice | None:
    """The notice an error was raised with, if it was."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Notice) and first.code else None
