"""A real Dovecot that insists on TLS, for the certificate-verification tests.

`TlsDovecot.start(folder, certificate)` writes the same configuration as `servers.Dovecot` but
with ``ssl = required`` and a trustme certificate (issued for 127.0.0.1 and localhost): STARTTLS
on the IMAP port and implicit TLS on an IMAPS port. Plaintext logins without TLS are refused, so
a client reaches the mailbox only through a TLS session it accepted. The `tls_dovecot` fixture is
session-scoped; tests isolate themselves with their own account (`tls_mailbox`); a test module
makes both visible by importing ``tls_dovecot_fixture`` and ``tls_mailbox_fixture``. Whether
mailflow verifies the certificate is what the tests check; this module only serves it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from mailflow.testing.dovecot import (
    CONFIG,
    SHARED_PASSWORD,
    Dovecot,
    dovecot_available,
    free_port,
    wait_for_port,
)
from support.smtp_server import TlsMaterial

#: The listener block of `mailflow.testing.dovecot.CONFIG` that leaves IMAPS off.
_IMAPS_OFF = "  inet_listener imaps {\n    port = 0\n  }\n"


@dataclass
class TlsDovecot(Dovecot):
    imaps_port: int = 0

    @classmethod
    def start_tls(cls, base: Path, certificate: trustme.LeafCert) -> TlsDovecot:
        """Start Dovecot with ``ssl = required``: ``certificate`` on IMAP (STARTTLS) and IMAPS."""
        base.mkdir(parents=True, exist_ok=True)
        for sub in ("run", "state", "mail", "home", "tls"):
            (base / sub).mkdir(exist_ok=True)
        os.chmod(base, 0o755)
        for sub in ("mail", "home"):
            shutil.chown(base / sub, "nobody", "nogroup")
        (base / "users").write_text("")
        cert, key = base / "tls" / "cert.pem", base / "tls" / "key.pem"
        cert.write_bytes(b"".join(pem.bytes() for pem in certificate.cert_chain_pems))
        certificate.private_key_pem.write_to_path(str(key))
        os.chmod(key, 0o600)  # read by the master process (root) when it parses the config
        imap_port, imaps_port, lmtp_port = free_port(), free_port(), free_port()
        text = CONFIG.format(
            base=base, imap_port=imap_port, lmtp_port=lmtp_port, shared_password=SHARED_PASSWORD
        )
        if _IMAPS_OFF not in text or "ssl = no\n" not in text:
            raise RuntimeError("servers.CONFIG changed: update tls_servers.py")
        text = text.replace(
            _IMAPS_OFF,
            f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n"
            f"    ssl = yes\n  }}\n",
        ).replace(
            "ssl = no\n",
            f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}\nssl_min_protocol = TLSv1.2\n",
        )
        config = base / "dovecot.conf"
        config.write_text(text)
        server = cls(
            base=base,
            imap_port=imap_port,
            lmtp_port=lmtp_port,
            config=config,
            imaps_port=imaps_port,
        )
        server._launch()
        try:
            for port in (imap_port, imaps_port, lmtp_port):
                wait_for_port(port)
        except RuntimeError:
            server.stop()
            raise
        return server


@pytest.fixture(scope="session", name="tls_dovecot")
def tls_dovecot_fixture(tls_ca: TlsMaterial) -> Iterator[TlsDovecot]:
    """Dovecot requiring TLS, with a certificate from the session's trustme CA (`tls_ca`)."""
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-tls-"))
    server = TlsDovecot.start_tls(base, tls_ca.certificate)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class TlsMailbox:
    server: TlsDovecot
    user: str
    password: str


@pytest.fixture(name="tls_mailbox")
def tls_mailbox_fixture(tls_dovecot: TlsDovecot) -> TlsMailbox:
    """A new, empty account on the TLS-only Dovecot."""
    return TlsMailbox(
        tls_dovecot, f"wsis-{uuid.uuid4().hex[:10]}@association.test", SHARED_PASSWORD
    )


__all__ = ["TlsDovecot", "TlsMailbox", "tls_dovecot_fixture", "tls_mailbox_fixture"]
