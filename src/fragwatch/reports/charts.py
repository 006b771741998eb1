"""The report's charts as PNG bytes, drawn with matplotlib's non-interactive Agg backend.

Figures are built with the object API (``Figure``), not pyplot: no global state, so the report
job can draw in the scheduler's worker thread. Every chart is 680 CSS pixels wide in the report
(the width mail clients lay out) and drawn at twice that for sharp screens.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from fragwatch.reports.data import ReportData

matplotlib.use("Agg")  # never a window, whatever MPLBACKEND says

WIDTH_PX = 680  # shown width in the report, CSS pixels
INCHES = 6.8
DPI = 2 * WIDTH_PX / INCHES  # drawn at 2x
PALETTE = 128  # colours per PNG
INK, MUTED, ALERT = "#1f3b73", "#666666", "#c62828"
DIMENSION_COLOURS = {
    "economic": "#4e79a7",
    "political": "#e15759",
    "security": "#76b7b2",
    "social": "#f28e2b",
}
REASON_COLOURS = {
    "new evidence": "#4e79a7",
    "newly covered": "#59a14f",
    "ageing": "#bab0ac",
    "evidence went stale": "#e15759",
    "model change": "#b07aa1",
}
FONT = {"font.family": "DejaVu Sans", "font.size": 8}  # bundled with matplotlib: no system font


@dataclass(frozen=True)
class Chart:
    name: str  # also the file name stem and the Content-ID's local part
    png: bytes
    width: int  # CSS pixels
    height: int
    alt: str  # what the chart shows, for readers whose client blocks images

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


def draw_charts(data: ReportData) -> list[Chart]:
    """Every chart of the report, in the order the report shows them."""
    with matplotlib.rc_context(FONT):
        charts = [_history(data), _contributions(data)]
        if len(data.change) or data.model_change is not None:
            charts.append(_change(data))
        charts.append(_indicators(data))
    return charts


def _png(fig: Figure, name: str, alt: str) -> Chart:
    drawn = io.BytesIO()
    fig.savefig(drawn, format="png", dpi=DPI)
    # A flat chart needs no 24-bit colour: a 128-colour palette looks the same and makes the
    # mail about a third of the size. Pillow comes with matplotlib. No metadata is written, so
    # the same data gives the same bytes.
    drawn.seek(0)
    with Image.open(drawn) as image:
        paletted = image.convert("RGB").quantize(
            colors=PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    paletted.save(out, format="PNG", optimize=True)
    width, height = fig.get_size_inches()
    return Chart(name, out.getvalue(), WIDTH_PX, round(WIDTH_PX * height / width), alt)


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _score_text(score: float, band: str) -> str:
    return "withheld" if math.isnan(score) else f"{score:.1f} ({band})"


def _history(data: ReportData) -> Chart:
    fig = Figure(figsize=(INCHES, 2.9), layout="constrained")
    ax = fig.add_subplot()
    edges = [edge for _, edge in data.bands] + [100.0]
    shades = colormaps["RdYlGn_r"](np.linspace(0.15, 0.9, len(data.bands)))
    for (name, low), high, shade in zip(data.bands, edges[1:], shades, strict=True):
        ax.axhspan(low, high, color=shade, alpha=0.22, lw=0)
        ax.text(1.01, (low + high) / 2, name, transform=ax.get_yaxis_transform(),
                va="center", fontsize=7, color=MUTED)  # fmt: skip
    h = data.history
    ax.axvspan(data.since, data.as_of, color=INK, alpha=0.07, lw=0, label="this report's period")
    ax.plot(h.index, h["score"], color=INK, lw=1.8, label="score")
    withheld = h["score"].isna().to_numpy()
    if withheld.any():
        ax.plot(h.index[withheld], np.full(withheld.sum(), 1.5), "|", color=MUTED, ms=6,
                label="withheld (too little fresh evidence)")  # fmt: skip
    # The previous report's value below-left of its point, this one's above-left: the two
    # stay legible when a weekly period puts the points almost on top of each other.
    for when, a, offset in ((data.since, data.previous, -11), (data.as_of, data.now, 6)):
        if math.isnan(a.score):
            # No dot: a point in a band would read as a score in that band.
            ax.annotate(
                "no score (withheld)", (when, 50.0), xytext=(-3, offset),
                textcoords="offset points", ha="right", fontsize=7, color=MUTED,
            )  # fmt: skip
            continue
        ax.plot([when], [a.score], "o", color=INK, ms=4)
        ax.annotate(f"{a.score:.1f}", (when, a.score), xytext=(-3, offset),
                    textcoords="offset points", ha="right", fontsize=7, color=INK)  # fmt: skip
    interval = data.interval
    if not math.isnan(interval.median):  # the 90% interval of this report's score, a whisker
        ax.errorbar([data.as_of], [interval.median],
                    yerr=[[interval.median - interval.low], [interval.high - interval.median]],
                    fmt="none", ecolor=INK, elinewidth=1.0, capsize=3,
                    label="90% interval now")  # fmt: skip
    fired = pd.DatetimeIndex(data.fired["date"].unique()) if len(data.fired) else []
    for i, when in enumerate(fired):
        ax.axvline(when, color=ALERT, lw=0.8, ls="--", alpha=0.8)
        ax.plot([when], [97], "v", color=ALERT, ms=6,
                label="alert fired (rule named)" if i == 0 else None)  # fmt: skip
        # Which rule(s): the marker says it, so a reader need not guess.
        rules = sorted(set(data.fired.loc[data.fired["date"] == when, "rule"]))
        ax.annotate("\n".join(rules), (when, 94), xytext=(2, 0), textcoords="offset points",
                    ha="left", va="top", fontsize=5.5, color=ALERT)  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_xlim(h.index[0], data.as_of + pd.Timedelta(days=15))
    ax.set_ylabel("fragility score (0-100)")
    _date_axis(ax)
    ax.legend(loc="upper left", fontsize=7, frameon=False, ncols=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    named = ", ".join(
        f"{r} on {d.date()}" for r, d in zip(data.fired["rule"], data.fired["date"], strict=True)
    )
    alerts = f"; alerts fired: {named}" if len(fired) else ""
    spread = (
        ""
        if math.isnan(interval.median)
        else f" (90% interval {interval.low:.1f} to {interval.high:.1f})"
    )
    alt = (
        f"Score history of {data.country} from {h.index[0].date()} to {data.as_of.date()}:"
        f" {_score_text(data.previous.score, data.previous.band)} on {data.since.date()},"
        f" {_score_text(data.now.score, data.now.band)}{spread} on {data.as_of.date()}{alerts}."
    )
    return _png(fig, "history", alt)


def _contributions(data: ReportData) -> Chart:
    t = data.now.table.sort_values("contribution", ascending=True, na_position="first")
    fig = Figure(figsize=(INCHES, 0.8 + 0.26 * len(t)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(t))
    points = t["contribution"].to_numpy(float)
    colours = [DIMENSION_COLOURS.get(d, MUTED) for d in t["dimension"]]
    ax.barh(y, np.nan_to_num(points), color=colours, height=0.65)
    raw = t["value"].to_numpy(float)
    for yi, value, reading in zip(y, points, raw, strict=True):
        # A value without points: the score is withheld, the reading itself is there.
        label = (
            f"{value:.1f}"
            if not math.isnan(value)
            else "no fresh evidence"
            if math.isnan(reading)
            else "not scored (score withheld)"
        )
        ax.text(0 if math.isnan(value) else value, yi, f" {label}", va="center", fontsize=7,
                color=MUTED if math.isnan(value) else "black")  # fmt: skip
    ax.set_yticks(y, t["name"])
    ax.set_xlim(0, max(5.0, np.nanmax(points, initial=0.0) * 1.18))
    ax.set_xlabel("points of the score (the bars add up to the score)")
    dims = list(dict.fromkeys(t["dimension"]))
    handles = [Patch(color=DIMENSION_COLOURS.get(d, MUTED)) for d in dims]
    ax.legend(handles, dims, loc="lower right", fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    top = t.dropna(subset=["contribution"]).tail(3)[::-1]
    pairs = zip(top["name"], top["contribution"], strict=True)
    listed = ", ".join(f"{n} {c:.1f}" for n, c in pairs)
    alt = (
        f"Contributions to the score of {_score_text(data.now.score, data.now.band)} as of"
        f" {data.as_of.date()}, biggest first: {listed or 'none'}."
    )
    return _png(fig, "contributions", alt)


def _change(data: ReportData) -> Chart:
    c = data.change
    labels = list(c["name"])
    deltas = list(c["delta"].to_numpy(float))
    reasons = list(c["reason"])
    if data.model_change is not None:
        labels.append("model change (same evidence, new model)")
        deltas.append(data.model_change.points)
        reasons.append("model change")
    order = np.argsort(np.abs(np.nan_to_num(deltas)), kind="stable")  # biggest at the top
    labels, deltas, reasons = (
        [labels[i] for i in order],
        np.array(deltas)[order],
        [reasons[i] for i in order],
    )
    fig = Figure(figsize=(INCHES, 0.9 + 0.26 * len(labels)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    ax.barh(y, np.nan_to_num(deltas), color=[REASON_COLOURS.get(r, MUTED) for r in reasons],
            height=0.65)  # fmt: skip
    span = max(0.5, float(np.nanmax(np.abs(deltas), initial=0.0)))
    for yi, d in zip(y, deltas, strict=True):
        ax.text(d, yi, f" {d:+.1f} " if abs(d) >= 1 else f" {d:+.2f} ", va="center", fontsize=7,
                ha="left" if d >= 0 else "right")  # fmt: skip
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlim(-span * 1.25 if (deltas < 0).any() else -span * 0.05, span * 1.25)
    ax.set_xlabel(f"points of change since {data.since.date()}")
    present = list(dict.fromkeys(reasons))
    handles = [Patch(color=REASON_COLOURS.get(r, MUTED)) for r in present]
    ax.legend(handles, present, loc="lower right", fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    moved = ", ".join(f"{n} {d:+.1f}" for n, d in zip(labels[::-1], deltas[::-1], strict=True))
    alt = f"Change of the score since {data.since.date()} by indicator: {moved}."
    return _png(fig, "change", alt)


def _indicators(data: ReportData) -> Chart:
    value, low, high = data.raw["value"], data.raw["low"], data.raw["high"]
    every = data.indicators
    # A panel per indicator with evidence in the window; the others are named, not drawn
    # empty (a withheld report would otherwise show a wall of blank charts).
    seen = [c for c in every.index if c in value.columns and value[c].notna().any()]
    ind = every.loc[seen] if seen else every.iloc[:1]
    empty = [str(every.at[c, "name"]) for c in every.index if c not in seen]
    cols = 2
    rows = math.ceil(len(ind) / cols)
    fig = Figure(figsize=(INCHES, 0.5 + 1.5 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
    if empty:
        fig.suptitle("No evidence in this window: " + ", ".join(empty), fontsize=6.5,
                     color=MUTED, wrap=True)  # fmt: skip
    for ax, (code, row) in zip(axes, ind.iterrows(), strict=False):
        refs = data.refs.get(f"indicator:{code}", ())
        cite = f" [{', '.join(map(str, refs))}]" if refs else ""
        ax.set_title(f"{row['name']}{cite}", fontsize=7.5, loc="left")
        series = value[code]
        known = series.notna().to_numpy()
        # A reading with no neighbour (evidence for one date only) would draw no line: a dot.
        alone = known & ~np.r_[False, known[:-1]] & ~np.r_[known[1:], False]
        ax.plot(series.index, series, color=INK, lw=1.4, marker="o", ms=2.5, markevery=alone)
        if known[-1]:
            ax.plot([series.index[-1]], [series.iloc[-1]], "o", color=INK, ms=3.5)
        if (high[code] - low[code]).abs().max() > 0:
            ax.fill_between(value.index, low[code], high[code], color=INK, alpha=0.15, lw=0)
        fragile, calm = (row["hi"], row["lo"]) if row["direction"] > 0 else (row["lo"], row["hi"])
        ax.axhline(fragile, color=ALERT, lw=0.8, ls="--")
        ax.axhline(calm, color="#2e7d32", lw=0.8, ls="--")
        ax.axvline(data.since, color=MUTED, lw=0.6, ls=":")
        if value[code].isna().all():
            ax.text(0.5, 0.5, "no fresh evidence in this window", transform=ax.transAxes,
                    ha="center", va="center", fontsize=7, color=MUTED)  # fmt: skip
        ax.set_ylabel(_short(row["unit"]), fontsize=6.5, color=MUTED)
        ax.tick_params(labelsize=6.5)
        _date_axis(ax)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in axes[len(ind) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color=INK, lw=1.4),
        Line2D([], [], color=ALERT, lw=0.8, ls="--"),
        Line2D([], [], color="#2e7d32", lw=0.8, ls="--"),
        Line2D([], [], color=MUTED, lw=0.6, ls=":"),
    ]
    fig.legend(handles, ["raw value (band: reported range)", "fragile goalpost",
                         "calm goalpost", f"previous report ({data.since.date()})"],
               loc="outside lower center", ncols=4, fontsize=6.5, frameon=False)  # fmt: skip
    alt = (
        f"Raw values of the {len(ind)} indicators with evidence over time with their goalposts: "
        + "; ".join(_latest(value[code], row) for code, row in ind.iterrows())
        + "."
        + (f" No evidence in this window: {', '.join(empty)}." if empty else "")
    )
    return _png(fig, "indicators", alt)


def _short(unit: str) -> str:
    """The unit as an axis label: wrapped onto lines, never cut ("percent of popula...")."""
    return "\n".join(textwrap.wrap(unit, 18)) or unit


def _latest(series: pd.Series, row: pd.Series) -> str:
    last = series.iloc[-1]
    shown = "no fresh evidence" if math.isnan(last) else f"{last:,.1f} {row['unit']}"
    return f"{row['name']} {shown} (goalposts {row['lo']:g} to {row['hi']:g})"
