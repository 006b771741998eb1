"""Plain-text rendering of scenario results: one scenario in full, or several side by side."""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import pandas as pd

from fragwatch.scenarios.run import Detail, Point, ScenarioResult

# Changes smaller than this (in score points) print as unchanged.
SHOWN = 0.005
WIDTH = 100


def _score(score: float, band: str) -> str:
    return "withheld" if math.isnan(score) else f"{score:.1f} ({band})"


def _num(value: float, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 10000 else f"{value:,.{digits}f}"


def _change(p: Point) -> str:
    return "no score to compare" if math.isnan(p.change) else f"{p.change:+.1f} points"


def _draws_line(p: Point) -> str | None:
    d = p.draws
    if d is None:
        return None
    if math.isnan(d.median):
        return f"{d.n:,} draws (seed {d.seed}): withheld in every draw"
    bands = ", ".join(
        f"{name} {_share(share)}" for name, share in sorted(d.bands.items(), key=lambda kv: -kv[1])
    )
    return (
        f"{d.n:,} draws (seed {d.seed}): median {d.median:.1f}, 90% interval"
        f" {d.low:.1f} to {d.high:.1f}; bands: {bands}"
    )


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = re.search(r"[.!?](\s|$)", text)
    return text[: end.start() + 1] if end else text


def _table(frame: pd.DataFrame, right: tuple[str, ...] = ()) -> list[str]:
    """Columns padded to their widest cell: text left-aligned, the ``right`` ones right."""
    widths = {c: max(len(c), *(len(str(v)) for v in frame[c])) for c in frame.columns}

    def cell(column: str, value: object) -> str:
        text = str(value)
        return text.rjust(widths[column]) if column in right else text.ljust(widths[column])

    rows = [[cell(c, c) for c in frame.columns]]
    rows += [[cell(c, v) for c, v in zip(frame.columns, row, strict=True)]
             for row in frame.itertuples(index=False)]  # fmt: skip
    return ["  ".join(row).rstrip() for row in rows]


def _share(share: float) -> str:
    """A share of draws; never '0%' or '100%' unless it is exactly that."""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def render_result(result: ScenarioResult) -> str:
    s = result.scenario
    files = ", ".join(Path(f).name for f in s.files)
    lines = [f"scenario {s.name} ({files})"]
    for paragraph in s.description.split("\n\n"):
        lines.extend(textwrap.wrap(_first_sentence(paragraph), WIDTH, initial_indent="  ",
                                   subsequent_indent="  "))  # fmt: skip
    lines.append(f"model: {result.model_name} (digest {result.model_digest[:12]})")
    for note in result.notes:
        lines.append(f"note: {note}")
    by_country: dict[str, list[Point]] = {}
    for p in result.points:
        by_country.setdefault(p.country, []).append(p)
    for detail in result.details:
        points = by_country[detail.country]
        lines.append("")
        if len(points) > 1:
            lines.extend(_series(detail.country, points))
            lines.append("")
        lines.extend(_detail(points[-1], detail, result.rules_checked))
    return "\n".join(lines) + "\n"


def _series(country: str, points: list[Point]) -> list[str]:
    random = points[-1].draws is not None
    frame = pd.DataFrame(
        {
            "as of": [p.as_of.date().isoformat() for p in points],
            "baseline": [_score(p.base_score, p.base_band) for p in points],
            "scenario": [_score(p.score, p.band) for p in points],
            "change": ["-" if math.isnan(p.change) else f"{p.change:+.1f}" for p in points],
        }
    )
    if random:
        frame["median"] = [_num(p.draws.median) for p in points]
        frame["90% interval"] = [
            "-" if math.isnan(p.draws.low) else f"{p.draws.low:.1f} to {p.draws.high:.1f}"
            for p in points
        ]
    return [f"{country}, {len(points)} as-of dates:", *_table(frame, ("change", "median"))]


def _detail(p: Point, d: Detail, rules_checked: bool) -> list[str]:
    at_medians = " (shocks at their medians)" if p.draws is not None else ""
    lines = [
        f"{p.country} as of {p.as_of.date()}: baseline {_score(p.base_score, p.base_band)},"
        f" scenario{at_medians} {_score(p.score, p.band)}: {_change(p)};"
        f" coverage {p.base_coverage:.0%} -> {p.coverage:.0%}"
    ]
    draws = _draws_line(p)
    if draws:
        lines.append(f"  {draws}")
    t = d.indicators
    value_moved = ~(
        (t["value_before"] == t["value_after"])
        | (t["value_before"].isna() & t["value_after"].isna())
    )
    moved = t[(t["delta"].abs() >= SHOWN) | value_moved]
    moved = moved.iloc[(-moved["delta"].abs()).argsort(kind="stable")]
    if moved.empty:
        lines.append("  no indicator moved")
    else:
        shown = pd.DataFrame(
            {
                "indicator": moved["code"],
                "raw before": [_num(v) for v in moved["value_before"]],
                "raw after": [_num(v) for v in moved["value_after"]],
                "unit": moved["unit"],
                "points before": [_num(v, 2) for v in moved["points_before"]],
                "points after": [_num(v, 2) for v in moved["points_after"]],
                "change": [f"{v:+.2f}" for v in moved["delta"]],
            }
        )
        numbers = ("raw before", "raw after", "points before", "points after", "change")
        lines.extend("  " + row for row in _table(shown, numbers))
        still = len(t) - len(moved)
        if still:
            lines.append(f"  ({still} other indicators unchanged)")
    if not rules_checked:
        lines.append("  alerts: no alert rules configured (alerts.toml), none checked")
        return lines
    lines.append("  alert rules, compared with the baseline:")
    for label, items in (
        ("would fire", d.fire_now),
        ("would stop firing", d.fire_no_longer),
        ("fire in both", d.fire_both),
    ):
        texts = [f"{f.rule} ({f.severity}): {f.explanation}" for f in items] or ["none"]
        for i, text in enumerate(texts):
            lines.append(f"    {(label + ':') if i == 0 else '':<19}{text}")
    return lines


def render_comparison(results: list[ScenarioResult]) -> str:
    """One row per scenario and country, at each scenario's last as-of date."""
    rows = []
    for r in results:
        last = {p.country: p for p in r.points}
        for p in last.values():
            d = p.draws
            rows.append(
                {
                    "scenario": r.scenario.name,
                    "country": p.country,
                    "as of": p.as_of.date().isoformat(),
                    "baseline": _score(p.base_score, p.base_band),
                    "scenario score": _score(p.score, p.band),
                    "change": "-" if math.isnan(p.change) else f"{p.change:+.1f}",
                    "median": "-" if d is None else _num(d.median),
                    "90% interval": "-"
                    if d is None or math.isnan(d.low)
                    else f"{d.low:.1f} to {d.high:.1f}",
                    "alerts": _alert_summary(r, p.country),
                }
            )
    lines = _table(pd.DataFrame(rows), ("change", "median"))
    seeds = sorted({p.draws.seed for r in results for p in r.points if p.draws is not None})
    draws = sorted({p.draws.n for r in results for p in r.points if p.draws is not None})
    if any(r.rules_checked for r in results):
        lines.append("alerts: +RULE would fire, -RULE would stop firing, against the baseline")
    if seeds:
        lines.append(f"median and 90% interval over {draws[0]:,} draws, seed {seeds[0]}")
    return "\n".join(lines) + "\n"


def _alert_summary(result: ScenarioResult, country: str) -> str:
    if not result.rules_checked:
        return "-"
    d = next(d for d in result.details if d.country == country)
    parts = [f"+{f.rule}" for f in d.fire_now] + [f"-{f.rule}" for f in d.fire_no_longer]
    return " ".join(parts) or "no change"
