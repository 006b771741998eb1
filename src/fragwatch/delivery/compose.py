"""Compose the alert email a watch officer reads at 3 a.m. and can act on (DESIGN §7-§8).

Every alert mail says what fired, the score and band, the top movers with their evidence
(verbatim quotes and where they come from), what would clear it, and how to act. The mail is
plain UTF-8 text; every header value taken from data or config goes through ``header_safe`` so
a CR/LF in a rule name, a description, a subject or an error text can never start a header.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pandas as pd

from fragwatch.alerts.lifecycle import Notification
from fragwatch.alerts.rules import Reading, Rule
from fragwatch.delivery.message import header_safe
from fragwatch.delivery.wrap import wrap_text
from fragwatch.evidence import Evidence
from fragwatch.render import fmt_number, headline, interval_line
from fragwatch.reports import citations, words
from fragwatch.scoring.assessment import Assessment
from fragwatch.scoring.explain import attribute_change
from fragwatch.scoring.uncertainty import Interval

STATES = {"firing": "FIRING", "reminder": "REMINDER", "resolved": "RESOLVED"}
MAX_QUOTES = 3  # per mover: enough to judge the evidence, short enough to read on a phone
_MOVED = 0.005  # points; below display precision (two decimals) a change is noise


@dataclass(frozen=True)
class Certainty:
    """How sure the assessment behind an alert is (the Monte Carlo of ``scoring.uncertainty``)."""

    interval: Interval
    weight_noise: float
    fire_share: float | None  # share of draws in which a score/indicator rule fires, or None
    robust_share: float  # the configured share from which a firing counts as robust

    @property
    def robust(self) -> bool | None:
        return None if self.fire_share is None else self.fire_share >= self.robust_share


@dataclass(frozen=True)
class AlertMail:
    note: Notification  # what happened (firing / reminder / resolved) and the Reading
    rule: Rule
    assessment: Assessment | None  # the assessment the rule saw; None for job-failure alerts
    previous: Assessment | None  # the run before, for "top movers"; None on the first run
    since: datetime | None = None  # when it started firing (AlertState.since), if known
    certainty: Certainty | None = None  # None when the score is withheld or not computed


# --- small formatting helpers: every one of them takes NaN and None -------------------------


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if _missing(x) else fmt_number(float(x), digits)


def _pct(x: float | None) -> str:
    return "n/a" if _missing(x) else f"{x:.0%}"


def _level(x: float | None) -> str:
    return "its clear level" if _missing(x) else f"{x:g}"


def _utc(at: datetime) -> datetime:
    # Every timestamp in fragwatch is UTC (store/schema.py): a naive one is UTC, not "unknown".
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _when(at: datetime | None) -> str:
    return "unknown" if at is None else _utc(at).strftime("%Y-%m-%d %H:%M %Z")


def _score(a: Assessment) -> str:
    """'68.9 (high)', or 'withheld' when there is too little fresh evidence to score."""
    return "withheld" if _missing(a.score) else f"{a.score:.1f} ({a.band})"


def _job(subject: str) -> str | None:
    return subject.split(":", 1)[1] if subject.startswith("job:") else None


def _indent(text: str, pad: str) -> str:
    # Multi-line readings (a traceback) stay inside their section.
    return text.replace("\r\n", "\n").replace("\n", "\n" + pad)


# --- reusable pieces ---------------------------------------------------------------------------


def clear_condition(rule: Rule, *, subject: str = "", unit: str = "") -> str:
    """What would clear the rule, in words: 'the score falls below 55'.

    ``subject`` names the job of a job-failure alert ("job:assess"); ``unit`` is the
    indicator's unit, so the level reads as the officer knows it ("35 percent of GDP").
    """
    clear = rule.clear if rule.clear is not None else rule.fire
    kind = rule.kind
    if kind == "score_above":
        return f"the score falls below {_level(clear)}"
    if kind == "score_below":
        return f"the score rises above {_level(clear)}"
    if kind == "band_change":
        return "the next run has no band change"
    if kind == "jump":
        return f"the score moves by less than {_level(rule.fire)} points between runs"
    if kind in ("indicator_above", "indicator_below"):
        side = "falls below" if kind == "indicator_above" else "rises above"
        return f"{rule.indicator} {side} {_level(clear)} {unit}".rstrip()
    if kind == "stale_evidence":
        level = "its clear level" if _missing(clear) else f"{clear:.0%}"
        return f"coverage is back to {level} or more"
    if kind == "job_failure":
        job = _job(subject)
        return f"the next {job} job succeeds" if job else "the next run of the job succeeds"
    return "the rule's clear condition holds"


def top_movers(
    assessment: Assessment,
    previous: Assessment | None,
    *,
    top: int = 3,
    first: str | None = None,
) -> pd.DataFrame:
    """The indicators that explain the score now, biggest first, at most ``top`` rows.

    With a previous run: the indicators by |points moved| (``attribute_change``); without one:
    the top current contributors. ``first`` (an indicator code) is put first whatever it did.
    Index: indicator code. Columns: name, unit, value_before, value_after, delta (points moved;
    NaN without a previous run), contribution (now), reason, cite_ids (the new evidence ids,
    or the current ones when nothing is new: the evidence behind the value either way).
    """
    now = assessment.table.set_index("code")
    if previous is None:
        ordered = now.sort_values(
            ["contribution", "normalised"], ascending=False, na_position="last"
        )
        frame = pd.DataFrame(
            {
                "name": ordered["name"],
                "value_before": math.nan,
                "value_after": ordered["value"],
                "delta": math.nan,
                "reason": "current contributor",
                "new_ids": [[] for _ in range(len(ordered))],
            },
            index=ordered.index,
        )
        keep = frame["value_after"].notna()
    else:
        change = attribute_change(previous, assessment)
        frame = change[["name", "value_before", "value_after", "delta", "reason"]].assign(
            new_ids=change["new_evidence_ids"]
        )
        changed_value = ~(
            (frame["value_before"] == frame["value_after"])
            | (frame["value_before"].isna() & frame["value_after"].isna())
        )
        keep = (frame["delta"].abs() > _MOVED) | changed_value
    # An indicator can be in one run's table only (a model change): look it up in either.
    tables = [now] if previous is None else [now, previous.table.set_index("code")]

    def lookup(code: str, column: str, default: object) -> object:
        return next((t.at[code, column] for t in tables if code in t.index), default)

    frame = frame.assign(
        unit=[str(lookup(code, "unit", "")) for code in frame.index],
        contribution=now["contribution"].reindex(frame.index),
        cite_ids=[
            list(new) if len(new) else list(lookup(code, "evidence_ids", ()))
            for code, new in zip(frame.index, frame["new_ids"], strict=True)
        ],
    )
    chosen = frame[keep]
    if first is not None and first in frame.index:
        chosen = pd.concat([frame.loc[[first]], chosen.drop(index=first, errors="ignore")])
    columns = ["name", "unit", "value_before", "value_after", "delta", "contribution"]
    return chosen[[*columns, "reason", "cite_ids"]].head(top)


def format_movers(
    movers: pd.DataFrame,
    evidence: Evidence,
    *,
    scored: bool = True,
    change: pd.DataFrame | None = None,
    total: float = math.nan,
    was_withheld: bool = False,
    cited: Cited | None = None,
) -> list[str]:
    """Lines for ``top_movers``: value before -> after, points, why in plain words, and the
    sources of its evidence by number; the quotes go into ``cited``, listed under their
    source once (``sources_section``).

    With ``change`` (``attribute_change``) each mover says why it moved; one that moved
    against the score's change (``total`` points) says so, so it never reads as the cause.
    """
    cited = Cited() if cited is None else cited
    lines: list[str] = []
    for rank, (code, row) in enumerate(movers.iterrows(), start=1):
        lines.append(f"  {rank}. {row['name']} [{code}]: {_mover_values(row)}")
        lines.append(f"     {_mover_points(row, scored)}")
        if change is not None and code in change.index:
            said = words.why(code, change, unit=str(row["unit"]), was_withheld=was_withheld)
            if words.against(row["delta"], total):
                verb = "rose" if total > 0 else "fell"
                said = f"Against the trend (the score {verb}): {said[0].lower()}{said[1:]}"
            lines.append(f"     {said}.")
        if _missing(row["value_after"]):
            # Evidence too old to count is not quoted as if it explained the value now.
            lines.append("     no fresh evidence: left out of the score")
        else:
            lines.extend(_evidence_refs(evidence, row["cite_ids"], str(row["name"]), cited))
    return lines


def _mover_values(row: pd.Series) -> str:
    def shown(value: float) -> str:
        return "no fresh evidence" if _missing(value) else f"{_num(value)} {row['unit']}".rstrip()

    if row["reason"] == "current contributor":
        return shown(row["value_after"])
    return f"{shown(row['value_before'])} -> {shown(row['value_after'])}"


def _mover_points(row: pd.Series, scored: bool) -> str:
    if not scored:
        return f"not scored (score withheld); {row['reason']}"
    if row["reason"] == "current contributor":
        return f"contributes {_num(row['contribution'], 2)} points"
    moved = "n/a" if _missing(row["delta"]) else f"{row['delta']:+.2f}"
    return f"{moved} points ({row['reason']})"


@dataclass
class Cited:
    """The sources a mail quotes, numbered in order of first mention, each with its quotes:
    a source is listed once, with its one publication date, however many movers it backs."""

    refs: dict[str, int] = field(default_factory=dict)  # source id -> number
    quotes: dict[str, list[dict]] = field(default_factory=dict)  # source id -> quotes

    def add(self, source_id: str, line: str, said: str, supports: str) -> int:
        ref = self.refs.setdefault(source_id, len(self.refs) + 1)
        rows = self.quotes.setdefault(source_id, [])
        same = next((r for r in rows if r["line"] == line), None)
        if same is None:
            rows.append({"line": line, "said": [said] if said else [], "supports": [supports]})
        else:
            if said and said not in same["said"]:
                same["said"].append(said)
            if supports not in same["supports"]:
                same["supports"].append(supports)
        return ref


def _quote_line(evidence: Evidence, row: pd.Series) -> tuple[str, str]:
    """A data row as a figure ('World Bank WDI, 2025 release: ...'), a quote without markup;
    and, for a quote, the figure it gives with its period ('' for a data row: it is one)."""
    quote = str(row["quote"])
    obs = evidence.observations
    src = evidence.sources
    observed = row["id"] in obs.index and not _missing(obs.at[row["id"], "value"])
    if (
        observed
        and row["source_id"] in src.index
        and src.at[row["source_id"], "kind"] == "dataset"
        and citations.is_data_row(quote)
    ):
        o, s = obs.loc[row["id"]], src.loc[row["source_id"]]
        published = s["published"]
        return citations.data_row_text(
            title=str(s["title"]), publisher=str(s["publisher"]),
            release=None if pd.isna(published) else published.year,
            value=float(o["value"]), unit=str(o["unit"]), quantity=str(o["quantity"]),
            period=str(o["period"]), citation=_text(s.get("citation")),
        ), ""  # fmt: skip
    shown, cleaned = citations.clean_quote(quote)
    line = f"\u201c{shown}\u201d" + (" (markup removed for display)" if cleaned else "")
    if observed:
        o = obs.loc[row["id"]]
        value = citations.figure_text(float(o["value"]), str(o["unit"]), str(o["quantity"]))
        return line, f"{value} in {o['period']}"
    kind, _, when = str(row["what"]).rpartition(" ")
    if row["kind"] == "event":
        return line, f"event: {kind.replace('_', ' ')}, {when}"
    return line, f"{kind.replace('_', ' ')}, {when}"  # a figure given as a range only


def _evidence_refs(evidence: Evidence, ids: list[str], name: str, cited: Cited) -> list[str]:
    """The mover's sources by number; its quotes (newest first, at most MAX_QUOTES) go to
    ``cited``, under their source."""
    if not ids:
        return ["     no event reported in the decay window (a zero reading)"]
    rows = evidence.citations(list(ids))
    if rows.empty:
        return ["     evidence not in this evidence base: " + ", ".join(ids)]
    # Newest first: the evidence that just arrived is what the officer has not seen yet.
    rows = rows.sort_values("published", ascending=False, kind="stable", na_position="last")
    # One passage can back several evidence rows (an event and its count): quote it once.
    rows = rows.drop_duplicates(["quote", "source_title"])
    shown = rows.head(MAX_QUOTES)
    named: dict[int, str] = {}
    for _, row in shown.iterrows():
        line, said = _quote_line(evidence, row)
        source_id = row["source_id"] if isinstance(row["source_id"], str) else ""
        ref = cited.add(source_id, line, said, name)
        named.setdefault(ref, _text(row["publisher"]) or _text(row["source_title"]) or "?")
    lines = ["     evidence: " + ", ".join(f"[{r}] {n}" for r, n in sorted(named.items()))]
    if len(rows) > MAX_QUOTES:
        lines.append(f"     (+{len(rows) - MAX_QUOTES} more: see fragwatch explain)")
    return lines


def sources_section(cited: Cited, evidence: Evidence) -> list[str]:
    """Each quoted source once: title, publisher, its one publication date and link, then its
    quotes, each with the figure it gives, the period and the indicator it supports."""
    lines = ["SOURCES AND QUOTES"]
    src = evidence.sources
    for source_id, ref in cited.refs.items():
        known = source_id in src.index
        title = _text(src.at[source_id, "title"]) if known else "unknown source"
        publisher = _text(src.at[source_id, "publisher"]) if known else ""
        published = src.at[source_id, "published"] if known else None
        url = _text(src.at[source_id, "url"]) if known else ""
        when = "date unknown" if published is None or pd.isna(published) else published.date()
        lines.append(f"  [{ref}] {title}")
        lines.append(f"      {publisher + ', ' if publisher else ''}published {when}")
        if url:
            lines.append(f"      {url}")
        for q in cited.quotes[source_id]:
            lines.append(f"      {q['line']}")
            said = "; ".join([*q["said"], "supports " + ", ".join(q["supports"])])
            lines.append(f"        \u2014 {said}")
    return lines


# --- the sections of the mail --------------------------------------------------------------------


def _current(rule: Rule, reading: Reading, a: Assessment | None, unit: str) -> str | None:
    """The value the clear condition is about, as it is now."""
    value = reading.value
    if rule.kind in ("score_above", "score_below"):
        return "the score is " + ("withheld" if _missing(value) else f"{value:.1f}")
    if rule.kind in ("indicator_above", "indicator_below"):
        shown = "without fresh evidence" if _missing(value) else f"{_num(value)} {unit}".rstrip()
        return f"{rule.indicator} is {shown}"
    if rule.kind == "jump":
        return "no score to compare" if _missing(value) else f"the score moved {value:+.1f} points"
    if rule.kind == "band_change" and a is not None:
        return f"the band is {a.band}"
    if rule.kind == "stale_evidence":
        return f"coverage is {_pct(value)}"
    return None


def _unit(mail: AlertMail) -> str:
    if mail.assessment is None or mail.rule.indicator is None:
        return ""
    t = mail.assessment.table
    units = t.loc[t["code"] == mail.rule.indicator, "unit"]
    return str(units.iloc[0]) if len(units) else ""


def subject_line(mail: AlertMail) -> str:
    """'[fragwatch CRITICAL] TJK, 2016-02-01: score-high FIRING — score 62.3 (high)'.

    Header-safe; the period is the one the alert is about (a job alert: the run's date).
    """
    note, rule, a = mail.note, mail.rule, mail.assessment
    state = STATES.get(note.kind, note.kind.upper())
    if a is None:
        error = note.reading.explanation
        job = _job(note.subject)
        # job_reading says "the assess job failed: <error>": the subject has room for the error.
        prefix = f"the {job} job failed: " if job else ""
        tail = error[len(prefix) :] if prefix and error.startswith(prefix) else error
        tail = header_safe(tail.strip().splitlines()[0] if tail.strip() else "no details", 80)
    else:
        tail = f"score {_score(a)}"
        value = note.reading.value
        if rule.indicator is not None:
            tail = f"{rule.indicator} {_num(value)} {_unit(mail)}; {tail}"
        elif rule.kind == "stale_evidence":
            tail = f"coverage {_pct(a.coverage)}; {tail}"
        elif rule.kind == "jump" and not _missing(value):
            tail = f"moved {value:+.1f} points; {tail}"
        elif rule.kind == "band_change" and mail.previous is not None:
            tail = f"band {mail.previous.band} -> {a.band}; {tail}"
    robust = _robust_tag(mail)
    if robust:
        state = f"{state} ({robust})"
    # A resolution is good news: no severity tag that would read as an alarm in the inbox.
    tag = "[fragwatch]" if note.kind == "resolved" else f"[fragwatch {rule.severity.upper()}]"
    where = f"{header_safe(note.subject)}, {_period(mail)}"
    return header_safe(
        f"{header_safe(tag)} {where}: {header_safe(rule.name)} {state} \u2014 {tail}"
    )


def _robust_tag(mail: AlertMail) -> str | None:
    """'robust' / 'not robust' for a firing or reminder of a score rule, else None."""
    c = mail.certainty
    if c is None or c.robust is None or mail.note.kind == "resolved":
        return None
    return "robust" if c.robust else "not robust"


def _what_fired(mail: AlertMail, title: str = "WHAT FIRED") -> list[str]:
    note, rule = mail.note, mail.rule
    pad = " " * 12
    lines = [
        title,
        f"  Rule:     {rule.name} ({rule.kind}, severity {rule.severity})",
    ]
    if rule.description:
        lines.append(f"  About:    {_indent(rule.description, pad)}")
    lines.append(f"  Subject:  {note.subject}")
    lines.append(f"  Reading:  {_indent(note.reading.explanation, pad)}")
    tag, c = _robust_tag(mail), mail.certainty
    if tag is not None:
        verdict = "yes" if c.robust else "NO, act with care"
        over = (
            f"draws of {mail.rule.indicator} over its evidence range"
            if mail.rule.indicator is not None
            else f"draws over evidence ranges and {c.weight_noise:.0%} weight noise"
        )
        lines.append(
            f"  Robust:   {verdict}: the fire condition holds in {c.fire_share:.0%} of"
            f" {c.interval.draws} {over} (robust from {c.robust_share:.0%})"
        )
    since = mail.since or (note.at if note.kind == "firing" else None)
    if note.kind == "firing":
        lines.append(f"  Firing since: {_when(since)}")
    elif note.kind == "reminder":
        known = _when(since) if since else "an earlier run"
        lines.append(f"  Still firing since {known} (reminder every {rule.repeat_hours:g} h)")
    else:
        fired = f"fired since {_when(since)}, " if since else ""
        lines.append(f"  Resolved: {fired}cleared at {_when(note.at)}")
    return lines


def _score_section(
    a: Assessment, previous: Assessment | None, certainty: Certainty | None
) -> list[str]:
    lines = ["SCORE", "  " + headline(a)]
    if certainty is not None:
        lines.append("  " + interval_line(certainty.interval, [], certainty.weight_noise, 0.0))
    if previous is None:
        lines.append("  No previous run to compare with.")
        return lines
    change = f"  Change since {previous.as_of.date()}: {_score(previous)} -> {_score(a)}"
    delta = a.score - previous.score
    if not _missing(delta):
        change += f", {delta:+.1f} points"
    lines.append(change)
    if certainty is not None and not _missing(delta):
        # The trend call: a move inside the score's 90% interval is no significant change.
        i = certainty.interval
        call = words.trend_call(a.score, previous.score, i.low, i.high)
        said = words.trend_sentence(call, a.score, a.band, previous.score, previous.band,
                                    str(previous.as_of.date()), i.low, i.high)  # fmt: skip
        lines.append(f"  Trend: {said}")
    return lines


def _movers_section(mail: AlertMail, evidence: Evidence, top: int, cited: Cited) -> list[str]:
    a, previous = mail.assessment, mail.previous
    movers = top_movers(a, previous, top=top, first=mail.rule.indicator)
    if previous is None:
        title = f"TOP CONTRIBUTORS (no previous run; as of {a.as_of.date()})"
    else:
        title = f"TOP MOVERS ({previous.as_of.date()} -> {a.as_of.date()})"
    if movers.empty:
        return [title, "  No indicator moved."]
    if previous is None:
        return [title, *format_movers(movers, evidence, scored=not _missing(a.score),
                                      cited=cited)]  # fmt: skip
    change = attribute_change(previous, a)
    lines = format_movers(
        movers, evidence, scored=not _missing(a.score), change=change,
        total=a.score - previous.score, was_withheld=_missing(previous.score), cited=cited,
    )  # fmt: skip
    return [title, *lines]


def _clear_section(mail: AlertMail) -> list[str]:
    note, rule, unit = mail.note, mail.rule, _unit(mail)
    condition = clear_condition(rule, subject=note.subject, unit=unit)
    now = _current(rule, note.reading, mail.assessment, unit)
    if note.kind == "resolved":
        said = f"It cleared at {_when(note.at)} (clears when {condition})"
        return ["CLEARED", f"  {said}" + (f"; now {now}." if now else ".")]
    if rule.momentary:
        # A band change or a jump is an event, not a condition: nothing stays to be cleared.
        return ["WHAT WOULD CLEAR IT", "  Nothing: this is an event, over once reported; the"
                " next one is news of its own."]  # fmt: skip
    lines = ["WHAT WOULD CLEAR IT", f"  It clears when {condition}."]
    return lines + ([f"  Now {now}."] if now else [])


SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
KIND_RANK = {"firing": 0, "resolved": 1, "reminder": 2}


def by_severity(mails: list[AlertMail]) -> list[AlertMail]:
    """Most severe first; within a severity news (firing) before resolutions and reminders."""
    return sorted(
        mails,
        key=lambda m: (
            SEVERITY_RANK.get(m.rule.severity, 9),
            KIND_RANK.get(m.note.kind, 9),
            m.rule.name,
            m.note.subject,
        ),
    )


def _state_word(mail: AlertMail) -> str:
    return STATES.get(mail.note.kind, mail.note.kind.upper())


def _sections(mails: list[AlertMail], evidence: Evidence, top: int) -> list[list[str]]:
    """The sections of one group's mail (a title line, then its lines), before wrapping."""
    mails = by_severity(mails)
    if not mails:
        raise ValueError("a group mail needs at least one alert")
    sections: list[list[str]] = []
    if len(mails) > 1:
        first = mails[0]
        where = _group_name(first)
        period = _period(first)
        sections.append(
            [f"{where}, period {period}: {len(mails)} alerts (most severe first)"]
            + [
                f"  {i}. {m.rule.name} {_state_word(m)} ({m.rule.severity})"
                for i, m in enumerate(mails, 1)
            ]
        )
        for i, m in enumerate(mails, 1):
            title = f"{i}. {m.rule.name.upper()} {_state_word(m)}"
            sections.append(_what_fired(m, title) + _clear_lines(m))
    else:
        sections.append(_what_fired(mails[0]))
    # One explanation for the group: the score, its interval and what moved it.
    lead = next((m for m in mails if m.assessment is not None), None)
    if lead is not None:
        sections.append(_score_section(lead.assessment, lead.previous, lead.certainty))
        indicator = next((m.rule.indicator for m in mails if m.rule.indicator), None)
        cited = Cited()
        sections.append(_movers_section(replace(lead, rule=_with_indicator(lead, indicator)),
                                        evidence, top, cited))  # fmt: skip
        if cited.refs:
            sections.append(sources_section(cited, evidence))
    if len(mails) == 1:
        sections.append(_clear_section(mails[0]))
    sections.append(_act_lines(mails))
    return sections


def compose_body(mail: AlertMail | list[AlertMail], evidence: Evidence, *, top: int = 3) -> str:
    """The text of one group's mail: each alert's news, then one explanation for them all."""
    mails = [mail] if isinstance(mail, AlertMail) else list(mail)
    sections = _sections(mails, evidence, top)
    sections.append(["-- ", "fragwatch early-warning alerts; this message was sent automatically."])
    # 78 columns: mutt and phones show longer lines with continuation marks; URLs stay whole.
    return wrap_text("\n\n".join("\n".join(lines) for lines in sections)) + "\n"


_SOURCE_HEAD = re.compile(r"^\[\d+\] ")  # "[2] Tajikistan Early Warning: ..." in SOURCES
SEVERITY_COLOURS = {"critical": "#7b1fa2", "high": "#c62828", "medium": "#ef6c00", "low": "#9e9d24"}


def _html_line(line: str) -> dict:
    """One text line as the HTML template shows it: a quote, a source, a link or a command."""
    text = line.strip()
    indent = (len(line) - len(line.lstrip(" "))) * 4
    if text.startswith("\u201c"):
        kind = "quote"
    elif _SOURCE_HEAD.match(text):
        kind = "source-head"
    elif text.startswith("\u2014"):
        kind = "source"
    elif text.startswith(("http://", "https://")) and " " not in text:
        kind = "url"
    elif text.startswith("fragwatch "):
        kind = "command"
    else:
        kind = "line"
    return {"kind": kind, "text": text, "indent": indent}


def compose_html(mail: AlertMail | list[AlertMail], evidence: Evidence, *, top: int = 3) -> str:
    """The HTML part of one group's mail: the same sections as the text, in the report's look."""
    from fragwatch.reports.render import environment

    mails = by_severity([mail] if isinstance(mail, AlertMail) else list(mail))
    sections = []
    for lines in _sections(mails, evidence, top):
        # Shell line continuations belong to the text part; HTML wraps by itself.
        joined = "\n".join(lines).replace(" \\\n      --", " --")
        first, *rest = joined.split("\n")
        sections.append({"title": first, "lines": [_html_line(x) for x in rest if x.strip()]})
    return (
        environment()
        .get_template("alert.html.j2")
        .render(
            title=group_subject(mails),
            severity=mails[0].rule.severity if mails[0].note.kind != "resolved" else "resolved",
            colour="#2e7d32"
            if all(m.note.kind == "resolved" for m in mails)
            else SEVERITY_COLOURS.get(mails[0].rule.severity, "#1f3b73"),
            sections=sections,
        )
    )


def _with_indicator(mail: AlertMail, indicator: str | None) -> Rule:
    """The lead alert's rule, with the group's indicator put first among the movers."""
    return mail.rule if indicator is None else replace(mail.rule, indicator=indicator)


def _group_name(mail: AlertMail) -> str:
    subject = mail.note.subject
    return subject if subject.startswith("job:") else subject.split(":", 1)[0]


def _period(mail: AlertMail) -> str:
    """The period the news is about: the assessment's date (a job alert: the run's date)."""
    if mail.assessment is not None:
        return str(mail.assessment.as_of.date())
    return str(_utc(mail.note.at).date())


def _clear_lines(mail: AlertMail) -> list[str]:
    """The clear condition of one alert of a group, in the alert's own section."""
    return ["  " + line.strip() for line in _clear_section(mail)[1:]]


def _command(command: str, pad: str = "    ") -> list[str]:
    """A shell command as lines to copy: split with a backslash before an option if too long."""
    line = pad + command
    if len(line) <= 78 or " --" not in command:
        return [line]
    head, _, tail = command.rpartition(" --")
    return [f"{pad}{head} \\", f"{pad}  --{tail}"]


def _act_lines(mails: list[AlertMail]) -> list[str]:
    lines = ["TO ACT"]
    for mail in mails:
        note = mail.note
        rule, subject = shlex.quote(note.rule), shlex.quote(note.subject)
        if note.kind == "resolved":
            lines.append(f"  {note.rule}: resolved, nothing to acknowledge.")
        elif mail.rule.momentary:
            # A band change or a jump is an event: it is over once reported.
            lines.append(f"  {note.rule}: an event, nothing to acknowledge or silence.")
        else:
            lines.append(f"  {note.rule}: acknowledge (no more reminders) or silence it:")
            lines += _command(f"fragwatch alerts ack {rule} {subject}")
            lines += _command(f"fragwatch alerts silence {rule} {subject} --until YYYY-MM-DD")
    lead = next((m for m in mails if m.assessment is not None), None)
    if lead is not None:
        a, previous = lead.assessment, lead.previous
        since = f" --since {previous.as_of.date()}" if previous is not None else ""
        lines.append("  The explanation in full, with every quote:")
        lines += _command(
            f"fragwatch explain --country {shlex.quote(a.country)} --as-of {a.as_of.date()}{since}"
        )
    return lines


def group_subject(mails: list[AlertMail]) -> str:
    """The most severe alert's subject line, naming the others of the group after it."""
    mails = by_severity(mails)
    head = subject_line(mails[0])
    if len(mails) == 1:
        return head
    others = ", ".join(f"{m.rule.name} {_state_word(m)}" for m in mails[1:])
    tag, _, rest = head.partition("] ")
    where, _, tail = rest.partition(": ")
    news, dash, score = tail.partition(" \u2014 ")
    return header_safe(f"{tag}] {where}: {news}; also {others}{dash}{score}", 300)


def compose_alert(
    mail: AlertMail | list[AlertMail],
    evidence: Evidence,
    *,
    sender: str,
    recipients: list[str],
    message_id: str,
    thread_id: str | None = None,
    top: int = 3,
) -> EmailMessage:
    """One group's alerts (or one alert) as one UTF-8 email, threaded under ``thread_id``.

    ``Date`` is the composition time; the sender sets it again to the time it hands the
    message to the server (``delivery.sender``).
    """
    mails = by_severity([mail] if isinstance(mail, AlertMail) else list(mail))
    to = [address for address in (header_safe(r, 320) for r in recipients) if address]
    if not to:
        raise ValueError("an alert mail needs at least one recipient")
    lead = mails[0]
    msg = EmailMessage()
    msg["From"] = header_safe(sender, 320)
    msg["To"] = ", ".join(to)
    msg["Subject"] = group_subject(mails)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = header_safe(message_id, 998)
    if thread_id:
        msg["In-Reply-To"] = header_safe(thread_id, 998)
        msg["References"] = header_safe(thread_id, 998)
    # Auto-Submitted keeps vacation responders and mailing lists from answering a robot.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Fragwatch-Rule"] = header_safe(lead.rule.name)
    msg["X-Fragwatch-Subject"] = header_safe(lead.note.subject)
    msg["X-Fragwatch-Severity"] = header_safe(lead.rule.severity)
    msg["X-Fragwatch-Kind"] = header_safe(lead.note.kind)
    msg["X-Fragwatch-Period"] = header_safe(_period(lead))
    msg["X-Fragwatch-Alerts"] = header_safe(
        ", ".join(f"{m.rule.name} {m.note.kind}" for m in mails), 900
    )
    # Quoted-printable: quotes are long single lines and non-ASCII; QP survives any relay.
    msg.set_content(compose_body(mails, evidence, top=top), charset="utf-8", cte="quoted-printable")
    # The same news in the report's look, for clients that show HTML (phones first).
    msg.add_alternative(
        compose_html(mails, evidence, top=top),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    return msg


def _text(value: object) -> str:
    """A cell that may be missing (NaN, None) as text, '' when missing."""
    return value if isinstance(value, str) else ""
