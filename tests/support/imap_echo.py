"""A tiny IMAP server on loopback that repeats the credentials it refuses, password and all.

Real servers have done this: a ``BAD`` reply quoting the command, a ``NO`` reply quoting the
credentials, a ``BYE`` before hanging up. `EchoingImapServer` answers CAPABILITY, and refuses
every LOGIN in the chosen way (``mode``: ``"bad"``, ``"no"`` or ``"bye"``) with the command's
arguments in its reply; every AUTHENTICATE (an OAuth2 token's XOAUTH2 or OAUTHBEARER) the same
way, quoting the base64 response the client sent; it serves nothing else. Use it as a context
manager; ``port`` is where it listens on 127.0.0.1.
"""

from __future__ import annotations

import socketserver
import threading
from typing import Any

HOST = "127.0.0.1"
MODES = ("bad", "no", "bye")


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1] echo server ready\r\n")
        for line in self.rfile:
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            command, _, arguments = rest.partition(b" ")
            if command.upper() == b"CAPABILITY":
                self.wfile.write(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
            elif command.upper() in (b"LOGIN", b"AUTHENTICATE"):
                if command.upper() == b"AUTHENTICATE":
                    self.wfile.write(b"+ \r\n")
                    arguments += b" " + self.rfile.readline().rstrip(b"\r\n")
                self.server.logins.append(arguments)
                if self.server.mode == "bad":
                    self.wfile.write(
                        tag + b" BAD " + command + b" " + arguments + b" not understood\r\n"
                    )
                elif self.server.mode == "no":
                    self.wfile.write(tag + b" NO [AUTHENTICATIONFAILED] " + arguments + b"\r\n")
                else:
                    self.wfile.write(b"* BYE no account for " + arguments + b"\r\n")
                    return
            elif command.upper() == b"LOGOUT":
                self.wfile.write(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                return
            else:
                self.wfile.write(tag + b" BAD not served here\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mode: str
    logins: list[bytes]


class EchoingImapServer:
    """An IMAP server that echoes the credentials of every LOGIN it refuses."""

    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self._server = _Server((HOST, 0), _Handler)
        self._server.mode = mode
        self._server.logins = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.host = HOST

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def logins(self) -> list[bytes]:
        """The arguments of every LOGIN (or AUTHENTICATE, with its response) received."""
        return list(self._server.logins)

    def __enter__(self) -> EchoingImapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
