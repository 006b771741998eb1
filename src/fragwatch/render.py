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
        f"coverage {a.coverage:.0%}"
    )


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
        if moved.empty:
            lines.append("  no indicator moved")
        lines.append("")
    table = a.table.iloc[(-a.table["contribution"].fillna(-1)).argsort(kind="stable")]
    cited = evidence.citations(a.evidence_ids).set_index("id") if a.evidence_ids else None
    for _, row in table.iterrows():
        if math.isnan(row["value"]):
            lines.append(f"{row['name']} [{row['code']}]: no fresh evidence, left out")
            lines.append("")
            continue
        lines.append(
            f"{row['name']} [{row['code']}]: {fmt_number(row['value'])} {row['unit']}"
            f" (range {fmt_number(row['low'])}-{fmt_number(row['high'])}; goalposts "
            f"{fmt_number(row['lo'], 0)}..{fmt_number(row['hi'], 0)}, direction "
            f"{int(row['direction']):+d}) -> normalised {row['normalised']:.2f}"
            + (
                f" x weight {row['weight']:.1%} = {row['contribution']:.2f} points"
                if not math.isnan(a.score)
                else " (not scored)"
            )
        )
        for evidence_id in row["evidence_ids"]:
            c = cited.loc[evidence_id]
            lines.append(
                f"  - [{evidence_id}] \u201c{c['quote']}\u201d \u2014 {c['source_title']}"
                f" ({c['publisher']}, published {c['published'].date()})"
            )
        if not row["evidence_ids"]:
            lines.append("  - no event reported in the decay window (a zero reading)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
