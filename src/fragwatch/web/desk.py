"""What the web desk shows, as plain JSON-able dicts: the pages render them, the API returns them.

Everything is computed by the code the command line uses (``scoring.assessment``,
``scoring.explain``, ``scoring.uncertainty``, ``store.*``, ``scenarios.run``,
``evidence.query``); this module only gathers and words it. Views of the store are cached on a
cheap stamp of the tables they read (row count and latest write), so a page is re-computed only
after ``serve`` or an officer wrote something.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

from fragwatch.alerts.lifecycle import replay
from fragwatch.errors import UsageError
from fragwatch.evidence import Evidence
from fragwatch.evidence.regions import country_name
from fragwatch.reports.view import BAND_COLOURS, REASONS, safe_url
from fragwatch.scoring.assessment import Assessment, assess
from fragwatch.scoring.explain import attribute_change
from fragwatch.scoring.ranking import rank_countries
from fragwatch.scoring.spec import ModelSpec
from fragwatch.scoring.uncertainty import assessment_interval
from fragwatch.store.engine import read_connection
from fragwatch.store.schema import alert_state, assessments, outbox, silences

TREND_PERIODS = 4  # the trend mark looks at this many stored periods
TREND_POINTS = 1.0  # a move smaller than this over them is "steady"
REPORT_HTML = "report.html"


class _Cache:
    """A small thread-safe LRU shared by every request thread. One thread computes a missing
    view while the others asking for the same key wait for it (no stampede after a write)."""

    def __init__(self, size: int = 256, refresh_seconds: float = 5.0) -> None:
        self._items: OrderedDict = OrderedDict()
        # A view is recomputed at most this often, however often the store changes.
        self.refresh_seconds = refresh_seconds
        self._size = size
        self._lock = threading.Lock()
        self._making: dict = {}

    def get(self, key, make):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            gate = self._making.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                value = make()
                with self._lock:
                    self._items[key] = value
                    while len(self._items) > self._size:
                        self._items.popitem(last=False)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return value

    def fresh(self, key, stamp: Callable[[], tuple], make, *, cached_only: bool = False):
        """The view ``key``, recomputed when ``stamp()`` (what the store looks like) moved.

        While one background thread recomputes, readers get the previous view, and a view
        younger than ``refresh_seconds`` is served without even asking for the stamp: during
        a catch-up that writes every few hundred ms a page may be a few seconds behind,
        but no reader waits behind the writes. Only the first view of a key is made inline
        (with ``cached_only``, None is returned instead, for a caller that must not block).
        """
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
                if key in self._making or time.monotonic() - entry[2] < self.refresh_seconds:
                    return entry[1]
        if entry is None:
            if cached_only:
                return None
            return self.get(("first", key), lambda: self._store(key, stamp(), make()))[1]
        now_at = stamp()
        with self._lock:
            if now_at == entry[0]:  # nothing changed: the view is good for another while
                self._items[key] = (now_at, entry[1], time.monotonic())
                return entry[1]
            if key in self._making:
                return entry[1]
            self._making[key] = None
        threading.Thread(target=self._refresh, args=(key, now_at, make), daemon=True).start()
        return entry[1]

    def _store(self, key, stamp, value):
        with self._lock:
            self._items[key] = (stamp, value, time.monotonic())
        return (stamp, value)

    def _refresh(self, key, stamp, make) -> None:
        try:
            self._store(key, stamp, make())
        finally:
            with self._lock:
                self._making.pop(key, None)


def _num(x: float | None, digits: int = 2) -> float | None:
    return (
        None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)
    )


@dataclass
class Desk:
    """The web desk's data: the store, the evidence, the model and the service settings."""

    engine: Engine
    evidence: Evidence
    spec: ModelSpec
    rules: list
    countries: list[str]
    report_dir: Path
    scenario_dir: Path
    vocabulary: object = None
    # The review queue of extracted candidates (`fragwatch review`, a ``feeds.review.ReviewQueue``).
    # None: no /review pages.
    review_queue: object = None
    # A ``web.worker.ViewWorker`` computing the views in another process; None: inline.
    worker: object = None
    _cache: _Cache = field(default_factory=_Cache)
    # Per country: the (as_of, computed_at) of the stored runs replayed, and the replay.
    _replays: dict = field(default_factory=dict)
    _replay_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.known_countries = list(self.evidence.countries)  # a property that scans the tables
        # Every quote with its source, by evidence id, once: the evidence does not change while
        # the desk runs, and a country view then looks its quotes up instead of joining tables.
        ids = [*self.evidence.observations.index, *self.evidence.events.index]
        cited = self.evidence.citations(ids)
        self._quotes = {
            row.id: {
                "id": row.id,
                "what": row.what,
                "quote": row.quote,
                "source": row.source_title,
                "publisher": row.publisher,
                "url": safe_url(row.url),
                "published": pd.Timestamp(row.published).date().isoformat(),
            }
            for row in cited.itertuples()
        }

    # -- stamps: what a cached view depends on --------------------------------------------------

    def _stamp(self) -> tuple:
        parts = [
            select(func.count()).select_from(assessments),
            select(func.max(assessments.c.computed_at)),
            select(func.count()).select_from(alert_state),
            select(func.max(alert_state.c.state_since)),
            select(func.max(alert_state.c.acked_at)),
            select(func.max(alert_state.c.last_evaluated_at)),
            select(func.count()).select_from(outbox),
            select(func.max(silences.c.id)),
            select(func.count()).select_from(silences),
        ]
        with read_connection(self.engine) as conn:
            row = conn.execute(select(*(p.scalar_subquery() for p in parts))).one()
        return tuple(row)

    # -- overview -------------------------------------------------------------------------------

    def overview(
        self, *, band: str = "", query: str = "", sort: str = "score", cached_only: bool = False
    ) -> dict | None:
        """The overview; with ``cached_only``, None when it has not been computed yet."""
        rows = self.watched(cached_only=cached_only)
        if rows is None:
            return None
        shown = [
            r
            for r in rows
            if (not band or r["band"] == band) and (not query or query.upper() in r["country"])
        ]
        order = {
            "score": lambda r: (r["score"] is None, -(r["score"] or 0)),
            "change": lambda r: (r["change"] is None, -abs(r["change"] or 0)),
            "coverage": lambda r: r["coverage"],
            "country": lambda r: r["country"],
        }
        if sort not in order:
            raise UsageError(f"cannot sort by '{sort}'; known: {', '.join(order)}", where="sort")
        shown.sort(key=order[sort])
        ranking = self.world(cached_only=cached_only)
        if ranking is None:  # the day's first view: the caller makes it away from the event loop
            return None
        return {
            "countries": shown,
            "bands": self.bands(),
            "filter": {"band": band, "q": query, "sort": sort},
            "world_ranking": ranking,
            "watched_codes": [r["country"] for r in rows],
        }

    def watched(self, *, cached_only: bool = False) -> list[dict] | None:
        """Every watched country's overview row, unfiltered (the overview's map shows all)."""
        return self._cache.fresh(
            ("overview", date.today()),
            self._stamp,
            lambda: self._view("_overview_rows"),
            cached_only=cached_only,
        )

    def world(self, *, cached_only: bool = False) -> list[dict] | None:
        """Every country with evidence ranked as of today, as `fragwatch rank` does (the
        open-data layer scores the world). Made once a day: it reads evidence only, which does
        not change while the desk runs, so a write to the store does not stale it."""
        today = date.today()
        return self._cache.fresh(
            ("world", today),
            lambda: (today,),
            lambda: self._view("_world_rows", today.isoformat()),
            cached_only=cached_only,
        )

    def _world_rows(self, as_of: str) -> list[dict]:
        table = rank_countries(self.evidence, self.spec, self.known_countries, pd.Timestamp(as_of))
        scored = table["rank"].to_numpy() > 0
        return [
            {
                "rank": int(rank) if ok else None,
                "country": country,
                "name": country_name(country),
                "score": _num(score, 1) if ok else None,
                "band": band if ok else "withheld",
                "change": _num(change, 1) if ok else None,
            }
            for rank, country, score, band, change, ok in zip(
                table["rank"], table["country"], table["score"], table["band"],
                table["change"], scored, strict=True,
            )
        ]  # fmt: skip

    def bands(self) -> list[dict]:
        edges = list(self.spec.model.bands)
        out = []
        for i, (name, lo) in enumerate(edges):
            hi = edges[i + 1][1] if i + 1 < len(edges) else 100.0
            out.append({"name": name, "lo": lo, "hi": hi, "colour": _colour(i)})
        return out

    def _history(self, conn, countries: list[str]) -> pd.DataFrame:
        query = (
            select(
                assessments.c.country,
                assessments.c.as_of,
                assessments.c.score,
                assessments.c.band,
                assessments.c.coverage,
            )
            .where(
                assessments.c.model_digest == self.spec.digest,
                assessments.c.country.in_(countries),
            )
            .order_by(assessments.c.country, assessments.c.as_of)
        )
        frame = pd.DataFrame(
            [tuple(r) for r in conn.execute(query)],
            columns=["country", "as_of", "score", "band", "coverage"],
        )
        frame["score"] = frame["score"].astype(float)
        return frame

    def _latest(self, conn, country: str) -> Assessment | None:
        payload = conn.scalar(
            select(assessments.c.payload)
            .where(
                assessments.c.country == country,
                assessments.c.model_digest == self.spec.digest,
            )
            .order_by(assessments.c.as_of.desc())
            .limit(1)
        )
        if payload is None:
            return None
        import json

        return Assessment.from_dict(json.loads(payload))

    def _live(self, countries: list[str], when: pd.Timestamp) -> list[Assessment]:
        """Assessments computed now from the evidence (for a date the store does not hold)."""
        key = ("live", tuple(countries), when)
        # The evidence of these countries only: the panel reads no other country's rows, and
        # the evidence digest each assessment carries then hashes a few thousand rows instead
        # of every country's open data (about a second per assessment).
        evidence = self.evidence.for_countries(countries)
        return self._cache.get(key, lambda: assess(evidence, self.spec, countries, when))

    def _interval(self, a: Assessment) -> dict:
        def make() -> dict:
            found, _ = assessment_interval(self.spec, a)
            return {
                "median": _num(found.median, 1),
                "low": _num(found.low, 1),
                "high": _num(found.high, 1),
                "draws": found.draws,
            }

        # The interval depends on the indicators' value, low and high only: keyed on them, a
        # catch-up's next day with the same readings (most days) costs no new Monte Carlo.
        columns = a.table[["code", "value", "low", "high"]]
        readings = pd.util.hash_pandas_object(columns, index=False).to_numpy().tobytes()
        return self._cache.get(("interval", hashlib.sha1(readings).hexdigest()), make)

    def _overview_rows(self) -> list[dict]:
        with read_connection(self.engine) as conn:
            hist = self._history(conn, self.countries)
            latest = {c: self._latest(conn, c) for c in self.countries}
        missing = [c for c, a in latest.items() if a is None]
        if missing:
            today = pd.Timestamp.today().normalize()
            latest.update(zip(missing, self._live(missing, today), strict=True))
        rows = []
        for country in self.countries:
            a = latest[country]
            series = hist[hist["country"] == country]["score"].dropna()
            change = float(series.iloc[-1] - series.iloc[-2]) if len(series) >= 2 else None
            rows.append(
                {
                    "country": country,
                    "as_of": a.as_of.date().isoformat(),
                    "stored": country not in missing,
                    "score": _num(a.score, 1),
                    "band": a.band,
                    "coverage": _num(a.coverage, 3),
                    "interval": self._interval(a),
                    "change": _num(change, 1),
                    "trend": _trend(series),
                    "periods": len(series),
                }
            )
        return rows

    # -- country --------------------------------------------------------------------------------

    def country(
        self, country: str, since: str | None = None, *, cached_only: bool = False
    ) -> dict | None:
        """A country's view; with ``cached_only``, None when it has not been computed yet."""
        country = country.upper()
        if country not in self.known_countries:
            raise LookupError(country)
        key = ("country", country, since, date.today())
        return self._cache.fresh(
            key,
            self._stamp,
            functools.partial(self._view, "_country", country, since),
            cached_only=cached_only,
        )

    def _view(self, method: str, *args):
        """A view computed by the worker process when there is one, else here."""
        if self.worker is not None:
            return self.worker.call(method, *args)
        return getattr(self, method)(*args)

    def _firings(self, conn, country: str) -> list[tuple[str, str, datetime]]:
        """(rule, subject, period) of every firing of the country's alerts over its stored
        runs, replayed as the service stepped them (the alert state keeps only the latest).

        Incremental: the replay so far is kept with the (as_of, computed_at) of the runs it
        stepped; when the store only added later runs (a catch-up), only those are decoded
        and stepped. Decoding every payload and replaying them all cost seconds per view
        after a few hundred periods. Any other change (a run recomputed) replays from the
        start."""
        query = (
            select(assessments.c.as_of, assessments.c.computed_at)
            .where(
                assessments.c.country == country,
                assessments.c.model_digest == self.spec.digest,
                assessments.c.as_of <= date.today(),
            )
            .order_by(assessments.c.as_of)
        )
        keys = [tuple(r) for r in conn.execute(query)]
        with self._replay_lock:
            done_keys, done = self._replays.get(country, ((), None))
        if done is None or tuple(keys[: len(done_keys)]) != done_keys:
            done_keys, done = (), None
        if len(keys) > len(done_keys) or done is None:
            after = done_keys[-1][0] if done_keys else None
            later = self._runs_between(conn, country, after, keys[-1][0]) if keys else []
            done = replay(list(self.rules), later, since=done)
            with self._replay_lock:
                self._replays[country] = (tuple(keys), done)
        return done.firings

    def _runs_between(self, conn, country: str, after, last) -> list[Assessment]:
        """The country's stored runs after the as-of date ``after`` (None: from the first) up
        to ``last`` (the last one the replay's keys hold, so a run written since is left for
        the next view rather than stepped twice)."""
        import json

        query = select(assessments.c.payload).where(
            assessments.c.country == country,
            assessments.c.model_digest == self.spec.digest,
            assessments.c.as_of <= last,
        )
        if after is not None:
            query = query.where(assessments.c.as_of > after)
        query = query.order_by(assessments.c.as_of)
        return [Assessment.from_dict(json.loads(p)) for p in conn.scalars(query)]

    def _country(self, country: str, since: str | None) -> dict:
        with read_connection(self.engine) as conn:
            hist = self._history(conn, [country])
            now = self._latest(conn, country)
            fired = self._firings(conn, country)
        stored = now is not None
        if now is None:
            (now,) = self._live([country], pd.Timestamp.today().normalize())
        if since:
            try:
                before_at = pd.Timestamp(date.fromisoformat(since))
            except ValueError:
                raise UsageError(f"'{since}' is not a date (YYYY-MM-DD)", where="since") from None
        else:
            before_at = now.as_of - pd.DateOffset(years=1)
        if before_at >= now.as_of:
            raise UsageError(
                f"{before_at.date()} is not before the assessment's date {now.as_of.date()}",
                where="since",
            )
        (before,) = self._live([country], before_at)
        change = attribute_change(before, now)
        return {
            "country": country,
            "as_of": now.as_of.date().isoformat(),
            "stored": stored,
            "score": _num(now.score, 1),
            "band": now.band,
            "coverage": _num(now.coverage, 3),
            "min_coverage": _num(now.min_coverage, 3),
            "interval": self._interval(now),
            "weight_noise": self.spec.uncertainty.weight_noise,
            "history": [
                {
                    "as_of": pd.Timestamp(r.as_of).date().isoformat(),
                    "score": _num(r.score, 2),
                    "band": r.band,
                    "coverage": _num(r.coverage, 3),
                }
                for r in hist.itertuples()
            ],
            "firings": [
                {"rule": rule, "subject": subject, "at": at.isoformat()}
                for rule, subject, at in fired
            ],
            "bands": self.bands(),
            "since": _since(before, now, change),
            "indicators": self._indicators(now),
        }

    def _indicators(self, a: Assessment) -> list[dict]:
        table = a.table.iloc[(-a.table["contribution"].fillna(-1)).argsort(kind="stable")]
        out = []
        for row in table.itertuples():
            quotes = [self._quotes[i] for i in row.evidence_ids if i in self._quotes]
            out.append(
                {
                    "code": row.code,
                    "name": row.name,
                    "dimension": row.dimension,
                    "unit": row.unit,
                    "value": _num(row.value, 4),
                    "low": _num(row.low, 4),
                    "high": _num(row.high, 4),
                    "goalposts": [_num(row.lo, 4), _num(row.hi, 4)],
                    "direction": int(row.direction),
                    "normalised": _num(row.normalised, 3),
                    "weight": _num(row.weight, 4),
                    "points": _num(row.contribution, 2),
                    "evidence": quotes,
                }
            )
        return out

    # -- alerts ---------------------------------------------------------------------------------

    def alerts(self, now: datetime | None = None) -> dict:
        from fragwatch.delivery.outbox import rows as outbox_rows
        from fragwatch.store.alerts import list_silences, load_alerts

        now = now or datetime.now(UTC)
        with read_connection(self.engine) as conn:
            stored = load_alerts(conn)
            active = list_silences(conn, now)
            mails = [r for r in outbox_rows(conn, limit=500) if r.kind == "alert"]
        order = {"firing": 0, "pending": 1, "resolved": 2, "inactive": 3}
        severity = {r.name: r.severity for r in self.rules}
        shown = sorted(
            (a for a in stored.values() if a.shown_state != "inactive"),
            key=lambda a: (order[a.shown_state], a.state.rule, a.state.subject),
        )
        return {
            "alerts": [
                {
                    "rule": a.state.rule,
                    "subject": a.state.subject,
                    "severity": severity.get(a.state.rule, ""),
                    "state": a.shown_state,
                    "since": a.state_since.isoformat(),
                    "as_of": a.last_as_of.isoformat() if a.last_as_of else None,
                    "value": _num(a.last_value, 4),
                    "notifications": a.notifications,
                    "acked_by": a.acked_by,
                    "acked_at": a.state.acked_at.isoformat() if a.state.acked_at else None,
                    "mails": [
                        {
                            "subject": m.subject,
                            "state": m.state,
                            "created_at": m.created_at.isoformat(),
                        }
                        for m in mails
                        if m.dedupe_key.startswith(f"{a.state.rule}|{a.state.subject}|")
                    ][:10],
                }
                for a in shown
            ],
            "silences": [
                {
                    "id": s.id,
                    "rule": s.silence.rule,
                    "subject": s.silence.subject,
                    "ends_at": s.silence.ends_at.isoformat(),
                    "created_by": s.created_by,
                    "comment": s.comment,
                }
                for s in active
            ],
        }

    # -- evidence -------------------------------------------------------------------------------

    def evidence_rows(
        self,
        *,
        limit: int = 200,
        offset: int = 0,
        text: str = "",
        what: str = "",
        kind_of_row: str = "",
        **filters,
    ) -> dict:
        """Observations and events (``evidence.query.filter_rows``), then by type, by what they
        measure or report, and by words in their quote."""
        from fragwatch.evidence.query import filter_rows

        rows = filter_rows(self.evidence, **filters)
        if kind_of_row:
            rows = rows[rows["type"] == kind_of_row]
        if what:
            rows = rows[rows["what"] == what]
        if text:
            rows = rows[rows["quote"].str.contains(text, case=False, regex=False, na=False)]
        total = len(rows)
        page = rows.iloc[offset : offset + limit]
        sources = self.evidence.sources
        return {
            "total": total,
            "offset": offset,
            "limit": limit,
            "rows": [
                {
                    "id": r.id,
                    "type": r.type,
                    "country": r.country,
                    "what": r.what,
                    "when": r.when,
                    "figure": r.figure,
                    "source_id": r.source_id,
                    "source": str(sources.at[r.source_id, "title"])
                    if r.source_id in sources.index
                    else "",
                    "url": safe_url(sources.at[r.source_id, "url"])
                    if r.source_id in sources.index
                    else "",
                    "published": pd.Timestamp(r.published).date().isoformat(),
                    "quote": r.quote,
                }
                for r in page.itertuples()
            ],
            "review_queue": self.review_queue is not None,
        }

    # -- reports --------------------------------------------------------------------------------

    def reports(self) -> list[dict]:
        if not self.report_dir.is_dir():
            return []
        found = [p for p in self.report_dir.iterdir() if p.is_dir() and (p / REPORT_HTML).is_file()]
        found.sort(key=lambda p: p.name, reverse=True)
        return [
            {
                "name": p.name,
                "written": datetime.fromtimestamp((p / REPORT_HTML).stat().st_mtime, UTC)
                .replace(microsecond=0)
                .isoformat(),
            }
            for p in found
        ]

    def report_file(self, name: str, filename: str) -> Path:
        """A file of a written report; LookupError for anything outside the report folders."""
        for part in (name, filename):
            if not part or part.startswith(".") or "/" in part or "\\" in part:
                raise LookupError(part)
        root = self.report_dir.resolve()
        path = (root / name / filename).resolve()
        if path.parent.parent != root or not path.is_file():
            raise LookupError(filename)
        return path

    # -- scenarios ------------------------------------------------------------------------------

    def scenarios(self) -> list[dict]:
        from fragwatch.settings.scenarios import scenario_files

        if not self.scenario_dir.is_dir():
            return []
        return [{"name": p.stem, "file": p.name} for p in scenario_files(self.scenario_dir)]

    def run_scenario(self, name: str, *, draws: int = 2000, seed: int = 1) -> dict:
        """Run a shipped scenario beside the baseline. Reads only: no history, no mail."""
        files = {s["name"]: self.scenario_dir / s["file"] for s in self.scenarios()}
        if name not in files:
            raise UsageError(f"no scenario '{name}'; known: {', '.join(files)}", where="scenario")
        return self.run_scenario_file(files[name], draws=draws, seed=seed)

    def run_scenario_file(self, path: Path, *, draws: int = 2000, seed: int = 1) -> dict:
        """Run the scenario file ``path`` beside the baseline (checked as ``scenario check``
        checks it: a bad file is a ConfigError naming its line and field)."""
        from fragwatch.scenarios.run import run_scenario
        from fragwatch.scenarios.vocabulary import vocabulary
        from fragwatch.settings.scenarios import load_scenarios

        if self.vocabulary is None:
            self.vocabulary = vocabulary(self.spec, self.evidence)
        scenario = load_scenarios([path], self.vocabulary)
        dates = (
            scenario.as_of.dates()
            if scenario.as_of is not None
            else pd.DatetimeIndex([pd.Timestamp.today().normalize()])
        )
        result = run_scenario(
            scenario,
            self.evidence,
            self.spec,
            self.vocabulary,
            self.rules or None,
            dates,
            draws=draws,
            seed=seed,
        )
        return result.to_dict()


def _colour(i: int) -> str:
    return BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]


def _trend(series: pd.Series) -> str:
    """'up', 'down' or 'steady' over the last few stored periods; '' with fewer than two."""
    recent = series.iloc[-TREND_PERIODS:]
    if len(recent) < 2:
        return ""
    moved = float(recent.iloc[-1] - recent.iloc[0])
    if moved >= TREND_POINTS:
        return "up"
    if moved <= -TREND_POINTS:
        return "down"
    return "steady"


def _since(before: Assessment, now: Assessment, change: pd.DataFrame) -> dict:
    """The change since a date, in plain words and per indicator."""
    moved = change[change["delta"].abs() > 0.005]
    if math.isnan(before.score) or math.isnan(now.score):
        words = (
            f"On {before.as_of.date()} the score was "
            + ("withheld" if math.isnan(before.score) else f"{before.score:.1f}")
            + f"; as of {now.as_of.date()} it is "
            + ("withheld" if math.isnan(now.score) else f"{now.score:.1f}")
            + "."
        )
    else:
        delta = now.score - before.score
        verb = "rose" if delta > 0.05 else "fell" if delta < -0.05 else "held"
        words = (
            f"Since {before.as_of.date()} the score {verb} from {before.score:.1f} to "
            f"{now.score:.1f} ({delta:+.1f} points)"
        )
        # The indicators that pushed the way the score went, largest first.
        top = moved[moved["delta"] * delta > 0].head(2)
        if len(top):
            parts = [
                f"{row['name']} ({row['delta']:+.1f}, {REASONS.get(row['reason'], row['reason'])})"
                for _, row in top.iterrows()
            ]
            words += ", mostly through " + " and ".join(parts)
        words += "."
    return {
        "date": before.as_of.date().isoformat(),
        "score": _num(before.score, 1),
        "band": before.band,
        "words": words,
        "indicators": [
            {
                "code": code,
                "name": row["name"],
                "delta": _num(row["delta"], 2),
                "reason": row["reason"],
                "new_evidence_ids": list(row["new_evidence_ids"]),
            }
            for code, row in moved.iterrows()
        ],
    }
