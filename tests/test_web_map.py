"""The overview's world map: the shipped country shapes, and the map a logged-in reader gets
from ``fragwatch web`` (a subprocess on a fresh store, so the desk scores the watched
countries on the embedded evidence as of today)."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources

import pytest

from .conftest import REPO
from .report_helpers import write_hostile_evidence
from .web_helpers import PASSWORD, Desk, start_web, stop_web

SHAPES = resources.files("fragwatch.web") / "data" / "countries_110m.json"
# AFG is high on the embedded data, ERI withheld (too little fresh evidence), CIV's name
# has an apostrophe that the page must escape.
WATCHED = ["TJK", "AFG", "ERI", "CIV"]
PATH = re.compile(r'<path (?:class="watched" )?data-country="([A-Z]{3})" d="[^"]+" fill="([^"]+)">'
                  r"<title>([^<]*)</title></path>")  # fmt: skip


def test_shipped_shapes_are_iso3_keyed_world_outlines():
    shapes = json.loads(SHAPES.read_text(encoding="utf-8"))
    assert len(SHAPES.read_bytes()) < 300_000
    assert (SHAPES.parent / "countries_110m.ORIGIN.txt").is_file()
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in shapes)
    watched = tomllib.loads((REPO / "config" / "fragwatch.toml").read_text())["countries"]
    assert set(watched) <= set(shapes)
    # Natural Earth's -99 ISO codes came out under their ADM0 code (Kosovo as the evidence has it).
    assert {"FRA", "NOR", "XKX"} <= set(shapes)
    assert len(shapes) > 170
    for code, polygons in shapes.items():
        assert polygons, code
        for ring in (r for polygon in polygons for r in polygon):
            assert len(ring) >= 3, code
            assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in ring), code


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[str, str, str]:
    folder = tmp_path_factory.mktemp("webmap")
    write_hostile_evidence(folder / "hostile")
    settings = folder / "fragwatch.toml"
    settings.write_text(
        f'database_url = "sqlite:///{folder}/var/fragwatch.db"\n'
        f'outbox_dir = "{folder}/var/outbox"\n'
        f"countries = {json.dumps(WATCHED)}\n",
        encoding="utf-8",
    )
    made = Desk("", folder, settings, None).cli(  # type: ignore[arg-type]
        "users", "add", "rita", "--role", "reader", "--password-stdin", stdin=PASSWORD
    )
    assert made.returncode == 0, made.stderr
    desk = start_web(folder, settings)
    try:
        with desk.client("rita") as client:
            overview = client.get("/", timeout=300)
            css = client.get("/static/desk.css")
            filtered = client.get("/?band=high")
        assert overview.status_code == 200, overview.text[:500]
        assert filtered.status_code == 200
        return overview.text, css.text, filtered.text
    finally:
        stop_web(desk)


def band_colour(css: str, band: str) -> str:
    """The colour the desk's stylesheet gives a band's cards."""
    return re.search(rf"\.band-{band} {{ border-color: (#[0-9a-f]{{6}}); }}", css).group(1)


def card_band(html: str, code: str) -> str:
    card = re.search(rf'<a class="card band-([a-z-]+)" href="/country/{code}"', html)
    return card.group(1)


def test_the_map_draws_every_shipped_country_once(page):
    html, *_ = page
    svg = re.search(r'<svg id="worldmap" viewBox="0 0 (\d+) (\d+)"[^>]*>(.*?)</svg>', html, re.S)
    assert svg, "no map on the overview"
    drawn = [m.group(1) for m in PATH.finditer(svg.group(3))]
    assert svg.group(3).count("<path ") == len(drawn)
    assert sorted(drawn) == sorted(json.loads(SHAPES.read_text(encoding="utf-8")))


def test_watched_countries_are_filled_by_band_and_link_to_their_page(page):
    html, css, _ = page
    paths = {code: (fill, title) for code, fill, title in PATH.findall(html)}
    assert card_band(html, "AFG") == "high"
    assert paths["AFG"][0] == band_colour(css, "high")
    assert paths["TJK"][0] == band_colour(css, card_band(html, "TJK"))
    assert re.match(r"Afghanistan: \d+\.\d, high$", paths["AFG"][1])
    for code in WATCHED:
        assert f'<a href="/country/{code}"><path class="watched" data-country="{code}"' in html
    # Not watched: coloured by the world ranking, not a link; a territory no data set scores
    # (the Falklands) stays the light grey.
    assert re.match(r"France: \d+\.\d, (low|moderate)$", paths["FRA"][1])
    assert paths["FRA"][0] in {band_colour(css, b) for b in ("low", "moderate")}
    assert '<a href="/country/FRA">' not in html
    assert paths["FLK"][1].startswith("Falkland Islands")
    assert paths["FLK"][1].endswith(": not scored")
    assert paths["FLK"][0] not in {band_colour(css, b) for b in ("low", "moderate", "high")}


def test_withheld_countries_are_grey_and_titles_escaped(page):
    html, *_ = page
    paths = {code: (fill, title) for code, fill, title in PATH.findall(html)}
    assert card_band(html, "ERI") == "withheld"
    fill, title = paths["ERI"]
    red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    assert red == green == blue, fill  # a grey
    assert fill != paths["FLK"][0]  # and told apart from the countries nobody scored
    assert title == "Eritrea: withheld, too little fresh evidence"
    assert paths["CIV"][1].startswith("Côte d&#39;Ivoire: ")
    assert "d'Ivoire" not in html.split('id="worldmap"')[1].split("</svg>")[0]


def test_the_world_ranking_colours_the_countries_it_ranks():
    from fragwatch.web.worldmap import world_map

    bands = [{"name": "low", "colour": "#00aa00"}, {"name": "high", "colour": "#aa0000"}]
    watched = [{"country": "TJK", "score": 70.0, "band": "high"}]
    ranking = [
        {"country": "NOR", "score": 5.0, "band": "low", "rank": 2},
        {"country": "TJK", "score": 70.0, "band": "high", "rank": 1},
        {"country": "YEM", "score": None, "band": "withheld", "rank": None},
    ]
    drawn = {p["code"]: p for p in world_map(watched, ranking, bands)["paths"]}
    assert (drawn["NOR"]["fill"], drawn["NOR"]["href"]) == ("#00aa00", None)
    assert (drawn["TJK"]["fill"], drawn["TJK"]["href"]) == ("#aa0000", "/country/TJK")
    assert drawn["NOR"]["title"] == "Norway: 5.0, low"
    assert drawn["YEM"]["fill"] not in ("#00aa00", "#aa0000", drawn["FRA"]["fill"])
    assert world_map(watched, None, bands)["paths"][-1]["code"] == "TJK"  # drawn on top


def test_the_map_keeps_every_watched_country_when_the_cards_are_filtered(page):
    html, _, filtered = page
    assert card_band(filtered, "AFG") == "high"
    assert re.search(r'<a class="card[^"]*" href="/country/TJK"', filtered) is None  # no card
    before = {code: (fill, title) for code, fill, title in PATH.findall(html)}
    after = {code: (fill, title) for code, fill, title in PATH.findall(filtered)}
    assert after["TJK"] == before["TJK"]
    assert not after["TJK"][1].endswith("not scored")


def test_the_overview_ranks_the_world_from_the_open_data_layer(page):
    html, *_ = page
    table = html.split("<h2>World ranking</h2>")[1].split("</table>")[0]
    counted = re.search(r"(\d+) of (\d+) countries scored today", table)
    assert counted
    assert int(counted.group(1)) >= 150
    assert int(counted.group(2)) >= 200
    rows = re.findall(r"<tr><td>(\d+|-)</td><td>(.*?)</td><td>([^<]*)</td><td>([^<]*)</td>", table)
    ranks = [int(r[0]) for r in rows if r[0] != "-"]
    assert ranks == list(range(1, len(ranks) + 1))  # most fragile first, withheld last
    scores = [float(r[2]) for r in rows if r[0] != "-"]
    assert scores == sorted(scores, reverse=True)
    # A watched country links to its page from the ranking; the others are plain names.
    assert any(r[1].startswith('<a href="/country/AFG">AFG</a> Afghanistan') for r in rows)
    assert any(r[1] == "NOR Norway" for r in rows)
