"""From ReportData to a finished report: charts, HTML (by file or by Content-ID) and text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fragwatch.reports.charts import Chart, draw_charts
from fragwatch.reports.data import ReportData
from fragwatch.reports.render import render_html, render_text
from fragwatch.reports.view import build_view


@dataclass(frozen=True)
class Report:
    data: ReportData
    view: dict
    charts: list[Chart]
    text: str

    @property
    def subject(self) -> str:
        return self.view["title"]

    def html(self, src: Callable[[Chart], str]) -> str:
        """The HTML with each chart's ``src`` from ``src(chart)``: a file name or a ``cid:``."""
        charts = {
            c.name: {
                "name": c.name,
                "src": src(c),
                "alt": c.alt,
                "width": c.width,
                "height": c.height,
                "caption": _caption(c.name, self.view),
            }
            for c in self.charts
        }
        return render_html(self.view, charts)


def build_report(data: ReportData, *, methodology_url: str) -> Report:
    view = build_view(data, methodology_url=methodology_url)
    return Report(data, view, draw_charts(data), render_text(view))


def _caption(name: str, view: dict) -> str:
    refs = view["figure_refs"].get(name, "")
    cited = f" Sources: [{refs}]." if refs else " No evidence behind these values."
    since, as_of = view["since"], view["as_of"]
    whisker = f"; whisker at {as_of}: the 90% interval" if view["headline"]["range"] else ""
    captions = {
        "history": "The score at each month end, each computed only from evidence published by"
        " then (and, where the service stored a score, that one). Shading: bands; a short"
        " period is zoomed in under the long view; each alert rule that fired has its own"
        f" marker, named in the legend; grey ticks: score withheld{whisker}.",
        "contributions": f"Contributions as of {as_of}: each indicator's normalised value times"
        " its weight, in points; the bars add up to the score.",
        "change": f"Change since {since} by indicator, coloured by what moved it.",
        "indicators": "Raw values over time with their goalposts (red dashed: fragile end,"
        f" green dashed: calm end; dotted: {since}). Bracketed numbers: each panel's sources.",
    }
    return captions.get(name, "") + cited
