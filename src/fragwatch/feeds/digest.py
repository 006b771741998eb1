"""The digest mail after a fetch: N new reports, M candidate figures, the surest ones quoted."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from fragwatch.delivery.message import header_safe, message_id
from fragwatch.feeds.fetch import FetchResult


def digest_key(result: FetchResult) -> str:
    """The same new reports make the same digest: a rerun never mails twice."""
    ids = ",".join(sorted(r.report_id for r in result.new_reports))
    return "feeds-digest-" + hashlib.sha1(ids.encode("utf-8")).hexdigest()[:16]


def compose_digest(
    result: FetchResult, *, sender: str, recipients: list[str], top: int, now: datetime
) -> EmailMessage:
    reports, candidates = len(result.new_reports), len(result.candidates)
    subject = f"[fragwatch] {reports} new report(s), {candidates} candidate figure(s) to review"
    surest = sorted(result.candidates, key=lambda r: -float(r.get("confidence") or 0))[:top]
    titles = {r.report_id: r for r in result.new_reports}
    lines = [f"{reports} new report(s), {candidates} candidate figure(s) in the review queue.", ""]
    if surest:
        lines.append("The surest candidates:")
    for row in surest:
        what = row["quantity"] or row["kind"]
        figure = row["value"] or row["low"] or row["high"] or row["fatalities"]
        report = titles.get(row["source_id"])
        origin = f"{report.title} ({report.publisher}, {report.published})" if report else ""
        when = row["period"] or row["date"]
        head = f"- {row['id']} [{row['confidence']}]: {what} {row['country']} {when}"
        lines += [
            f"{head} {figure}".rstrip(),
            f"  \u201c{row['quote']}\u201d \u2014 {origin}",
        ]
    lines += ["", "Review them with: fragwatch review list"]
    if result.lines:
        lines += ["", "Notes:", *(f"- {line}" for line in result.lines)]
    msg = EmailMessage()
    msg["From"] = header_safe(sender, 320)
    msg["To"] = ", ".join(header_safe(r, 320) for r in recipients)
    msg["Subject"] = header_safe(subject, 300)
    msg["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
    msg["Message-ID"] = message_id(digest_key(result), sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Fragwatch-Kind"] = "feeds-digest"
    msg.set_content("\n".join(lines) + "\n", charset="utf-8", cte="quoted-printable")
    return msg
