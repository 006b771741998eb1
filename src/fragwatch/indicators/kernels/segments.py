"""Segment arithmetic: runs, expansions, sums and means as pandas computes them, and id tuples.

The kernels reduce consecutive segments of arrays (one per cell, per tie group or per
incident). This module holds the helpers they share:

- runs and segments: where runs start, how long they are, and the expansion of segments into
  (segment, position) pairs with ``np.repeat`` arithmetic instead of a Python loop;
- sums and means that add the same numbers in the same order, by the same method
  (``np.add.reduceat`` or Kahan summation), as the pandas grouped sum and mean the kernels
  replaced, so results are identical to the last bit; and running max/min per segment;
- evidence-id tuples: built once per distinct set of cited rows and shared by every cell citing
  that set (a monthly history repeats the same few sets many times).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def offsets(sizes: np.ndarray) -> np.ndarray:
    """Where each of consecutive segments of the given sizes starts."""
    return np.cumsum(sizes) - sizes


def run_sizes(first: np.ndarray, n: int) -> np.ndarray:
    """Lengths of the runs starting at ``first`` (ascending) in a sequence of length n."""
    sizes = np.empty(len(first), dtype=np.intp)
    if len(first):
        np.subtract(first[1:], first[:-1], out=sizes[:-1])
        sizes[-1] = n - first[-1]
    return sizes


def run_starts(x: np.ndarray) -> np.ndarray:
    """True where a run of equal values starts (at 0 and wherever x changes)."""
    out = np.empty(len(x), dtype=bool)
    if len(x):
        out[0] = True
        np.not_equal(x[1:], x[:-1], out=out[1:])
    return out


def expand(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(segment, position) for every position start..start+size-1 of every segment."""
    segment = np.repeat(np.arange(len(sizes)), sizes)
    position = np.arange(len(segment)) + np.repeat(starts - offsets(sizes), sizes)
    return segment, position


# --- sums, means and running extremes --------------------------------------------------------


def _kahan(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
    """NaN-skipping sum and count of each segment, adding in order with Kahan compensation.

    This is pandas' Cython kernel for grouped ``sum`` and ``mean``, step for step. The loop
    runs over the position within a segment (segments are short), each step vectorised over
    all segments.
    """
    m = len(sizes)
    total, compensation = np.zeros(m), np.zeros(m)
    count = np.zeros(m, dtype=np.intp)
    live = np.flatnonzero(sizes > 0)
    k = 0
    while live.size:
        value = values[starts[live] + k]
        ok = ~np.isnan(value)
        seg, value = live[ok], value[ok]
        before = total[seg]
        y = value - compensation[seg]
        t = before + y
        c = (t - before) - y
        compensation[seg] = np.where(c != c, 0.0, c)  # an infinite value: no compensation
        total[seg] = t
        count[seg] += 1
        k += 1
        live = live[sizes[live] > k]
    return total, count


def segment_sums(
    values: np.ndarray, sizes: np.ndarray, sorted_groups: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count (NaN skipped) of consecutive segments of ``values``, as pandas does it.

    pandas 3 reduces groups with ``np.add.reduceat`` when the group ids are sorted and the
    column holds no NaN, and with its Kahan kernel otherwise; the two can differ in the last
    bit, so the same choice is made here (``sorted_groups``: the grouped frame was sorted).
    """
    starts = offsets(sizes)
    if sorted_groups and not np.isnan(values).any():
        nonempty = sizes > 0
        if nonempty.all():
            return np.add.reduceat(values, starts) if len(sizes) else np.zeros(0), sizes
        total = np.zeros(len(sizes))
        if nonempty.any():
            total[nonempty] = np.add.reduceat(values, starts[nonempty])
        return total, sizes
    return _kahan(values, starts, sizes)


def segment_means(values: np.ndarray, sizes: np.ndarray, sorted_groups: bool) -> np.ndarray:
    total, count = segment_sums(values, sizes, sorted_groups)
    return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)


def segment_running(values: np.ndarray, segment: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """Running max/min of ``values`` that restarts at each segment (segments in order)."""
    n = len(values)
    if not n:
        return values
    order = np.argsort(values, kind="stable")
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    # Later segments sit above (max) or below (min) every earlier one, so nothing carries over.
    offset = segment * n if ufunc is np.maximum else (segment[-1] - segment) * n
    return values[order[ufunc.accumulate(offset + rank) - offset]]


# --- evidence-id tuples, built once and shared ---------------------------------------------


def tuples(labels: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Consecutive runs of ``labels`` (of the given sizes) as an object array of tuples."""
    flat = labels.tolist()
    ends = np.cumsum(sizes)
    bounds = zip((ends - sizes).tolist(), ends.tolist(), strict=True)
    return np.fromiter((tuple(flat[a:b]) for a, b in bounds), dtype=object, count=len(ends))


def spread(n: int, cells: np.ndarray, which: np.ndarray, tuples: np.ndarray) -> np.ndarray:
    """Per cell: ``tuples[which]`` for the given cells, the empty tuple elsewhere."""
    table = np.empty(len(tuples) + 1, dtype=object)
    table[0] = ()
    table[1:] = tuples
    index = np.zeros(n, dtype=np.intp)
    index[cells] = which + 1
    return table[index]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a well-spread 64-bit hash of non-negative integers."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def representatives(cell: np.ndarray, item: np.ndarray, n: int) -> np.ndarray:
    """Group cells by their exact sequence of items; one representative cell per sequence.

    ``cell`` is sorted (each cell's items are one run, in a canonical order). Returns, per
    cell, the first cell with the same sequence (-1 for cells with no items). Sequences are
    matched by a hash and then compared item by item, so a hash collision never merges two
    different sequences.
    """
    rep = np.full(n, -1, dtype=np.intp)
    if not len(cell):
        return rep
    first = np.flatnonzero(run_starts(cell))
    owner = cell[first]
    if len(owner) == 1:  # one cell: its own representative
        rep[owner] = owner
        return rep
    sizes = run_sizes(first, len(cell))
    signature = np.add.reduceat(_mix(item), first)
    order = np.lexsort((owner, sizes, signature))
    new = run_starts(signature[order]) | run_starts(sizes[order])
    local = np.empty(len(first), dtype=np.intp)
    local[order] = order[np.flatnonzero(new)][np.cumsum(new) - 1]
    run = np.repeat(np.arange(len(first)), sizes)
    offset = np.arange(len(cell)) - first[run]
    differs = np.unique(run[item[first[local[run]] + offset] != item])
    local[differs] = differs
    rep[owner] = owner[local]
    return rep


def shared_tuples(n: int, rep: np.ndarray, build: Callable) -> np.ndarray:
    """Evidence ids per cell from representatives: ``build(rep_cells)`` gives their tuples."""
    cited = np.flatnonzero(rep >= 0)
    reps, which = np.unique(rep[cited], return_inverse=True)
    return spread(n, cited, which, build(reps))
