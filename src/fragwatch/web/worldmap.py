"""The overview's world map as inline SVG: each country a path filled by its band's colour.

Shapes are Natural Earth's 1:110m countries reduced by tools/reduce_countries.py and shipped
in data/ (ORIGIN note beside them), drawn in a plain equirectangular projection on the
server, so the page needs no script, no map library and no network.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from fragwatch.evidence.regions import country_name

# The projected frame: longitude -180..180 by latitude 84..-57 (the 110m land without
# Antarctica), one unit a degree.
NORTH, SOUTH = 84.0, -57.0
WIDTH, HEIGHT = 360, int(NORTH - SOUTH)
WITHHELD = "#8a8a8a"  # scored, but too little fresh evidence for a score
NOT_SCORED = "#d9d9d6"  # neither watched nor in the world ranking
# Natural Earth's own codes for places ISO 3166 (so the M49 table) does not list.
NAMES = {"CYN": "Northern Cyprus", "SOL": "Somaliland"}


@cache
def shapes() -> dict[str, list]:
    """ISO3 -> polygons, each a list of rings of [lon, lat]."""
    path = resources.files("fragwatch.web") / "data" / "countries_110m.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def outlines() -> dict[str, str]:
    """ISO3 -> the SVG path data of its polygons (computed once per process)."""

    def ring(points: list) -> str:
        xy = " ".join(f"{lon + 180:.1f},{NORTH - lat:.1f}" for lon, lat in points)
        return f"M{xy}Z"

    return {
        code: "".join(ring(r) for polygon in polygons for r in polygon)
        for code, polygons in shapes().items()
    }


def world_map(watched: list[dict], ranking: list[dict] | None, bands: list[dict]) -> dict:
    """The map's paths and legend. Coloured: the world ranking's countries when the overview
    has one, the watched countries always (they link to their page); the rest grey."""
    colour = {b["name"]: b["colour"] for b in bands}
    scored: dict[str, dict] = {r["country"]: {**r, "watched": False} for r in ranking or []}
    scored.update({r["country"]: {**r, "watched": True} for r in watched})
    paths = []
    for code, d in outlines().items():
        row = scored.get(code)
        name = NAMES.get(code) or country_name(code)
        if row is None:
            fill, title, href = NOT_SCORED, f"{name}: not scored", None
        else:
            withheld = row["score"] is None
            fill = WITHHELD if withheld else colour.get(row["band"], WITHHELD)
            score = "withheld" if withheld else f"{float(row['score']):.1f}"
            band = "too little fresh evidence" if withheld else row["band"]
            title = f"{name}: {score}, {band}"
            href = f"/country/{code}" if row["watched"] else None
        paths.append({"code": code, "d": d, "fill": fill, "title": title, "href": href})
    # Linked countries last, so their outline is drawn over their neighbours'.
    paths.sort(key=lambda p: p["href"] is not None)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "paths": paths,
        "legend": [*({"name": b["name"], "colour": b["colour"]} for b in bands),
                   {"name": "withheld", "colour": WITHHELD},
                   {"name": "not scored", "colour": NOT_SCORED}],
        "world": ranking is not None,
    }  # fmt: skip
