"""The report mail: a compiled report as a ``multipart/mixed`` message, same input, same bytes."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from mailflow.report.render import CompiledReport
from mailflow.report.view import aware

__all__ = ["build_report_mail"]


def build_report_mail(
    report: CompiledReport,
    *,
    from_address: str,
    to_address: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
) -> bytes:
    """The report as a ``multipart/mixed`` mail: ``alternative(text, html)`` then attachments.

    Bodies are encoded 7-bit clean (quoted-printable or base64), so any SMTP server takes the
    mail; the MIME boundaries are derived from a hash of the content, so the same report, ids and
    date give the same bytes.
    """
    policy = SMTP.clone(cte_type="7bit")
    message = EmailMessage(policy=policy)
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = report.subject
    message["Date"] = format_datetime(aware(date))
    message["Message-ID"] = message_id if message_id.startswith("<") else f"<{message_id}>"
    if in_reply_to:
        # A resend: threaded to the report it replaces, so the recipient's client shows both.
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["MIME-Version"] = "1.0"
    message.set_content(report.text)
    message.add_alternative(report.html, subtype="html")
    for name, mime, data in report.attachments:
        maintype, subtype = mime.split("/", 1)
        params = {"charset": "utf-8"} if maintype == "text" else {}
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=name, params=params
        )
    digest = hashlib.sha256()
    for name, data in report.files():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    digest.update(message["Message-ID"].encode())
    seed = digest.hexdigest()[:32]
    for number, part in enumerate(message.walk()):
        if part is not message:
            del part["MIME-Version"]  # the email package stamps it on every part it converts
        if part.is_multipart():
            part.set_boundary(f"mailflow-{seed}-{number}")
    return message.as_bytes(policy=policy)
