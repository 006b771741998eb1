"""Which plain texts are taken as printed at a fixed width, and how their lines are joined."""

from __future__ import annotations

import textwrap

import pytest

from fragwatch.evidence.extract.reflow import looks_hard_wrapped, unwrap

from .conftest import REPO

SEEDS = sorted((REPO / "src" / "fragwatch" / "evidence" / "data" / "texts").glob("0*.txt"))


@pytest.mark.parametrize("seed", SEEDS, ids=[p.stem[:3] for p in SEEDS])
def test_a_report_with_a_paragraph_per_line_is_left_as_it_is(seed):
    assert not looks_hard_wrapped(seed.read_text("utf-8"))


@pytest.mark.parametrize("width", [60, 72, 80])
def test_the_same_report_printed_at_a_fixed_width_is_recognised(width):
    text = SEEDS[1].read_text("utf-8")
    paragraphs = [line for line in text.splitlines() if line.strip()]
    wrapped = "\n\n".join(
        textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False) for p in paragraphs
    )
    assert looks_hard_wrapped(wrapped)
    restored = unwrap(wrapped).rstrip("\n").split("\n\n")
    # Not a character lost or changed ...
    assert " ".join(restored) == " ".join(paragraphs)
    # ... and the paragraphs as they were, except where a URL too long for a line left a
    # short line ending a sentence before it (read as the paragraph's end).
    assert sum(p in set(restored) for p in paragraphs) >= 0.95 * len(paragraphs)


def test_a_list_of_headlines_is_not_joined():
    headlines = (
        "Tajikistan: Floods Displace Hundreds in Khatlon\n"
        "Kyrgyzstan Reports Record Remittance Inflows\n"
        "Border Talks Between Dushanbe and Bishkek Resume\n"
        "UN Appeals for Funds as Winter Approaches\n"
        "Migrant Returns From Russia Rise Again\n"
        "Uzbekistan Eases Rules for Labour Migrants\n"
    )
    assert not looks_hard_wrapped(headlines)


def test_list_items_and_headings_stay_apart_and_a_hyphenated_break_is_rejoined():
    text = (
        "Key figures\n"
        "\n"
        "The report counts labour migrants who left the country during the year and\n"
        "those who came back, by region and by the sector they worked in abroad, and\n"
        "the money they sent home, which is shown in a separate and widely cited well-\n"
        "known table at the end of each chapter, with the figures of earlier years.\n"
        "- 410,000 left for Russia\n"
        "- 52,000 returned\n"
    )
    assert looks_hard_wrapped(text)
    assert unwrap(text).split("\n\n") == [
        "Key figures",
        "The report counts labour migrants who left the country during the year and those who"
        " came back, by region and by the sector they worked in abroad, and the money they sent"
        " home, which is shown in a separate and widely cited well-known table at the end of"
        " each chapter, with the figures of earlier years.",
        "- 410,000 left for Russia",
        "- 52,000 returned\n",
    ]
