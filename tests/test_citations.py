"""Citations as a reader expects them, on the embedded evidence: quotes without markup (and
saying so; the stored quote stays verbatim), data rows as figures with their release, and one
publication date per source wherever it is shown.
"""

from __future__ import annotations

import pandas as pd

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


def test_the_report_shows_figures_cleaned_quotes_and_one_date_per_source(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2017-08-31"), pd.Timestamp("2016-12-31"))
    built = build_report(data, methodology_url="https://fragwatch.example.org/m.md")
    html = Sections(built.html(lambda c: c.filename))
    remittances = html.text["data-evidence=remittances_gdp"]
    value = data.now.table.set_index("code").at["remittances_gdp", "value"]
    assert f"World Bank WDI, 2025 release: {value:.1f}% of GDP in 2016" in remittances
    assert "tjk,2016," not in remittances  # the raw line is not shown as a quote
    # Every date shown beside a source's quotes is the date the source list gives it.
    listed = {s["ref"]: s["published"] for s in built.view["sources"]}
    quotes = [q for g in built.view["evidence"] for q in g["quotes"]]
    quotes += [q for c in built.view["changes"] for q in c["quotes"]]
    assert quotes
    assert all(q["date"] == listed[q["ref"]] for q in quotes if q["ref"])


def test_a_quote_with_markup_says_it_was_cleaned(evidence, spec):
    data = gather(evidence, spec, "TJK", pd.Timestamp("2016-01-31"), pd.Timestamp("2015-01-31"))
    built = build_report(data, methodology_url="https://fragwatch.example.org/m.md")
    quotes = [q for g in built.view["evidence"] for q in g["quotes"]]
    cleaned = [q for q in quotes if q["cleaned"]]
    assert cleaned
    for q in cleaned:
        assert q["shown"] != q["quote"]  # the stored quote is kept verbatim
        assert "\u00b9" not in q["shown"]
        assert "](#)" not in q["shown"]
    assert "(markup removed)" in built.text
    assert "(markup removed for display)" in built.html(lambda c: c.filename)
