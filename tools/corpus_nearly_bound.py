"""Apply the corpus convention "nearly N" = upper bound (high = N) to labels given as values.

Mechanical, so that it can be applied to a frozen part without reading it: a label's value
becomes ``high`` when the passage holds "nearly" right before a figure that reads as exactly
that value. Prints how many labels each file had converted (and, for the first file, which).

    python tools/corpus_nearly_bound.py TUNE.jsonl [FROZEN.jsonl ...]
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

SCALE = {"thousand": 1e3, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9,
         "bln": 1e9, "bn": 1e9, "b": 1e9, "tonnes": 1e3, "tons": 1e3, "tonne": 1e3, "ton": 1e3,
         "t": 1e3, "lakh": 1e5, "crore": 1e7}  # fmt: skip
NEARLY = re.compile(
    r"\bnearly\s+(?:US\s?\$|USD|\$)?\s*(\d[\d,.\s]*\d|\d)\s*"
    r"(thousand|million|mln|mn|billion|bln|bn|tonnes|tons|tonne|ton|lakh|crore|m|b|t)?\b",
    re.I,
)


def nearly_values(text: str) -> Iterator[float]:
    """Each figure after "nearly", read with either decimal convention."""
    for match in NEARLY.finditer(text):
        raw = match.group(1).replace(" ", "")
        scale = SCALE.get((match.group(2) or "").lower(), 1.0)
        for decimal, thousands in ((".", ","), (",", ".")):
            try:
                yield float(raw.replace(thousands, "").replace(decimal, ".")) * scale
            except ValueError:
                continue


def convert(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    changed = []
    for row in rows:
        found = list(nearly_values(row["text"]))
        for label in row["labels"]:
            value = label.get("value")
            if label.get("record") != "observation" or not value:
                continue
            if any(abs(x - value) <= 1e-9 * abs(value) for x in found):
                label["high"], label["value"] = value, None
                changed.append((row["id"], label["quantity"]))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return changed


def main() -> None:
    for n, name in enumerate(sys.argv[1:]):
        changed = convert(Path(name))
        print(f"{name}: {len(changed)} label(s) converted")
        if n == 0:
            for passage, quantity in changed:
                print(f"  {passage} {quantity}")


if __name__ == "__main__":
    main()
