"""ReportData as the templates show it: every number formatted, every text still plain text.

Formatting lives here, not in the templates, so the HTML and the text version say the same
thing. Nothing here is markup: the HTML template escapes every value (DESIGN §10).
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import pandas as pd

from fragwatch.render import fmt_number, layer_split
from fragwatch.reports import citations, words
from fragwatch.reports.data import ReportData
from fragwatch.scoring.uncertainty import Interval

MAX_CHANGE_QUOTES = 3  # per moved indicator in "what changed"; all of them under "evidence"
REASONS = {
    "new evidence": "new evidence",
    "newly covered": "newly covered (fresh evidence where there was none)",
    "ageing": "ageing of the same evidence",
    "evidence went stale": "evidence went stale",
    "model change": "model change",
}
# The rules the interval's draws can test (indicator rules over their own evidence range).
DRAWN_RULES = ("score_above", "score_below", "indicator_above", "indicator_below")
# Band colours for the headline, calm to fragile (the history chart shades the same way).
BAND_COLOURS = ("#2e7d32", "#9e9d24", "#ef6c00", "#c62828", "#7b1fa2")


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def num(x: float | None, digits: int = 1) -> str:
    return "n/a" if _missing(x) else fmt_number(float(x), digits)


def signed(x: float | None, digits: int = 2) -> str:
    return "n/a" if _missing(x) else f"{float(x):+.{digits}f}"


def day(x: object) -> str:
    return "date unknown" if _missing(x) or pd.isna(x) else str(pd.Timestamp(x).date())


def safe_url(url: object) -> str:
    """The URL if it is a plain http(s) link, else '' (a javascript: link is never a link)."""
    if not isinstance(url, str) or not url.strip():
        return ""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def score_text(score: float, band: str) -> str:
    return "withheld" if _missing(score) else f"{score:.1f} ({band})"


def interval_text(interval: Interval, weight_noise: float) -> str:
    """'median 68.7, 90% interval 67.6 – 70.2 (400 draws over evidence ranges and 10% weight
    noise)': the numbers ``render.interval_line`` gives `fragwatch assess`, to one decimal."""
    if _missing(interval.median):
        return "no interval (score withheld)"
    return (
        f"median {interval.median:.1f}, 90% interval {interval.low:.1f} \u2013 {interval.high:.1f}"
        f" ({interval.draws} draws over evidence ranges and {weight_noise:.0%} weight noise)"
    )


def robust_text(share: float | None, robust_share: float) -> str:
    """'fires in 93% of draws (robust at 80%)', worded as ``render.interval_line`` words it.

    A firing alert that fires in no draw is shown too (not robust): the reader sees it firing.
    """
    if _missing(share):  # a withheld score, or an indicator without fresh evidence now
        return "not judged: no reading to draw from"
    verdict = "robust" if share >= robust_share else "not robust"
    return f"fires in {share:.0%} of draws ({verdict} at {robust_share:.0%})"


def subject_text(data: ReportData) -> str:
    """'TJK risk report as of 2016-01-31: 68.9 (high), +15.4' (the mail's subject, unprefixed)."""
    now, previous = data.now, data.previous
    head = f"{data.country} risk report as of {data.as_of.date()}: "
    if _missing(now.score):
        return head + "score withheld"
    if _missing(previous.score):
        return head + f"{score_text(now.score, now.band)}, previously withheld"
    return head + f"{score_text(now.score, now.band)}, {data.score_change:+.1f}"


def build_view(data: ReportData, *, methodology_url: str) -> dict:
    """The template context: plain strings, numbers already formatted."""
    quotes = _quotes(data)
    return {
        "title": subject_text(data),
        "country": data.country,
        "as_of": str(data.as_of.date()),
        "since": str(data.since.date()),
        "headline": _headline(data),
        "warnings": list(data.warnings),
        "happened": _happened(data),
        "changes": _changes(data, quotes),
        "model_change": _model_change(data),
        "indicators": _indicator_rows(data),
        "alerts": _alerts(data),
        "sources": _sources(data, quotes),
        "figure_refs": {k: ", ".join(map(str, v)) for k, v in data.refs.items()},
        "method": {
            "draws": str(data.uncertainty.draws),
            "weight_noise": f"{data.uncertainty.weight_noise:.0%}",
            "robust_share": f"{data.uncertainty.robust_share:.0%}",
            # Linked only when absolute: a relative path is broken in mail and beside the file.
            "url": safe_url(methodology_url),
            "named": methodology_url.strip(),
            "model": data.model_name,
            "model_digest": data.model_digest[:12],
            "evidence_digest": data.now.evidence_digest[:12],
        },
    }


def _headline(data: ReportData) -> dict:
    now, previous = data.now, data.previous
    names = [name for name, _ in data.bands]
    position = names.index(now.band) if now.band in names else -1
    colour = BAND_COLOURS[min(position, len(BAND_COLOURS) - 1)] if position >= 0 else "#666666"
    if _missing(now.score) or _missing(previous.score):
        change = "n/a"
    else:
        change = f"{data.score_change:+.1f} points"
    return {
        "score": "withheld" if _missing(now.score) else f"{now.score:.1f}",
        # Not "withheld / withheld": the band line says why there is no score.
        "band": "too little fresh evidence" if _missing(now.score) else now.band,
        "colour": colour,
        "change": change,
        "previous": score_text(previous.score, previous.band),
        # The coverage and the layers it came from: "62% (open data 62%, reports 0%)".
        "coverage": f"{now.coverage:.0%}{layer_split(now)}",
        "interval": interval_text(data.interval, data.uncertainty.weight_noise),
        "range": _range(data.interval),
        "moved": len(data.change),
        "trend": _trend(data)[0] or "",
        "summary": _summary(data),
    }


def _range(interval: Interval) -> str:
    """'90% 67.6\u201370.2' under the score in the HTML headline; '' when withheld."""
    return "" if _missing(interval.median) else f"90% {interval.low:.1f}\u2013{interval.high:.1f}"


def _reference(data: ReportData) -> tuple[float, str, str, str]:
    """The score the trend is called against: the previous report's, or, when that was
    withheld, the last score on record before it (with a note saying so)."""
    previous = data.previous
    if not _missing(previous.score):
        return previous.score, previous.band, str(data.since.date()), ""
    h = data.history
    earlier = h[(h.index <= data.since) & h["score"].notna()]
    if earlier.empty:
        return math.nan, "", "", ""
    day_ = earlier.index[-1]
    note = f", the last score before {data.since.date()} (withheld then)"
    return float(earlier["score"].iloc[-1]), str(earlier["band"].iloc[-1]), str(day_.date()), note


def _trend(data: ReportData) -> tuple[str | None, str]:
    now, interval = data.now, data.interval
    score, band, day_, note = _reference(data)
    call = words.trend_call(now.score, score, interval.low, interval.high)
    text = words.trend_sentence(
        call, now.score, now.band, score, band, day_, interval.low, interval.high, note=note
    )
    return call, text


def _summary(data: ReportData) -> str:
    now = data.now
    if _missing(now.score):
        t = now.table
        missing = ", ".join(t.loc[t["value"].isna(), "name"].astype(str))
        return (
            f"No score as of {data.as_of.date()}: only {now.coverage:.0%} of the model's weight"
            f" has fresh evidence (at least {now.min_coverage:.0%} is needed). Missing:"
            f" {missing}."
        )
    _, lead = _trend(data)
    if data.change.empty:
        return lead + " No indicator moved."
    total = data.score_change
    change = data.change
    # The main driver moved the way the score did; one that moved against it is named as such.
    with_trend = change[~change["delta"].apply(lambda d: words.against(d, total))]
    top = (with_trend if len(with_trend) else change).iloc[0]
    code = top.name
    said = words.why(code, change, unit=_unit(data, code), was_withheld=_was_withheld(data))
    text = f"{lead} Main driver: {top['name']} ({signed(top['delta'])} points): {said}."
    counter = change[change["delta"].apply(lambda d: words.against(d, total))]
    if len(counter):
        c = counter.iloc[0]
        why_c = words.why(c.name, change, unit=_unit(data, c.name),
                          was_withheld=_was_withheld(data))  # fmt: skip
        text += (
            f" Against the trend: {c['name']} ({signed(c['delta'])} points): {why_c[0].lower()}"
            f"{why_c[1:]}."
        )
    return text


def _was_withheld(data: ReportData) -> bool:
    return _missing(data.before.score)


MAX_NEWS = 8  # events and figures each in "what happened"; the rest are counted


def _happened(data: ReportData) -> dict:
    """Events and figures that became known in the period, dated, with deaths."""
    refs = pd.Series(data.sources.index, index=data.sources["source_id"])

    def source(row: pd.Series) -> str:
        # A cited source by its number in the source list; another with its own date.
        name = row["publisher"] or row["title"]
        if row["source_id"] in refs.index:
            return f"[{refs[row['source_id']]}] {name}"
        return f"{name}, published {day(row['source_published'])}"

    events = []
    for _, e in data.news.head(MAX_NEWS).iterrows():
        deaths = "" if _missing(e["fatalities"]) else f" ({int(e['fatalities'])} dead)"
        events.append(
            {
                "date": str(e["date"]),
                "text": f"{e['description']}{deaths}",
                "source": source(e),
            }
        )
    figures = []
    for _, f in data.figures.head(MAX_NEWS).iterrows():
        figures.append(
            {
                "text": f"{f['quantity']} {f['period']}: {num(f['value'])} {f['unit']}".rstrip(),
                "source": source(f),
            }
        )
    deaths = data.news["fatalities"].sum(min_count=1)
    return {
        "events": events,
        "more_events": max(0, len(data.news) - MAX_NEWS),
        "figures": figures,
        "more_figures": max(0, len(data.figures) - MAX_NEWS),
        "deaths": "" if _missing(deaths) else str(int(deaths)),
    }


def _unit(data: ReportData, code: str) -> str:
    ind = data.indicators
    return str(ind.at[code, "unit"]) if code in ind.index else ""


def _value(value: float, unit: str) -> str:
    return "no fresh evidence" if _missing(value) else f"{num(value)} {unit}".rstrip()


def _quotes(data: ReportData) -> dict[str, dict]:
    """Every cited evidence row as the templates show it, by evidence id."""
    out = {}
    sources = data.sources
    for evidence_id, row in data.citations.iterrows():
        ref = row["ref"]
        source = sources.loc[int(ref)] if not _missing(ref) else None
        shown, cleaned, data_row = _shown(row, source)
        out[evidence_id] = {
            "id": evidence_id,
            "quote": str(row["quote"]),
            "shown": shown,  # what the reader sees (the stored quote stays verbatim)
            "cleaned": cleaned,  # markup or footnote markers removed for display
            "data": data_row,  # a row of a data set, shown as a figure, not as a quote
            "what": str(row["what"]),
            "ref": "" if source is None else str(int(ref)),
            "title": "unknown source" if source is None else str(source["title"]),
            "publisher": "" if source is None else str(source["publisher"]),
            # One publication date per source everywhere: the source's, as in the list.
            "date": day(row["published"] if source is None else source["published"]),
            "url": "" if source is None else safe_url(source["url"]),
            "published": row["published"],
        }
    return out


def _shown(row: pd.Series, source: pd.Series | None) -> tuple[str, bool, bool]:
    """The quote as the reader sees it: a data row as a figure, other text without markup."""
    quote = str(row["quote"])
    is_data = (
        source is not None
        and source["kind"] == "dataset"
        and citations.is_data_row(quote)
        and not _missing(row["value"])
    )
    if is_data:
        published = source["published"]
        release = None if _missing(published) or pd.isna(published) else published.year
        text = citations.data_row_text(
            title=str(source["title"]), publisher=str(source["publisher"]), release=release,
            value=float(row["value"]), unit=str(row["unit"]), quantity=str(row["quantity"]),
            period=str(row["period"]),
            citation=_text(row.get("citation")) or _text(source.get("citation")),
        )  # fmt: skip
        return text, False, True
    text, cleaned = citations.clean_quote(quote)
    return text, cleaned, False


def _pick(quotes: dict[str, dict], ids, limit: int | None = None) -> tuple[list[dict], int]:
    """The quotes of ``ids``, newest first, each passage once; and how many were left out."""
    rows = [quotes[i] for i in ids if i in quotes]
    # Newest first: what just arrived is what the reader has not seen yet.
    rows.sort(key=lambda q: pd.Timestamp.min if _missing(q["published"]) else q["published"])
    rows.reverse()
    seen, unique = set(), []
    for q in rows:
        key = (q["quote"], q["title"])
        if key not in seen:
            seen.add(key)
            unique.append(q)
    if limit is None:
        return unique, 0
    return unique[:limit], max(0, len(unique) - limit)


def _changes(data: ReportData, quotes: dict[str, dict]) -> list[dict]:
    rows = []
    for code, row in data.change.iterrows():
        unit = _unit(data, code)
        shown, more = _pick(quotes, row["cite_ids"], MAX_CHANGE_QUOTES)
        fresh = set(row["new_evidence_ids"])
        rows.append(
            {
                "code": code,
                "name": row["name"],
                "before": _value(row["value_before"], unit),
                "after": _value(row["value_after"], unit),
                "delta": signed(row["delta"]),
                "from_value": signed(row["from_value"]),
                "from_reweighting": signed(row["from_reweighting"]),
                "reason": REASONS.get(row["reason"], row["reason"]),
                "why": words.why(code, data.change, unit=unit, was_withheld=_was_withheld(data)),
                "new": len(row["new_evidence_ids"]) > 0,
                "quotes": [{**q, "new": q["id"] in fresh} for q in shown],
                "more": more,
            }
        )
    return rows


def _model_change(data: ReportData) -> dict | None:
    mc = data.model_change
    if mc is None:
        return None
    return {
        "points": signed(mc.points),
        "reported": score_text(mc.reported.score, mc.reported.band),
        "rescored": score_text(data.before.score, data.before.band),
        "old_digest": mc.reported.model_digest[:12],
        "new_digest": data.model_digest[:12],
    }


def _indicator_rows(data: ReportData) -> list[dict]:
    t = data.now.table.set_index("code")
    t = t.iloc[(-t["contribution"].fillna(-1)).argsort(kind="stable")]
    delta = data.change["delta"]
    rows = []
    for code, row in t.iterrows():
        ranged = not _missing(row["low"]) and row["low"] != row["high"]
        fragile = "higher" if row["direction"] > 0 else "lower"
        refs = data.refs.get(f"indicator:{code}", ())
        rows.append(
            {
                "code": code,
                "name": row["name"],
                "dimension": row["dimension"],
                "value": _value(row["value"], row["unit"]),
                "range": f"{num(row['low'])}-{num(row['high'])}" if ranged else "",
                "goalposts": f"{row['lo']:g} to {row['hi']:g}",
                "fragile": f"{fragile} is more fragile",
                "normalised": num(row["normalised"], 2),
                "weight": f"{row['weight']:.1%}" if row["weight"] > 0 else "-",
                "points": num(row["contribution"], 2),
                "change": (
                    "n/a"
                    if _missing(row["value"]) and code not in delta.index
                    else signed(delta[code])
                    if code in delta.index
                    else "0.00"
                ),
                "refs": ", ".join(str(r) for r in refs if r) if refs else "",
                "missing": _missing(row["value"]),
            }
        )
    return rows


def _alerts(data: ReportData) -> dict:
    if data.active is None:
        return {"store": False, "rows": []}
    robust = data.uncertainty.robust_share
    rows = [
        {
            "rule": r["rule"],
            "subject": r["subject"],
            "severity": r["severity"] or "-",
            "description": r["description"],
            # The period the alert started firing in (the run's date, not the run's clock).
            "since": "unknown" if _missing(r["since"]) else f"{r['since']:%Y-%m-%d}",
            "value": "-" if _missing(r["value"]) else f"{r['value']:.4g}",
            "acked_by": r["acked_by"] or "",
            # Score rules: in how many of the interval's draws the score is past the fire level.
            "draws": robust_text(r["share"], robust) if r["kind"] in DRAWN_RULES else "",
            "robust": not _missing(r["share"]) and r["share"] >= robust,
        }
        for _, r in data.active.iterrows()
    ]
    fired = len(data.fired)
    run = data.alerts_as_of
    return {
        "store": True,
        "rows": rows,
        "fired": fired,
        # The stored run the alert state is as of: the report's date or the last run before it.
        "run": "" if run is None else str(run.date()),
    }


def _supports(data: ReportData) -> dict[str, list[str]]:
    """Evidence id -> the indicators it is behind (now, before, or in what changed)."""
    out: dict[str, list[str]] = {}
    pairs = [
        (name, ids)
        for t in (data.now.table, data.before.table)
        for name, ids in zip(t["name"], t["evidence_ids"], strict=True)
    ]
    pairs += list(zip(data.change["name"], data.change["cite_ids"], strict=True))
    names = data.indicators["name"]
    # Behind a raw value in the indicators chart only (an earlier year): that indicator too.
    pairs += [(str(names[code]), ids) for code, ids in data.panel_ids.items() if code in names]
    for name, ids in pairs:
        for i in ids:
            names = out.setdefault(i, [])
            if name not in names:
                names.append(name)
    return out


def _figure(row: pd.Series) -> str:
    """What an evidence row says, with its period: '4,500 fighters in 2015-11', or for an
    event its kind and date ('armed attack, 2015-11')."""
    if row["kind"] == "event":
        kind, _, when = str(row["what"]).rpartition(" ")
        return f"event: {kind.replace('_', ' ')}, {when}"
    if _missing(row["value"]):
        return f"{str(row['quantity']).replace('_', ' ')}, {row['period']}"
    figure = citations.figure_text(float(row["value"]), str(row["unit"]), str(row["quantity"]))
    return f"{figure} in {row['period']}"


def _shown_ids(data: ReportData) -> set[str]:
    """The evidence behind a value the report prints: the indicator table (now), the values
    then and now of what changed, and the quotes of what changed."""
    tables = (data.now.table, data.before.table)
    out = {i for t in tables for ids in t["evidence_ids"] for i in ids}
    return out | {i for ids in data.change["cite_ids"] for i in ids}


def _sources(data: ReportData, quotes: dict[str, dict]) -> list[dict]:
    """Each source once (title, publisher, link, its one publication date), then every quote
    behind a value the report prints, each with the figure it gives, its period and what it
    supports. A passage behind several evidence rows (an event and its count) is listed once.

    Passages behind only the charts' earlier values (five years of raw values) are counted per
    source, not quoted: quoting them all would make the mail too long to read on a phone (and
    Gmail clips an HTML part over about 102 kB); the source's link leads to them."""
    supports = _supports(data)
    shown = _shown_ids(data)
    new = {i for ids in data.change["new_evidence_ids"] for i in ids}
    grouped: dict[str, list[dict]] = {}
    for evidence_id, row in data.citations.sort_values(["period", "what"]).iterrows():
        q = quotes[evidence_id]
        rows = grouped.setdefault(q["ref"], [])
        # One passage once; a data line backs one figure per quantity, each its own row.
        key = q["shown"] if q["data"] else q["quote"]
        same = next((r for r in rows if r["key"] == key), None)
        figure = "" if q["data"] else _figure(row)  # a data row's text is its figure
        if same is None:
            same = {**q, "key": key, "figures": [], "supports": [], "new": False, "in": False}
            rows.append(same)
        if figure and figure not in same["figures"]:
            same["figures"].append(figure)
        for name in supports.get(evidence_id, []):
            if name not in same["supports"]:
                same["supports"].append(name)
        same["new"] = same["new"] or evidence_id in new
        same["in"] = same["in"] or evidence_id in shown
    out = []
    for ref, s in data.sources.iterrows():
        out.append(_source(str(ref), s, grouped.get(str(ref), [])))
    if "" in grouped:  # evidence whose source is not in the evidence base
        unknown = pd.Series({"title": "unknown source", "publisher": "", "published": None,
                             "url": ""})  # fmt: skip
        out.append(_source("", unknown, grouped[""]))
    return out


def _source(ref: str, s: pd.Series, rows: list[dict]) -> dict:
    quoted = [r for r in rows if r["in"]]
    return {
        "ref": ref,
        "title": str(s["title"]),
        "publisher": str(s["publisher"]),
        "published": day(s["published"]),
        "url": safe_url(s["url"]),
        "quotes": _said(quoted),
        # Passages behind only the charts' earlier values: counted, not quoted.
        "more": len(rows) - len(quoted),
    }


def _said(rows: list[dict]) -> list[dict]:
    """Each quote's figures and the indicators it supports, as one line of text."""
    for r in rows:
        said = "; ".join(r["figures"])
        if r["supports"]:
            said += ("; " if said else "") + "supports " + ", ".join(r["supports"])
        r["said"] = said
    return rows


def _text(value: object) -> str:
    """A cell that may be missing (NaN, None) as text, '' when missing."""
    return value if isinstance(value, str) else ""
