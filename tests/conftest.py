"""Fixtures shared by the test modules."""

from smtp_server import (  # noqa: F401  (pytest finds fixtures by name)
    auth_smtp_server,
    smtp_server,
    starttls_smtp_server,
    tls_ca,
    tls_smtp_server,
)
