"""Vectorised numpy kernels from evidence rows to indicator values on a (country, as_of) grid.

Each kernel pairs every grid cell with the evidence rows of its country that were published
by the cell's as-of date (point-in-time) and reduces them per cell. The work is done in numpy on
plain arrays, with no Python loop over countries, dates or cells:

- country codes are factorised to integers and datetimes converted once to int64 microseconds;
- evidence rows are sorted by (country, published), so the rows a cell knows are a contiguous
  prefix of its country's rows, found with one ``np.searchsorted`` for all cells;
- "latest period" readings are a running maximum over those sorted rows, read at the end of
  each cell's prefix; other reductions expand (cell, row) pairs with ``np.repeat`` arithmetic
  and reduce them per cell;
- sums and means add the same numbers in the same order, by the same method (``np.add.reduceat``
  or Kahan summation, as pandas' grouped sum and mean choose), as the pandas group operations
  these kernels replaced, so results are identical to the last bit;
- evidence-id tuples are built once per distinct set of cited rows and shared by every cell
  citing that set (a monthly history repeats the same few sets many times).

Modules, one job each:

- ``arrays``: the array views (``Cells`` for the grid, ``Rows`` for evidence, ``Known`` for the
  rows each cell knows), ``to_us`` and value lookups;
- ``segments``: run and segment helpers, segment sums and means as pandas computes them, and
  evidence-id tuples built once and shared;
- ``latest``: latest and previous period readings (``level_cells``, ``change_cells``,
  ``latest_observation_cells``);
- ``window``: the largest estimate within a window (``window_max_cells``);
- ``events``: decayed event weights and the monitored rule (``decayed_events_cells``,
  ``monitored_cells``).

Everything here is package-internal: names without a leading underscore are shared between
these modules and with the indicator families, not a public API. The public, DataFrame-level
interface is ``fragwatch.indicators.transforms``. Every ``*_cells`` kernel returns one row per
grid cell, indexed by (country, as_of), with columns value, low, high and evidence_ids (a tuple,
empty when nothing is cited); cells with no reading are NaN.
"""
