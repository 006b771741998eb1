"""Event types of the data sets to fragwatch event kinds: a table, not code.

``event_kinds.csv`` has one line per rule: ``dataset`` (acled, ucdp), ``type`` and ``sub_type``
(ACLED event_type and sub_event_type; UCDP type_of_violence, where sub_type is always ``*``),
an optional ``pattern`` (a case-insensitive regular expression searched in the event's text:
ACLED ``notes``, UCDP ``where_description``) and the ``kind`` it gives. The first rule that fits
an event wins, so specific rules (a battle at a border post) come before general ones. A type no
rule names is an error: the data set's codebook changed and the table needs a line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fragwatch.evidence.loaders.export import mask


@dataclass(frozen=True)
class KindRule:
    type: str
    sub_type: str
    pattern: str
    kind: str

    def fits(self, type_: str, sub_type: str) -> bool:
        return self.type in ("*", type_) and self.sub_type in ("*", sub_type)


@cache
def rules(dataset: str) -> tuple[KindRule, ...]:
    source = resources.files("fragwatch.evidence.loaders") / "event_kinds.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        return tuple(
            KindRule(row["type"], row["sub_type"], row["pattern"], row["kind"])
            for row in csv.DictReader(handle)
            if row["dataset"] == dataset
        )


def known_types(dataset: str) -> list[str]:
    return sorted({r.type for r in rules(dataset) if r.type != "*"})


def map_kinds(dataset: str, types: pa.Array, sub_types: pa.Array, text: pa.Array) -> np.ndarray:
    """The kind of each event ('' where no rule fits), vectorised over (type, sub_type) pairs."""
    # The separator inside a cell would split it wrongly: it becomes U+FFFD, which no rule names.
    types, sub_types = (pc.replace_substring(a, "\x1f", "\ufffd") for a in (types, sub_types))
    pair = pc.binary_join_element_wise(types, sub_types, "\x1f")
    encoded = pc.dictionary_encode(pair)
    codes = np.asarray(encoded.indices, dtype=np.int64)
    out = np.full(len(codes), "", dtype=object)
    decided = np.zeros(len(codes), dtype=bool)
    pairs = [p.split("\x1f") for p in encoded.dictionary.to_pylist()]
    for rule in rules(dataset):
        fits = np.array([rule.fits(t, s) for t, s in pairs], dtype=bool)
        rows = fits[codes] & ~decided if len(pairs) else np.zeros(len(codes), dtype=bool)
        if not rows.any():
            continue
        if rule.pattern:
            where = np.flatnonzero(rows)
            found = mask(
                pc.match_substring_regex(text.take(pa.array(where)), rule.pattern, ignore_case=True)
            )
            rows = np.zeros(len(codes), dtype=bool)
            rows[where[found]] = True
        out[rows] = rule.kind
        decided |= rows
    return out
