"""The report as an email: text and HTML alternatives, the charts as inline related parts.

Structure (what common clients render, images shown inline, not as attachments)::

    multipart/alternative
      text/plain                      the plain-text report
      multipart/related
        text/html                     <img src="cid:history.<hash>@<domain>">
        image/png  (Content-ID)       one per chart

Every header value taken from data goes through ``header_safe``; the Message-ID and the
Content-IDs derive from the dedupe key (``scheduler.report_job.report_dedupe_key``), so a
report period always has the same ones.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from fragwatch.delivery.message import header_safe, message_id
from fragwatch.reports.build import Report


def content_id(name: str, key: str, sender: str) -> str:
    """'history.1a2b3c4d5e6f@example.org' (without the angle brackets)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    domain = sender.rpartition("@")[2] or "fragwatch.invalid"
    return f"{name}.{digest}@{domain}"


def compose_report(
    report: Report,
    *,
    sender: str,
    recipients: list[str],
    key: str,
    now: datetime,
) -> EmailMessage:
    to = [address for address in (header_safe(r, 320) for r in recipients) if address]
    if not to:
        raise ValueError("a report needs at least one recipient")
    cids = {c.name: content_id(c.name, key, sender) for c in report.charts}
    msg = EmailMessage()
    msg["From"] = header_safe(sender, 320)
    msg["To"] = ", ".join(to)
    msg["Subject"] = header_safe(f"[fragwatch] {report.subject}", 300)
    msg["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
    msg["Message-ID"] = message_id(key, sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Fragwatch-Kind"] = "report"
    msg["X-Fragwatch-Country"] = header_safe(report.data.country, 16)
    msg["X-Fragwatch-As-Of"] = str(report.data.as_of.date())
    # Quoted-printable: long lines of quotes and non-ASCII text survive any relay.
    msg.set_content(report.text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(
        report.html(lambda c: f"cid:{cids[c.name]}"),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    html_part = msg.get_payload()[1]
    for chart in report.charts:
        html_part.add_related(
            chart.png,
            maintype="image",
            subtype="png",
            cid=f"<{cids[chart.name]}>",
            filename=chart.filename,
            disposition="inline",
        )
    return msg
