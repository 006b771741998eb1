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


RULE_COLOURS = ("#c62828", "#7b1fa2", "#ad1457", "#e65100", "#4a148c", "#b71c1c")
RULE_MARKERS = ("v", "D", "s", "^", "P", "X")
RECENT_PERIODS = 12  # the zoomed panel shows the report's period and about 11 before it
RECENT_MIN_DAYS = 91  # ... and at least a quarter, so a weekly report's weeks can be read


def recent_window(data: ReportData) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The span of the zoomed panel, or None when the whole history is already that short.

    A weekly report on a five-year axis is a sliver at the right edge: its weeks get a panel
    of their own, some twelve periods wide, under the long history for context.
    """
    period = max(data.as_of - data.since, pd.Timedelta(days=1))
    start = data.as_of - max(RECENT_PERIODS * period, pd.Timedelta(days=RECENT_MIN_DAYS))
    first = data.history.index[0]
    if start <= first + (data.as_of - first) / 3:  # would show most of the history anyway
        return None
    return start, data.as_of + max(period / 2, pd.Timedelta(days=3))


def history_figure(data: ReportData) -> Figure:
    """The score history: the long view, and the report's period zoomed in when it is short."""
    recent = recent_window(data)
    h = data.history
    long_span = (h.index[0], data.as_of + pd.Timedelta(days=15))
    if recent is None:
        fig = Figure(figsize=(INCHES, 3.3), layout="constrained")
        axes = [fig.add_subplot()]
        spans = [long_span]
    else:
        fig = Figure(figsize=(INCHES, 4.9), layout="constrained")
        axes = list(fig.subplots(2, 1, height_ratios=[1, 1.5]))
        spans = [long_span, recent]
    rules = sorted(set(data.fired["rule"])) if len(data.fired) else []
    for ax, span in zip(axes, spans, strict=True):
        _history_panel(ax, data, span, rules, labels=ax is axes[-1])
    if recent is not None:
        top, zoom = axes
        # The zoomed span shaded on the long view, so the two panels read as one story.
        top.axvspan(*recent, color=MUTED, alpha=0.12, lw=0)
        top.set_title(f"{h.index[0].date()} to {data.as_of.date()}", fontsize=7.5, loc="left")
        zoom.set_title(
            f"Zoomed in: {recent[0].date()} to {data.as_of.date()} (this report's period shaded)",
            fontsize=7.5, loc="left",
        )  # fmt: skip
    handles, names = axes[-1].get_legend_handles_labels()
    for other in axes[:-1]:  # a rule that fired only outside the zoom is named too
        for handle, name in zip(*other.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    fig.legend(handles, names, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    return fig


def _history_panel(
    ax, data: ReportData, span: tuple[pd.Timestamp, pd.Timestamp], rules: list[str], *,
    labels: bool,
) -> None:  # fmt: skip
    edges = [edge for _, edge in data.bands] + [100.0]
    shades = colormaps["RdYlGn_r"](np.linspace(0.15, 0.9, len(data.bands)))
    for (name, low), high, shade in zip(data.bands, edges[1:], shades, strict=True):
        ax.axhspan(low, high, color=shade, alpha=0.22, lw=0)
        ax.text(1.01, (low + high) / 2, name, transform=ax.get_yaxis_transform(),
                va="center", fontsize=7, color=MUTED)  # fmt: skip
    h = data.history
    ax.axvspan(data.since, data.as_of, color=INK, alpha=0.07, lw=0, label="this report's period")
    ax.plot(h.index, h["score"], color=INK, lw=1.8, label="score", marker="o", ms=2)
    withheld = h["score"].isna().to_numpy()
    if withheld.any():
        ax.plot(h.index[withheld], np.full(withheld.sum(), 1.5), "|", color=MUTED, ms=6,
                label="withheld (too little fresh evidence)")  # fmt: skip
    if labels:
        _point_labels(ax, data)
    interval = data.interval
    if not math.isnan(interval.median):  # the 90% interval of this report's score, a whisker
        ax.errorbar([data.as_of], [interval.median],
                    yerr=[[interval.median - interval.low], [interval.high - interval.median]],
                    fmt="none", ecolor=INK, elinewidth=1.0, capsize=3,
                    label="90% interval now")  # fmt: skip
    # Each rule its own colour and marker, named in the legend: a reader sees which one fired.
    fired = data.fired[(data.fired["date"] >= span[0]) & (data.fired["date"] <= span[1])]
    for rule in rules:
        dates = pd.DatetimeIndex(fired.loc[fired["rule"] == rule, "date"].unique())
        if dates.empty:
            continue
        k = rules.index(rule) % len(RULE_COLOURS)
        slot = 97 - 4 * (rules.index(rule) % 4)  # rules firing together do not hide each other
        for when in dates:
            ax.axvline(when, color=RULE_COLOURS[k], lw=0.7, ls="--", alpha=0.7)
        ax.plot(dates, np.full(len(dates), slot), RULE_MARKERS[k], color=RULE_COLOURS[k],
                ms=5, ls="none", label=f"alert fired: {rule}")  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_xlim(*span)
    ax.set_ylabel("fragility score\n(0-100)")
    _date_axis(ax)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _point_labels(ax, data: ReportData) -> None:
    """The previous report's and this report's scores, each label on its own side: the
    higher score's above its point, the lower one's below, so they never read crossed."""
    points = [(data.since, data.previous), (data.as_of, data.now)]
    scored = [p for p in points if not math.isnan(p[1].score)]
    top = max(scored, key=lambda p: (p[1].score, p[0]))[0] if len(scored) == 2 else None
    for when, a in points:
        if math.isnan(a.score):
            # No dot: a point in a band would read as a score in that band.
            ax.annotate(
                "no score (withheld)", (when, 50.0), xytext=(-3, 6 if when == data.as_of else -11),
                textcoords="offset points", ha="right", fontsize=7, color=MUTED,
            )  # fmt: skip
            continue
        above = top is None or when == top
        ax.plot([when], [a.score], "o", color=INK, ms=4)
        ax.annotate(f"{a.score:.1f}", (when, a.score), xytext=(-3, 6 if above else -11),
                    textcoords="offset points", ha="right", fontsize=7, color=INK)  # fmt: skip


def _history(data: ReportData) -> Chart:
    fig = history_figure(data)
    h = data.history
    interval = data.interval
    fired = data.fired
    named = ", ".join(
        f"{r} on {d.date()}" for r, d in zip(fired["rule"], fired["date"], strict=True)
    )
    alerts = f"; alerts fired: {named}" if len(fired) else ""
    spread = (
        ""
        if math.isnan(interval.median)
        else f" (90% interval {interval.low:.1f} to {interval.high:.1f})"
    )
    recent = recent_window(data)
    zoom = "" if recent is None else f", with {recent[0].date()} onwards zoomed in"
    alt = (
        f"Score history of {data.country} from {h.index[0].date()} to {data.as_of.date()}{zoom}:"
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


def _panels(data: ReportData) -> tuple[pd.DataFrame, list[str]]:
    """The indicators drawn (those with evidence in the window) and the names of the rest."""
    value, every = data.raw["value"], data.indicators
    # A panel per indicator with evidence in the window; the others are named, not drawn
    # empty (a withheld report would otherwise show a wall of blank charts).
    seen = [c for c in every.index if c in value.columns and value[c].notna().any()]
    ind = every.loc[seen] if seen else every.iloc[:1]
    return ind, [str(every.at[c, "name"]) for c in every.index if c not in seen]


def _indicators(data: ReportData) -> Chart:
    ind, empty = _panels(data)
    value = data.raw["value"]
    alt = (
        f"Raw values of the {len(ind)} indicators with evidence over time with their goalposts: "
        + "; ".join(_latest(value[code], row) for code, row in ind.iterrows())
        + "."
        + (f" No evidence in this window: {', '.join(empty)}." if empty else "")
    )
    return _png(indicators_figure(data), "indicators", alt)


def indicators_figure(data: ReportData) -> Figure:
    """A panel per indicator: its raw value over time, its range, its goalposts."""
    value, low, high = data.raw["value"], data.raw["low"], data.raw["high"]
    ind, empty = _panels(data)
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
    return fig


def _short(unit: str) -> str:
    """The unit as an axis label: wrapped onto lines, never cut ("percent of popula...")."""
    return "\n".join(textwrap.wrap(unit, 18)) or unit


def _latest(series: pd.Series, row: pd.Series) -> str:
    last = series.iloc[-1]
    shown = "no fresh evidence" if math.isnan(last) else f"{last:,.1f} {row['unit']}"
    return f"{row['name']} {shown} (goalposts {row['lo']:g} to {row['hi']:g})"
