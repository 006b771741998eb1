"""Array views of the grid and the evidence, and the rows each grid cell knows.

The kernels work on plain numpy arrays rather than DataFrames: ``Cells`` holds the
(country, as_of) grid as country codes and int64 microsecond times, ``Rows`` the evidence
columns a kernel needs, and ``Known`` the evidence sorted by (country, published) so that the
rows a cell knows (point-in-time) are one contiguous range, found for all cells at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["country", "as_of"]
DAY_US = 86_400_000_000  # one day in microseconds, the unit of every time array here


def to_us(values: object) -> np.ndarray:
    """Datetimes (array, Series or index) as int64 microseconds since the epoch."""
    return np.asarray(values, dtype="datetime64[us]").view(np.int64)


class Cells:
    """A (country, as_of) grid as arrays: country codes, as-of times and the labelled index.

    Built from a grid frame (``from_grid``) or from countries and dates (``product``), once
    per grid: the kernels share it, and the index is built on first use and kept.
    """

    def __init__(self, country: np.ndarray, as_of: np.ndarray) -> None:
        self._country = country
        self.code, self.countries = pd.factorize(country, use_na_sentinel=False)
        self.as_of = as_of
        self.t = to_us(self.as_of)
        self.n = len(self.t)
        self._grid: pd.DataFrame | None = None
        self._index: pd.MultiIndex | None = None
        self._country_rank: np.ndarray | None = None

    @classmethod
    def from_grid(cls, grid: pd.DataFrame) -> Cells:
        """The cells of a frame with columns country and as_of, one row per cell."""
        cells = cls(grid["country"].to_numpy(dtype=object), grid["as_of"].values)
        cells._grid = grid
        return cells

    @classmethod
    def product(cls, countries: list[str], as_of: pd.DatetimeIndex) -> Cells:
        """Every country at every date, country by country: the grid of
        ``MultiIndex.from_product([countries, as_of])``, without building that (it is slow)."""
        dates = pd.DatetimeIndex(as_of).values
        country = np.repeat(np.asarray(countries, dtype=object), len(dates))
        return cls(country, np.tile(dates, len(countries)))

    @property
    def grid(self) -> pd.DataFrame:
        """The grid as a frame: columns country and as_of, one row per cell."""
        if self._grid is None:
            self._grid = pd.DataFrame({"country": self._country, "as_of": self.as_of})
        return self._grid

    @property
    def index(self) -> pd.MultiIndex:
        """The grid's (country, as_of) index, in grid order."""
        if self._index is None:
            date_code, dates = pd.factorize(self.as_of)
            self._index = pd.MultiIndex(
                levels=[pd.Index(self.countries), pd.DatetimeIndex(dates)],
                codes=[self.code, date_code],
                names=KEY,
                verify_integrity=False,
            )
        return self._index

    def in_key_order(self, at: np.ndarray) -> bool:
        """Whether the cells ``at`` (ascending positions) run in (country, as_of) order."""
        if self._country_rank is None:
            self._country_rank = np.argsort(np.argsort(self.countries))
        rank, t = self._country_rank[self.code[at]], self.t[at]
        step = rank[1:] - rank[:-1]
        return bool(np.all((step > 0) | ((step == 0) & (t[1:] >= t[:-1]))))

    def codes_of(self, countries: np.ndarray) -> np.ndarray:
        """The grid code of each country, -1 for countries not in the grid."""
        return lookup(countries, self.countries)

    def frame(
        self, value: np.ndarray, low: np.ndarray, high: np.ndarray, ids: np.ndarray
    ) -> pd.DataFrame:
        return pd.DataFrame(
            {"value": value, "low": low, "high": high, "evidence_ids": ids},
            index=self.index,
            copy=False,
        )

    def nan(self) -> np.ndarray:
        return np.full(self.n, np.nan)


def lookup(values: np.ndarray, options: np.ndarray) -> np.ndarray:
    """The position of each value among ``options`` (distinct), -1 where it is not one."""
    k = len(options)
    if 0 < k <= 8:  # a handful of options: compare directly, no hash table to build
        try:
            match = values[:, None] == options[None, :]
        except TypeError:  # a missing value (pd.NA) does not compare to a boolean
            match = None
        if match is not None and match.dtype == bool:
            return np.where(match.any(axis=1), match.argmax(axis=1), -1)
    # The options come first, so they keep their codes 0..k-1.
    code, _ = pd.factorize(np.concatenate([options, values]))
    code = code[k:]
    return np.where(code < k, code, -1)


class Rows:
    """Evidence rows as plain arrays: ids, country, published (us) and the columns used."""

    def __init__(self, **columns: np.ndarray) -> None:
        self.__dict__.update(columns)

    @classmethod
    def observations(cls, frame: pd.DataFrame, quantity: str | None = None) -> Rows:
        """Observation rows (optionally of one quantity): ids, point, low, high, end."""
        if quantity is not None:
            return cls.observations(frame[frame["quantity"] == quantity])

        def col(name: str, dtype: object = None) -> np.ndarray:
            return np.asarray(frame[name].values, dtype=dtype)

        return cls(
            ids=col("obs_id", object),
            country=col("country", object),
            published=col("published", "datetime64[us]").view(np.int64),
            end=col("period_end", "datetime64[us]").view(np.int64),
            point=col("point", float),
            low=col("low", float),
            high=col("high", float),
        )

    @classmethod
    def quantities(cls, frame: pd.DataFrame) -> Rows:
        """All observation rows, with their ``quantity`` (select one with ``of``)."""
        rows = cls.observations(frame)
        rows.quantity = frame["quantity"].to_numpy(dtype=object)
        return rows

    def of(self, quantity: str) -> Rows:
        """The rows of one quantity."""
        take = self.quantity == quantity
        return Rows(**{name: values[take] for name, values in self.__dict__.items()})

    @classmethod
    def events(cls, frame: pd.DataFrame) -> Rows:
        """Event rows: ids, kind, incident, fatalities, date end (and source, if given)."""
        source = frame["source_id"].to_numpy(dtype=object) if "source_id" in frame else None
        return cls(
            ids=frame["event_id"].to_numpy(dtype=object),
            country=frame["country"].to_numpy(dtype=object),
            published=to_us(frame["published"].values),
            end=to_us(frame["date_end"].values),
            kind=frame["kind"].to_numpy(dtype=object),
            incident=frame["incident_id"].to_numpy(dtype=object),
            fatalities=frame["fatalities"].to_numpy(dtype=float, na_value=np.nan),
            source=source,
        )


class Known:
    """Rows of grid countries sorted by (country, published, original order).

    ``pos`` maps a sorted row to its original position. For each cell, the rows of its country
    it knows (published on or before its as_of) are the sorted rows ``lo[cell]:hi[cell]``.
    """

    def __init__(self, cells: Cells, country: np.ndarray, published: np.ndarray) -> None:
        code = cells.codes_of(country)
        keep = np.flatnonzero(code >= 0)
        order = np.lexsort((published[keep], code[keep]))  # stable: ties keep row order
        self.pos = keep[order]
        self.code = code[self.pos]
        self.pub = published[self.pos]
        # One searchsorted key for (country, published): publication days become ranks.
        days = np.sort(self.pub)  # ranks by searchsorted: repeats do no harm
        width = len(days) + 1
        key = self.code * width + np.searchsorted(days, self.pub, side="right")
        self.lo = np.searchsorted(key, cells.code * width, side="left")
        self.hi = np.searchsorted(
            key, cells.code * width + np.searchsorted(days, cells.t, side="right"), side="right"
        )
        self.n = len(self.pos)
