"""The IMAP source is an error boundary: what the socket, imaplib and imap-tools raise leaves it
as a `SourceError` saying what failed."""

from __future__ import annotations

import imaplib
import inspect
import socket
import ssl

import imap_tools.errors
import pytest

from mailflow.errors import SourceError
from mailflow.sources.imap import CONNECTION_ERRORS, source_errors


def _imap_tools_errors() -> list[BaseException]:
    made: list[BaseException] = []
    for cls in vars(imap_tools.errors).values():
        if not (inspect.isclass(cls) and issubclass(cls, imap_tools.errors.ImapToolsError)):
            continue
        if issubclass(cls, imap_tools.errors.UnexpectedCommandStatusError):
            made.append(cls(("NO", [b"refused"]), "OK"))
        else:
            made.append(cls("refused"))
    return made


ERRORS: list[BaseException] = [
    *_imap_tools_errors(),
    imaplib.IMAP4.error("BAD command"),
    imaplib.IMAP4.abort("socket error: EOF"),
    imaplib.IMAP4.readonly("mailbox status changed to READ-ONLY"),
    ConnectionResetError(104, "Connection reset by peer"),
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError("timed out"),
    TimeoutError("timed out"),
    socket.gaierror(-2, "Name or service not known"),
    ssl.SSLError(1, "[SSL] record layer failure"),
    BrokenPipeError(32, "Broken pipe"),
    EOFError(),
    OSError(5, "Input/output error"),
]


def test_every_error_class_of_imap_tools_is_tried() -> None:
    classes = [
        c
        for c in vars(imap_tools.errors).values()
        if inspect.isclass(c) and issubclass(c, imap_tools.errors.ImapToolsError)
    ]
    assert sorted(c.__name__ for c in classes) == sorted(
        type(e).__name__ for e in ERRORS if isinstance(e, imap_tools.errors.ImapToolsError)
    )


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__class__.__name__)
def test_source_errors_maps_every_library_error(error: BaseException) -> None:
    assert isinstance(error, CONNECTION_ERRORS)

    with pytest.raises(SourceError) as raised, source_errors("IMAP UID FETCH"):
        raise error

    assert str(raised.value).startswith("IMAP UID FETCH: ")
    assert raised.value.retryable is True


def test_source_errors_says_timed_out_for_a_timeout() -> None:
    with pytest.raises(SourceError) as raised, source_errors("IMAP STATUS 'INBOX'"):
        raise TimeoutError()

    assert str(raised.value) == "IMAP STATUS 'INBOX': timed out"


def test_source_errors_leaves_other_errors_alone() -> None:
    with pytest.raises(KeyError), source_errors("IMAP STATUS 'INBOX'"):
        raise KeyError("UIDVALIDITY")
