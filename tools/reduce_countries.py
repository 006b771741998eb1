"""Reduce Natural Earth's 1:110m admin-0 countries to the shapes the web desk's map draws.

    .venv/bin/python tools/reduce_countries.py ne_110m_admin_0_countries.geojson \
        [--out src/fragwatch/web/data/countries_110m.json]

Keeps each country's ISO3 code and its polygons only (lists of rings of [lon, lat]),
coordinates rounded to 0.1 degree (a pixel on a page-wide world map), so the shipped file
stays small. The key is ISO_A3, or
ADM0_A3 where Natural Earth has no ISO code (-99: France, Norway, Kosovo, N. Cyprus,
Somaliland); Kosovo gets XKX, the code the evidence uses. Antarctica is left out: no country
there is scored, and it would take a third of the map's height. The origin file, its
repository and commit are in countries_110m.ORIGIN.txt beside the output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/fragwatch/web/data/countries_110m.json"
RENAMED = {"KOS": "XKX"}
LEFT_OUT = {"ATA"}


def key(properties: dict) -> str:
    iso = properties["ISO_A3"]
    code = iso if iso and iso != "-99" else properties["ADM0_A3"]
    return RENAMED.get(code, code)


def ring(points: list[list[float]]) -> list[list[float]] | None:
    """The ring rounded to 0.1 degree without repeated points; None when it collapses."""
    out: list[list[float]] = []
    for lon, lat in points:
        p = [round(lon, 1), round(lat, 1)]
        if not out or p != out[-1]:
            out.append(p)
    return out if len({tuple(p) for p in out}) >= 3 else None


def reduce(collection: dict) -> dict[str, list]:
    shapes: dict[str, list] = {}
    for feature in collection["features"]:
        code = key(feature["properties"])
        if code in LEFT_OUT:
            continue
        if code in shapes:
            raise SystemExit(f"reduce_countries: two features for {code}")
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        # Holes kept (South Africa's is Lesotho): the map fills with the even-odd rule.
        kept = [[r for r in map(ring, p) if r is not None] for p in polygons]
        shapes[code] = [p for p in kept if p]
    return dict(sorted(shapes.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("origin", type=Path, help="ne_110m_admin_0_countries.geojson")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    shapes = reduce(json.loads(args.origin.read_text(encoding="utf-8")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(shapes, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"{len(shapes)} countries, {len(text):,} bytes -> {args.out}")


if __name__ == "__main__":
    main()
