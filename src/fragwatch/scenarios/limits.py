"""What values a unit can take at all: a count is never negative, a share never above 100%."""

from __future__ import annotations

import math


def possible_range(unit: str | None) -> tuple[float, float]:
    """The physically possible range of a value in ``unit`` (evidence or indicator units).

    Percent changes cannot fall below -100; shares in percent lie in 0..100; rates per 100,000
    or per million cannot exceed the whole population; growth and inflation (percent per year)
    go below zero; governance estimates have no bounds; everything else the project measures
    (persons, fighters, deaths, kg, USD, severity points) is a non-negative amount. A unit not
    known at all (None) is left unbounded.
    """
    if unit is None:
        return -math.inf, math.inf
    text = unit.strip().lower()
    if text.startswith("percent change"):
        return -100.0, math.inf
    if text == "percent per year":  # growth and inflation: a contraction, deflation, hyperinflation
        return -100.0, math.inf
    if text.endswith("estimate") or text == "index":  # WGI, V-Dem: scales centred on zero
        return -math.inf, math.inf
    if text == "index 0-1":
        return 0.0, 1.0
    if text.startswith("percent") or text == "%":
        return 0.0, 100.0
    if text.startswith(("per 100k", "per 100,000", "deaths per 100,000")):
        return 0.0, 1e5
    if text.startswith("per million"):
        return 0.0, 1e6
    return 0.0, math.inf


def describe(bounds: tuple[float, float]) -> str:
    lo, hi = bounds
    if math.isinf(hi):
        return f"at least {lo:g}"
    return f"between {lo:g} and {hi:g}"
