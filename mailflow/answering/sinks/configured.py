"""The sink the ``[smtp]`` settings describe: the file sink (``smtp.outdir``) or SMTP.

`make_sink` refuses, before anything is claimed, settings that could only collect refusals: a
``smtp.user`` without a password or tokens, and a From or Reply-To still on an example domain.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

from mailflow.answering.sinks.base import Sink
from mailflow.answering.sinks.file import FileSink
from mailflow.answering.sinks.smtp import SmtpServer, SmtpSink
from mailflow.auth import Credentials
from mailflow.config import SmtpSettings
from mailflow.errors import ConfigError
from mailflow.notices import Notice

__all__ = ["make_sink"]


def make_sink(smtp: SmtpSettings, credentials: Credentials | None = None) -> Sink:
    """The file sink when ``smtp.outdir`` is set, else SMTP as configured.

    ``credentials`` give the access tokens when ``smtp.auth`` is ``oauth2``. `ConfigError` when
    ``smtp.user`` is set without a password (or tokens): sending without AUTH would only
    collect refusals and fail every mail for a reason that is not the mail's.
    """
    if smtp.outdir:
        return FileSink(Path(smtp.outdir))
    if credentials is None and smtp.user and not smtp.password:
        raise ConfigError(
            Notice("smtp.user is set but MAILFLOW_SMTP_PASSWORD is not", "smtp_password_missing")
        )
    for key, value in (("smtp.from", smtp.from_), ("smtp.reply_to", smtp.reply_to)):
        if value and _is_placeholder(value):
            text = f"still the example address {value!r}; set your association's address"
            raise ConfigError(Notice(text, "example_address", address=value), key=key)
    oauth2 = credentials is not None
    return SmtpSink(
        SmtpServer(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            user=smtp.user or None,
            password=smtp.password.reveal() if smtp.password and not oauth2 else None,
            bearer=credentials.token if credentials is not None else None,
            timeout=smtp.timeout_s,
            ca_file=smtp.ca_file or None,
        )
    )


def _is_placeholder(address: str) -> bool:
    """True for an address on a domain reserved for examples (RFC 2606: .example,
    example.org/com/net), such as the configuration's built-in defaults."""
    domain = parseaddr(address)[1].rpartition("@")[2].lower().rstrip(".")
    return (
        domain.endswith(".example")
        or domain in {"example", *_EXAMPLE_DOMAINS}
        or any(domain.endswith("." + reserved) for reserved in _EXAMPLE_DOMAINS)
    )


_EXAMPLE_DOMAINS = frozenset({"example.org", "example.com", "example.net"})
