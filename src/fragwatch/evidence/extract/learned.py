"""The context model: which quantity a figure is, read from the words around it.

A multinomial logistic regression over TF-IDF-weighted features of a figure's context (the
words just before and after it, the rest of its sentence, the sentence before when this one
goes on from it, and the figure's own shape: measure, bound, order of magnitude) predicts its
quantity or "none". It is trained on the labelled tune part of the extraction corpus by
``fragwatch.evidence.extract.training`` (scikit-learn) and shipped as plain numbers in
``model/quantity.json``: reading it needs neither scikit-learn nor a pickle (whose format
changes between scikit-learn versions), and scoring a figure is a few dictionary lookups.

The rules come first. The model only (a) proposes a quantity for a figure no rule took, when it
is at least ``propose`` sure, and (b) vetoes a rule's quantity it gives less than ``veto``; both
thresholds were chosen by cross-validation on the tune part, grouped by site (see
docs/extraction.md). That cross-validation found no gain over the rules, so the extractor uses
the model only when asked (``fragwatch extract --learned``).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fragwatch.evidence.extract.numbers import Figure

MODEL_PATH = Path(__file__).with_name("model") / "quantity.json"
NONE = "none"

_WORD = re.compile(r"[^\W\d_]+|\$|%")
# Words nearest the figure say most ("... 40,000 people fled"): a narrow and a wide window.
NEAR, WIDE = 3, 8


def _stem(word: str) -> str:
    """Lower case, cut to six letters: 'displaced', 'displacement' and 'displacing' are one."""
    return word.lower()[:6]


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text)]


@dataclass(frozen=True)
class FigureContext:
    """A figure with the text around it, as the extractor sees it."""

    sentence: str
    figure: Figure
    before: str = ""  # the sentence before, when this one goes on from it
    hints: tuple[str, ...] = ()  # what the rules see: "displaced_people:some", ...


def features(context: FigureContext) -> set[str]:
    """The named features of a figure's context (each present or not)."""
    f = context.figure
    left, right = _words(context.sentence[: f.start]), _words(context.sentence[f.end :])
    own = _words(f.text)
    found = {f"m:{f.measure}", f"b:{f.bound or 'value'}"}
    point = next((v for v in (f.value, f.low, f.high) if v is not None), None)
    if point is not None and point > 0:
        found.add(f"g:{f.measure}:{min(int(math.log10(point)), 12)}")
    found |= {f"f:{w}" for w in own}
    found |= {f"l:{w}" for w in left[-NEAR:]} | {f"r:{w}" for w in right[:NEAR]}
    found |= {f"L:{w}" for w in left[-WIDE:]} | {f"R:{w}" for w in right[:WIDE]}
    # Pairs of the nearest words keep their order: "people fled" is not "fled people".
    found |= {f"rr:{a}_{b}" for a, b in itertools.pairwise(right[: NEAR + 1])}
    found |= {f"ll:{a}_{b}" for a, b in itertools.pairwise(left[-NEAR - 1 :])}
    found |= {f"s:{w}" for w in left + right}
    found |= {f"p:{w}" for w in _words(context.before)}
    found |= {f"h:{h}" for h in context.hints}
    return found


@dataclass(frozen=True)
class QuantityModel:
    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    # feature -> (idf, one coefficient per class)
    weights: dict[str, tuple[float, tuple[float, ...]]]
    propose: float  # a figure no rule took becomes this quantity at this probability or more
    veto: float  # a rule's quantity the model gives less than this is dropped (0: never)

    def probabilities(self, context: FigureContext) -> dict[str, float]:
        """The probability of each quantity (and "none") for the figure."""
        present = [self.weights[name] for name in features(context) if name in self.weights]
        norm = math.sqrt(sum(idf * idf for idf, _ in present)) or 1.0
        scores = list(self.intercept)
        for idf, coefficients in present:
            x = idf / norm
            for k, c in enumerate(coefficients):
                scores[k] += x * c
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return {name: e / total for name, e in zip(self.classes, exp, strict=True)}

    def to_json(self) -> dict:
        return {
            "classes": list(self.classes),
            "intercept": [round(v, 4) for v in self.intercept],
            "propose": self.propose,
            "veto": self.veto,
            "weights": {
                name: [round(idf, 4), [round(c, 4) for c in coefficients]]
                for name, (idf, coefficients) in sorted(self.weights.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> QuantityModel:
        return cls(
            classes=tuple(data["classes"]),
            intercept=tuple(float(v) for v in data["intercept"]),
            weights={
                name: (float(idf), tuple(float(c) for c in coefficients))
                for name, (idf, coefficients) in data["weights"].items()
            },
            propose=float(data["propose"]),
            veto=float(data["veto"]),
        )


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> QuantityModel:
    """The shipped model (read once per process)."""
    return QuantityModel.from_json(json.loads(path.read_text("utf-8")))
