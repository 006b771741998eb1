"""Citations as a reader expects them, on the embedded evidence: quotes without markup (and
saying so; the stored quote stays verbatim), data rows as figures with their release, each
source listed once with every quote cited from it, and one publication date per source wherever
it is shown.
"""

from __future__ import annotations

import re
from html import escape

import pandas as pd
import pytest

from fragwatch.reports.build import build_report
from fragwatch.reports.citations import clean_quote, data_row_text, is_data_row
from fragwatch.reports.data import gather

from .report_helpers import Sections

ANNOUNCED = "[announced](#)"


def test_markup_and_footnote_markers_are_removed_for_display_only(evidence):
    quotes = pd.concat([evidence.observations["quote"], evidence.events["quote"]]).dropna()
    marked = quotes[quotes.str.contains(ANNOUNCED, regex=False)]
    assert len(marked) > 0  # the stored quote keeps what the page had
    shown, cleaned = clean_quote(marked.iloc[0])
    assert cleaned
    assert "[" not in shown
    assert "(#)" not in shown
    assert "Interior Ministry announced that up to 1 000 Tajik citizens" in shown
    footnoted = quotes[quotes.str.contains("\u00b9\u00b3", regex=False)].iloc[0]
    shown, cleaned = clean_quote(footnoted)
    assert cleaned
    assert '"the party of war". The IRPT' in shown
    plain = "Fraudulent parliamentary elections and dozens of arrests in 2015 have silenced"
    assert clean_quote(plain) == (plain, False)


def test_a_data_row_reads_as_a_person_would_write_it(evidence):
    obs = evidence.observations
    row = obs.loc["wdi-2025-remittances:TJK:remittances_gdp:2015"]
    assert is_data_row(row["quote"])  # stored verbatim: "TJK,2015,27.30656"
    source = evidence.sources.loc[row["source_id"]]
    text = data_row_text(
        title=source["title"], publisher=source["publisher"], release=source["published"].year,
        value=row["value"], unit=row["unit"], quantity=row["quantity"], period=row["period"],
    )  # fmt: skip
    assert text == f"World Bank WDI, 2025 release: {row['value']:.1f}% of GDP in 2015"
    assert not is_data_row("The economy is crippled, with the downturn in Russia")


def report(evidence, spec, as_of: str, since: str):
    data = gather(evidence, spec, "TJK", pd.Timestamp(as_of), pd.Timestamp(since))
    built = build_report(data, methodology_url="https://fragwatch.example.org/m.md")
    raw = built.html(lambda c: c.filename)
    return data, built, Sections(raw), raw, " ".join(built.text.split())


def test_a_data_row_is_shown_under_its_release_as_a_figure_with_its_link(evidence, spec):
    data, _, html, _, _ = report(evidence, spec, "2017-08-31", "2016-12-31")
    ref = data.sources.index[data.sources["source_id"] == "wdi-2025-remittances"][0]
    listed = html.text[f"data-source={ref}"]
    value = data.now.table.set_index("code").at["remittances_gdp", "value"]
    assert f"World Bank WDI, 2025 release: {value:.1f}% of GDP in 2016" in listed
    assert "tjk,2016," not in listed.lower()  # the raw line is not shown as a quote
    url = data.sources.at[ref, "url"]
    assert ("a", url) in [(t, a.get("href")) for t, a in html.elements]


def test_each_source_is_listed_once_with_every_quote_behind_a_printed_value(evidence, spec):
    data, _, html, raw, text = report(evidence, spec, "2016-01-31", "2015-01-31")
    assert html.of("source") == [str(r) for r in data.sources.index]
    # The values the report prints: the indicator table (now), then and now of what changed.
    printed = {i for t in (data.now.table, data.before.table) for ids in t["evidence_ids"]
               for i in ids} | {i for ids in data.change["cite_ids"] for i in ids}  # fmt: skip
    hidden_total = 0
    for ref, source in data.sources.iterrows():
        # The full title once in each part: the rest of the report cites it by number.
        title = " ".join(source["title"].split())
        assert text.count(title) == 1, title
        assert raw.count(escape(source["title"], quote=False)) == 1, title
        listed = html.text[f"data-source={ref}"]
        rows = data.citations[data.citations["ref"] == ref]
        assert len(rows)

        # One passage once; a data line gives one figure per quantity, each a passage.
        def passage(row: pd.Series) -> tuple[str, str]:
            return row["quote"], row["quantity"] if is_data_row(row["quote"]) else ""

        quoted = {passage(row) for i, row in rows.iterrows() if i in printed}
        hidden = set()
        for evidence_id, row in rows.iterrows():
            shown = clean_quote(row["quote"])[0]
            if evidence_id not in printed:  # behind the charts' earlier values only
                if passage(row) not in quoted:
                    hidden.add(passage(row))
                continue
            if is_data_row(row["quote"]):  # a figure: its value and year, as a person writes it
                v = row["value"]
                assert f"{v:,.1f}" in listed or f"{v:,.0f}" in listed, evidence_id
                assert f" in {row['period']}" in listed, evidence_id
            else:
                assert shown in listed, evidence_id
            # Under its source and no other.
            others = [html.text[f"data-source={r}"] for r in data.sources.index if r != ref]
            if not is_data_row(row["quote"]) and len(shown) > 40:
                assert not any(shown in o for o in others), evidence_id
        # The passages behind the charts only are counted, not quoted; the link leads to them.
        counted = html.text.get(f"data-more-quotes={ref}", "")
        if hidden:
            # As many as there are passages (two data lines giving the same figure read as one).
            (n,) = re.findall(r"(\d+) (?:more )?passages? behind earlier values", counted)
            assert 1 <= int(n) <= len(hidden), (counted, len(hidden))
            for quote, _ in hidden:
                if not is_data_row(quote):
                    assert clean_quote(quote)[0] not in listed
            if source["url"]:
                assert ("a", source["url"]) in [(t, a.get("href")) for t, a in html.elements]
        else:
            assert counted == ""
        hidden_total += len(hidden)
    assert hidden_total > 0  # five years of raw values: far more than the report prints


def test_each_quote_says_the_figure_it_gives_its_period_and_what_it_supports(evidence, spec):
    _, built, html, _, _ = report(evidence, spec, "2016-01-31", "2015-01-31")
    quotes = {q["id"]: q for s in built.view["sources"] for q in s["quotes"]}
    # The Crisis Group briefing's count of militants on the border, as the reader sees it.
    militants = quotes["tjk-militants_near_border-2015-11-icg-b78"]
    assert "4,500 fighters in 2015-11" in militants["said"]
    assert "supports Militants massed across the border" in militants["said"]
    assert militants["said"] in html.text[f"data-quote={militants['id']}"]


@pytest.mark.parametrize(("as_of", "since"), [("2016-01-31", "2015-01-31"),
                                              ("2017-08-31", "2016-12-31")])  # fmt: skip
def test_a_source_shows_one_publication_date_everywhere_in_the_mail(evidence, spec, as_of, since):
    data, _, html, _, text = report(evidence, spec, as_of, since)
    listed = {str(r): str(d.date()) for r, d in data.sources["published"].items()}
    # In the HTML: one date element per source, its own.
    dated = {
        k.split("=", 1)[1]: html.text[k] for k in html.keys if k.startswith("data-source-date=")
    }
    assert dated == {r: f"published {d}" for r, d in listed.items()}
    # In both parts, every publication date shown is a listed source's own, once per source:
    # quotes elsewhere name their source by number, never with a date of their own.
    for part in (
        text,
        " ".join(html.text[k] for k in html.keys if k.startswith("data-happened"))
        + " "
        + " ".join(html.text[k] for k in html.keys if k.startswith("data-change-evidence")),
    ):
        shown = re.findall(r"published (\d{4}-\d{2}-\d{2})", part)
        assert all(d in listed.values() for d in shown)
    dates = re.findall(r"\[(\d+)\] [^\[]*?published (\d{4}-\d{2}-\d{2})", text)
    assert dates
    assert all(listed[r] == d for r, d in dates)
    assert sorted(r for r, _ in dates) == sorted(listed)  # each source's date exactly once


def test_a_quote_with_markup_says_it_was_cleaned(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2016-01-31"), pd.Timestamp("2015-01-31"))
    built = build_report(data, methodology_url="https://fragwatch.example.org/m.md")
    quotes = [q for s in built.view["sources"] for q in s["quotes"]]
    cleaned = [q for q in quotes if q["cleaned"]]
    assert cleaned
    for q in cleaned:
        assert q["shown"] != q["quote"]  # the stored quote is kept verbatim
        assert "\u00b9" not in q["shown"]
        assert "](#)" not in q["shown"]
    assert "(markup removed)" in built.text
    assert "(markup removed for display)" in built.html(lambda c: c.filename)
