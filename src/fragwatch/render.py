"""Plain-text rendering of assessments and explanations for the terminal."""

from __future__ import annotations

import math

import pandas as pd

from fragwatch.evidence import Evidence
from fragwatch.scoring.assessment import Assessment


def fmt_number(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 10000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def headline(a: Assessment) -> str:
    if math.isnan(a.score):
        return (
            f"{a.country} as of {a.as_of.date()}: score withheld: only {a.coverage:.0%} of the"
            f" model's weight has fresh evidence (minimum {a.min_coverage:.0%})"
        )
    return (
        f"{a.country} as of {a.as_of.date()}: score {a.score:.1f}/100, band {a.band}, "
        f"coverage {a.coverage:.0%}{layer_split(a)}"
    )


LAYER_NAMES = {"open": "open data", "report": "reports"}


def layer_split(a: Assessment) -> str:
    """' (open data 64%, reports 36%)': the coverage by the layer the evidence came from."""
    parts = a.coverage_by_layer
    if not parts:
        return ""
    return " (" + ", ".join(f"{LAYER_NAMES[k]} {v:.0%}" for k, v in parts.items()) + ")"


def data_citation(c: pd.Series) -> str:
    """A data row as a person cites it: 'World Bank WDI, 2026 release: 27.3 percent in 2015'."""
    return f"{c['citation']}: {fmt_number(c['value'], 2)} {c['unit']} in {c['period']}"


EVENTS_QUOTED = 3  # the deadliest events quoted in a summary
SUMMARISE_OVER = 10  # a source citing more events than this is summarised, not listed


def event_summary(cited: pd.DataFrame) -> list[str]:
    """Many events (an imported data set) in a few lines: count and deaths per source, and
    the deadliest quoted, instead of one line per row."""
    lines = []
    for _, group in cited.groupby("source_id", sort=False):
        if len(group) <= SUMMARISE_OVER:
            continue
        first = group.iloc[0]
        deaths = group["fatalities"].fillna(0).sum()
        name = first["citation"] or first["source_title"]
        lines.append(f"  - {len(group):,} events, {deaths:,.0f} deaths in {name}; the deadliest:")
        top = group.sort_values("fatalities", ascending=False, na_position="last")
        for evidence_id, c in top.head(EVENTS_QUOTED).iterrows():
            lines.append(
                f"    - [{evidence_id}] {c['period']}, {fmt_number(c['fatalities'], 0)} deaths:"
                f" \u201c{c['quote']}\u201d"
            )
    return lines


def interval_line(
    interval, robust: list[tuple[str, float]], weight_noise: float, share: float
) -> str:
    """The Monte Carlo median and 90% interval, and which score alerts fire robustly."""
    if math.isnan(interval.median):
        return "interval: none (score withheld)"
    line = (
        f"interval: median {interval.median:.1f}, 90% {interval.low:.1f} .. {interval.high:.1f}"
        f" ({interval.draws} draws over evidence ranges and {weight_noise:.0%} weight noise)"
    )
    for rule, fired in robust:
        if fired > 0:  # a rule that fires in no draw needs no verdict
            verdict = "robust" if fired >= share else "not robust"
            line += f"\nalert {rule}: fires in {fired:.0%} of draws ({verdict} at {share:.0%})"
    return line


def contributions_table(a: Assessment) -> str:
    t = a.table
    frame = pd.DataFrame(
        {
            "indicator": t["code"],
            "dimension": t["dimension"],
            "layer": [LAYER_NAMES.get(x, "-") for x in t["layer"]] if "layer" in t else "-",
            "raw": [fmt_number(v) for v in t["value"]],
            "unit": t["unit"],
            "normalised": [fmt_number(v, 2) for v in t["normalised"]],
            "weight": [fmt_number(100 * w, 1) + "%" if w > 0 else "-" for w in t["weight"]],
            "points": [fmt_number(v, 2) for v in t["contribution"]],
        }
    )
    frame = frame.iloc[(-t["contribution"].fillna(-1)).argsort(kind="stable")]
    return frame.to_string(index=False)


def stale_note(a: Assessment) -> str | None:
    missing = a.table.loc[a.table["value"].isna(), "code"].tolist()
    if not missing:
        return None
    return "no fresh evidence (left out, weights renormalised): " + ", ".join(missing)


def explanation(
    a: Assessment, evidence: Evidence, change: pd.DataFrame | None, since: Assessment | None
) -> str:
    lines = [headline(a), ""]
    if since is not None and change is not None:
        before = "withheld" if math.isnan(since.score) else f"{since.score:.1f}"
        after = "withheld" if math.isnan(a.score) else f"{a.score:.1f}"
        delta = a.score - since.score
        lines.append(
            f"Change since {since.as_of.date()}: {before} -> {after}"
            + ("" if math.isnan(delta) else f" ({delta:+.1f} points)")
        )
        moved = change[change["delta"].abs() > 0.005]
        for code, row in moved.iterrows():
            lines.append(
                f"  {code:<24} {row['delta']:+6.2f} pts  ({row['reason']}; value "
                f"{row['from_value']:+.2f}, reweighting {row['from_reweighting']:+.2f})"
            )
        if math.isnan(a.score) or math.isnan(since.score):
            # No decomposition on a withheld side: say what the readings did instead.
            lines += raw_moves(since, a)
        elif moved.empty:
            lines.append("  no indicator moved")
        lines.append("")
    table = a.table.iloc[(-a.table["contribution"].fillna(-1)).argsort(kind="stable")]
    cited = evidence.citations(a.evidence_ids).set_index("id") if a.evidence_ids else None
    for _, row in table.iterrows():
        if math.isnan(row["value"]):
            lines.append(f"{row['name']} [{row['code']}]: no fresh evidence, left out")
            lines.append("")
            continue
        layer = LAYER_NAMES.get(row.get("layer", ""), "")
        lines.append(
            f"{row['name']} [{row['code']}]{f' ({layer})' if layer else ''}:"
            f" {fmt_number(row['value'])} {row['unit']}"
            f" (range {fmt_number(row['low'])}-{fmt_number(row['high'])}; goalposts "
            f"{fmt_number(row['lo'], 0)}..{fmt_number(row['hi'], 0)}, direction "
            f"{int(row['direction']):+d}) -> normalised {row['normalised']:.2f}"
            + (
                f" x weight {row['weight']:.1%} = {row['contribution']:.2f} points"
                if not math.isnan(a.score)
                else " (not scored)"
            )
        )
        rows = cited.loc[list(row["evidence_ids"])] if row["evidence_ids"] else None
        events = rows[rows["kind"] == "event"] if rows is not None else rows
        summarised: set[str] = set()
        if events is not None and len(events) > SUMMARISE_OVER:
            counts = events["source_id"].value_counts()
            summarised = set(counts[counts > SUMMARISE_OVER].index)
            lines += event_summary(events)
        for evidence_id in row["evidence_ids"]:
            c = cited.loc[evidence_id]
            if c["kind"] == "event" and c["source_id"] in summarised:
                continue
            if c["citation"]:  # a data row: the figure as cited, then its line verbatim
                # A release also carries figures first published in earlier ones: the date is
                # the figure's own (what point-in-time scoring reads), not the release's.
                lines.append(
                    f"  - [{evidence_id}] {data_citation(c)} (data line \u201c{c['quote']}\u201d;"
                    f" first published {c['published'].date()})"
                )
                continue
            lines.append(
                f"  - [{evidence_id}] \u201c{c['quote']}\u201d \u2014 {c['source_title']}"
                f" ({c['publisher']}, published {c['published'].date()})"
            )
        if not row["evidence_ids"]:
            lines.append("  - no event reported in the decay window (a zero reading)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def raw_moves(since: Assessment, a: Assessment) -> list[str]:
    """Indicators whose reading changed between two assessments, with no score to decompose."""
    before = since.table.set_index("code")["value"]
    after = a.table.set_index("code")["value"]
    units = a.table.set_index("code")["unit"]
    lines = []
    for code in a.table["code"]:
        b, n = before.get(code, math.nan), after.get(code, math.nan)
        if (math.isnan(b) and math.isnan(n)) or b == n:
            continue
        if math.isnan(b) or math.isnan(n):
            what = "new reading" if math.isnan(b) else "no fresh evidence now"
        elif b != 0:
            what = f"{(n - b) / abs(b):+.0%}"
        else:
            what = "from zero"
        lines.append(f"  {code:<24} {fmt_number(b)} -> {fmt_number(n)} {units[code]} ({what})")
    return lines or ["  no reading changed"]
