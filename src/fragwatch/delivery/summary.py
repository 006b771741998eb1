"""The catch-up summary: one mail for the alerts of every past period a catch-up assessed.

After downtime or a backfill the officer needs to know what happened in the periods they did
not hear about, in one mail dated now, not one mail per period dated in the past. The current
period has its own full mail (``compose.compose_alert``); this one lists, period by period,
what fired and what resolved, and which alerts were still firing at the end of the span.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from fragwatch.delivery.compose import STATES, AlertMail, by_severity
from fragwatch.delivery.message import header_safe
from fragwatch.delivery.wrap import wrap_text


def _period(mail: AlertMail) -> str:
    if mail.assessment is not None:
        return str(mail.assessment.as_of.date())
    return str(mail.note.at.date())


def summary_body(mails: list[AlertMail], group: str, span: tuple[str, str]) -> str:
    periods = sorted({_period(m) for m in mails})
    first, last = span
    lines = [
        f"{group}: alert changes in the past periods {first} to {last}",
        "",
        "fragwatch assessed these periods while catching up (after downtime or a backfill).",
        "The current period has its own mail with the full explanation; this one lists what",
        "changed in each past period, most severe first.",
        "",
    ]
    still: dict[tuple[str, str], AlertMail] = {}
    for period in periods:
        lines.append(period)
        for m in by_severity([m for m in mails if _period(m) == period]):
            state = STATES.get(m.note.kind, m.note.kind.upper())
            lines.append(
                f"  {state:<8} {m.rule.name} ({m.rule.severity}, {m.note.subject}):"
                f" {m.note.reading.explanation}"
            )
            key = (m.rule.name, m.note.subject)
            if m.note.kind == "firing" and not m.rule.momentary:
                still[key] = m
            elif m.note.kind == "resolved":
                still.pop(key, None)
        lines.append("")
    lines.append(f"STILL FIRING AT THE END OF {last}")
    if still:
        for m in by_severity(list(still.values())):
            lines.append(f"  {m.rule.name} ({m.rule.severity}, {m.note.subject}) since"
                         f" {_period(m)}")  # fmt: skip
    else:
        lines.append("  none of the alerts above")
    lines += ["", "-- ", "fragwatch early-warning alerts; this message was sent automatically."]
    return wrap_text("\n".join(lines)) + "\n"


def summary_subject(mails: list[AlertMail], group: str, span: tuple[str, str]) -> str:
    fired = sum(m.note.kind == "firing" for m in mails)
    resolved = sum(m.note.kind == "resolved" for m in mails)
    return header_safe(
        f"[fragwatch] {group}: catch-up summary {span[0]} to {span[1]}:"
        f" {fired} fired, {resolved} resolved",
        300,
    )


def compose_summary(
    mails: list[AlertMail],
    *,
    group: str,
    span: tuple[str, str],
    sender: str,
    recipients: list[str],
    message_id: str,
) -> EmailMessage:
    to = [address for address in (header_safe(r, 320) for r in recipients) if address]
    if not to or not mails:
        raise ValueError("a summary needs recipients and at least one alert")
    msg = EmailMessage()
    msg["From"] = header_safe(sender, 320)
    msg["To"] = ", ".join(to)
    msg["Subject"] = summary_subject(mails, group, span)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = header_safe(message_id, 998)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Fragwatch-Kind"] = "summary"
    msg["X-Fragwatch-Subject"] = header_safe(group)
    msg.set_content(summary_body(mails, group, span), charset="utf-8", cte="quoted-printable")
    return msg
