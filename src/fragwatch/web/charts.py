"""The score-history chart as inline SVG: band shading, the score line, alert marks.

Drawn on the server from numbers only (no text from evidence goes into it), so pages need no
script and no chart library from a network.
"""

from __future__ import annotations

from datetime import date, datetime

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 36, 10, 10, 26


def _x(day: date, first: date, last: date) -> float:
    span = max((last - first).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span


def _y(score: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / 100.0)


def history_svg(history: list[dict], bands: list[dict], firings: list[dict]) -> dict:
    """The parts of the chart as numbers the template writes into SVG elements."""
    points = [(date.fromisoformat(h["as_of"]), h["score"]) for h in history]
    if not points:
        return {"empty": True, "width": WIDTH, "height": HEIGHT}
    first, last = points[0][0], points[-1][0]
    if first == last:
        first = date(first.year - 1, first.month, min(first.day, 28))
    segments, current = [], []
    for day, score in points:  # a withheld score breaks the line
        if score is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{_x(day, first, last):.1f},{_y(score):.1f}")
    if current:
        segments.append(current)
    marks = []
    for f in firings:
        at = datetime.fromisoformat(f["at"]).date()
        if first <= at <= last:
            marks.append({"x": round(_x(at, first, last), 1), "label": f"{f['rule']} {at}"})
    years = range(first.year + (first.month > 1), last.year + 1)
    return {
        "empty": False,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "bands": [
            {
                "name": b["name"],
                "index": i,
                "y": round(_y(b["hi"]), 1),
                "h": round(_y(b["lo"]) - _y(b["hi"]), 1),
            }
            for i, b in enumerate(bands)
        ],
        "lines": [" ".join(s) for s in segments],
        "dots": [
            {"x": round(_x(d, first, last), 1), "y": round(_y(s), 1), "label": f"{d}: {s:.1f}"}
            for d, s in points
            if s is not None
        ],
        "marks": marks,
        "ticks": [{"x": round(_x(date(y, 1, 1), first, last), 1), "label": str(y)} for y in years],
        "grid": [{"y": round(_y(v), 1), "label": str(v)} for v in (0, 20, 40, 60, 80, 100)],
    }
