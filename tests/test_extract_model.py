"""The context model: trained on the tune part only, shipped as plain numbers, used after the rules.

It must be what training on the shipped tune file writes (so nobody ships a model fitted on
something else), read clear cases of the tune part right, name the quantity of a figure no rule
takes in a phrasing of its own, and leave the seed reports' figures as they are.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from fragwatch.evidence.extract.candidates import extract_candidates
from fragwatch.evidence.extract.corpus import load_corpus
from fragwatch.evidence.extract.evaluate import evaluate
from fragwatch.evidence.extract.learned import NONE, load_model
from fragwatch.evidence.extract.training import examples, train
from fragwatch.evidence.extract.vocabulary import load_vocabulary

from .conftest import REPO
from .test_extract_cli import fragwatch
from .test_extract_rules import INDICATOR_QUANTITIES

TUNE = REPO / "tests" / "fixtures" / "extraction_corpus" / "tune.jsonl"


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_the_shipped_model_is_what_training_on_tune_writes(vocabulary, model):
    trained = train(load_corpus(TUNE), vocabulary)
    assert trained.classes == model.classes
    assert (trained.propose, trained.veto) == (model.propose, model.veto)
    assert set(trained.weights) == set(model.weights)
    for name, (idf, coefficients) in trained.weights.items():
        shipped_idf, shipped = model.weights[name]
        assert idf == pytest.approx(shipped_idf, abs=1e-3), name
        assert coefficients == pytest.approx(shipped, abs=2e-3), name
    assert NONE in model.classes


@pytest.mark.parametrize(
    ("passage", "figure", "quantity"),
    [
        ("c098", "948 kg", "opium_seizures"),
        ("c098", "74 kg", "hashish_seizures"),
        ("c079", "$10.72 billion", "remittances_usd"),
        ("c145", "85,800", "displaced_people"),
        ("c037", "44,200", "deportations"),
        ("c084", "3,386,461", "migrant_returns"),
    ],
)
def test_clear_cases_of_the_tune_part(vocabulary, model, passage, figure, quantity):
    (chosen,) = [p for p in load_corpus(TUNE) if p.id == passage]
    data = examples([chosen], vocabulary)
    (context,) = [c for c in data.contexts if c.figure.text == figure]
    p = model.probabilities(context)
    assert max(p, key=lambda q: p[q]) == quantity
    assert p[quantity] >= model.propose


def test_a_figure_no_rule_takes_is_proposed_and_marked(vocabulary, model):
    text = (
        "The security service puts Uzbek citizens fighting alongside Islamic State militants"
        " in Syria at more than 1,000.\n"
    )
    when = date(2024, 1, 10)
    assert extract_candidates(text, published=when, country=None, vocabulary=vocabulary) == []
    (found,) = extract_candidates(
        text, published=when, country=None, vocabulary=vocabulary, model=model
    )
    # (Filed under Syria, the country named nearest: the country rules' known limit, see
    # docs/extraction.md.)
    assert (found.what, found.when, found.low) == ("is_recruits", "2024-01", 1000.0)
    assert found.proposed
    assert found.learned >= model.propose
    assert "context model" in found.note
    # A proposal is less sure than the same figure read by a rule.
    assert found.confidence < 0.7


def test_rule_figures_are_kept_and_a_negative_stays_empty(vocabulary, model):
    text = (
        "Police seized 250 kg of heroin and 1.2 tonnes of hashish in Badakhshan in 2018.\n\n"
        "The country's population grew by 2.1 percent a year on average.\n"
    )
    when = date(2019, 3, 1)
    rules = extract_candidates(text, published=when, country="TJK", vocabulary=vocabulary)
    both = extract_candidates(
        text, published=when, country="TJK", vocabulary=vocabulary, model=model
    )
    assert [(c.what, c.value) for c in both] == [(c.what, c.value) for c in rules]
    assert [(c.what, c.value) for c in both] == [
        ("heroin_seizures", 250.0),
        ("hashish_seizures", 1200.0),
    ]
    assert not any(c.proposed for c in both)


def test_the_seed_reports_keep_their_figures_with_the_model(evidence, vocabulary, model):
    result = evaluate(evidence, vocabulary, model)
    numeric = result.total("observation", INDICATOR_QUANTITIES, "numeric")
    assert numeric["curated"] == 13
    assert numeric["recall"] >= 1.0
    assert numeric["precision"] >= 1.0


def test_the_command_uses_the_model_only_when_asked(tmp_path):
    report = tmp_path / "note.txt"
    report.write_text(
        "The security service puts Uzbek citizens fighting alongside Islamic State militants"
        " in Syria at more than 1,000.\n",
        "utf-8",
    )
    common = (
        "extract",
        str(report),
        "--source-id",
        "n1",
        "--published",
        "2024-01-10",
        "--country",
        "UZB",
    )
    plain = fragwatch(*common, "--out", str(tmp_path / "a.csv"), cwd=tmp_path, tmp_path=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "0 candidate(s)" in plain.stdout
    learned = fragwatch(
        *common, "--learned", "--out", str(tmp_path / "b.csv"), cwd=tmp_path, tmp_path=tmp_path
    )
    assert learned.returncode == 0, learned.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "b.csv").read_text("utf-8"))))
    assert len(rows) == 1
    assert rows[0]["quantity"] == "is_recruits"
    assert "context model" in rows[0]["note"]
