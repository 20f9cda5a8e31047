"""mailflow settings for tests, pointed at the servers of `support.servers`."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from mailflow.config import ImapSettings, OAuth2Settings, Secret, Settings
from support.oauth_server import TokenServer
from support.servers import Mailbox


def imap_settings(settings: Settings, mailbox: Mailbox, **changes: object) -> Settings:
    """``settings`` pointed at an account of the test Dovecot instead of the Maildir."""
    imap = ImapSettings(
        host="127.0.0.1",
        port=mailbox.server.imap_port,
        security="none",
        user=mailbox.user,
        password=Secret(mailbox.password),
        chunk_size=50,
    )
    return dataclasses.replace(settings, imap=dataclasses.replace(imap, **changes))  # type: ignore[arg-type]


def oauth_settings(
    settings: Settings,
    mailbox: Mailbox,
    tokens: TokenServer,
    *,
    provider: str = "microsoft",
    flow: str = "app",
    secret: str = "app-secret",
    **oauth2: Any,
) -> Settings:
    """``settings`` reading ``mailbox`` over IMAP with OAuth2 tokens from ``tokens``.

    Registers a new client at the token server (for the app flow, one allowed to open the
    mailbox), so tests do not share grants. SMTP keeps its file sink; tests of SMTP AUTH set
    ``smtp`` themselves.
    """
    client_id = f"client-{uuid.uuid4().hex[:8]}"
    public = flow != "app" and provider == "microsoft"
    tokens.add_client(client_id, "" if public else secret)
    tokens.app_user[client_id] = mailbox.user
    config = OAuth2Settings(
        provider=provider,
        flow=flow,
        client_id=client_id,
        client_secret=Secret("" if public else secret),
        authority=tokens.authority() if provider == "microsoft" else "",
        token_url=f"{tokens.url}/token" if provider != "microsoft" else "",
        device_url=f"{tokens.url}/devicecode" if provider == "generic" else "",
        auth_url=f"{tokens.url}/authorize" if provider == "google" else "",
        ca_file=str(tokens.ca_file),
    )
    config = dataclasses.replace(config, **oauth2)
    imap = imap_settings(settings, mailbox, password=Secret(""), auth="oauth2").imap
    return dataclasses.replace(settings, imap=imap, oauth2=config)
