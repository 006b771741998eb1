"""The catch-up summary: one mail for the alerts of every past period a catch-up assessed.

After downtime or a backfill the officer needs to know what happened in the periods they did
not hear about, in one mail dated now, not one mail per period dated in the past. The current
period has its own full mail (``compose.compose_alert``); this one lists, period by period,
what fired and what resolved, and which alerts were still firing at the end of the span.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from fragwatch.delivery.compose import SEVERITY_COLOURS, STATES, AlertMail, by_severity
from fragwatch.delivery.message import header_safe
from fragwatch.delivery.wrap import wrap_text

INTRO = (
    "fragwatch assessed these periods while catching up (after downtime or a backfill).\n"
    "The current period has its own mail with the full explanation; this one lists what\n"
    "changed in each past period, most severe first."
)


def _period(mail: AlertMail) -> str:
    if mail.assessment is not None:
        return str(mail.assessment.as_of.date())
    return str(mail.note.at.date())


@dataclass(frozen=True)
class _Span:
    """What the summary says, once, for both its text and its HTML part."""

    periods: list[tuple[str, list[AlertMail]]]  # each past period's alerts, most severe first
    still: list[AlertMail]  # firing at the end of the span, most severe first


def _span(mails: list[AlertMail]) -> _Span:
    periods = []
    still: dict[tuple[str, str], AlertMail] = {}
    for period in sorted({_period(m) for m in mails}):
        ordered = by_severity([m for m in mails if _period(m) == period])
        periods.append((period, ordered))
        for m in ordered:
            key = (m.rule.name, m.note.subject)
            if m.note.kind == "firing" and not m.rule.momentary:
                still[key] = m
            elif m.note.kind == "resolved":
                still.pop(key, None)
    return _Span(periods, by_severity(list(still.values())))


def _state(mail: AlertMail) -> str:
    return STATES.get(mail.note.kind, mail.note.kind.upper())


def summary_body(mails: list[AlertMail], group: str, span: tuple[str, str]) -> str:
    first, last = span
    lines = [
        f"{group}: alert changes in the past periods {first} to {last}",
        "",
        INTRO,
        "",
    ]
    said = _span(mails)
    for period, alerts in said.periods:
        lines.append(period)
        for m in alerts:
            lines.append(
                f"  {_state(m):<8} {m.rule.name} ({m.rule.severity}, {m.note.subject}):"
                f" {m.note.reading.explanation}"
            )
        lines.append("")
    lines.append(f"STILL FIRING AT THE END OF {last}")
    for m in said.still:
        lines.append(f"  {m.rule.name} ({m.rule.severity}, {m.note.subject}) since"
                     f" {_period(m)}")  # fmt: skip
    if not said.still:
        lines.append("  none of the alerts above")
    lines += ["", "-- ", "fragwatch early-warning alerts; this message was sent automatically."]
    return wrap_text("\n".join(lines)) + "\n"


def summary_html(mails: list[AlertMail], group: str, span: tuple[str, str]) -> str:
    """The summary in the report's look: the same periods and alerts as the text part."""
    from fragwatch.reports.render import environment

    said = _span(mails)

    def row(m: AlertMail) -> dict:
        colour = (
            "#2e7d32"
            if m.note.kind == "resolved"
            else SEVERITY_COLOURS.get(m.rule.severity, "#1f3b73")
        )
        return {
            "state": _state(m),
            "rule": m.rule.name,
            "severity": m.rule.severity,
            "subject": m.note.subject,
            "reading": m.note.reading.explanation,
            "since": _period(m),
            "colour": colour,
        }

    return (
        environment()
        .get_template("summary.html.j2")
        .render(
            title=summary_subject(mails, group, span),
            heading=f"{group}: alert changes in the past periods {span[0]} to {span[1]}",
            intro=INTRO.replace("\n", " "),
            counts=_counts(mails),
            periods=[
                {"date": period, "alerts": [row(m) for m in alerts]}
                for period, alerts in said.periods
            ],
            still=[row(m) for m in said.still],
            last=span[1],
        )
    )


def _counts(mails: list[AlertMail]) -> str:
    fired = sum(m.note.kind == "firing" for m in mails)
    resolved = sum(m.note.kind == "resolved" for m in mails)
    return f"{fired} fired, {resolved} resolved"


def summary_subject(mails: list[AlertMail], group: str, span: tuple[str, str]) -> str:
    return header_safe(
        f"[fragwatch] {group}: catch-up summary {span[0]} to {span[1]}: {_counts(mails)}", 300
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
    # The same summary in the report's look, for clients that show HTML (phones first).
    msg.add_alternative(
        summary_html(mails, group, span), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return msg
