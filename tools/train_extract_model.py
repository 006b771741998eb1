"""Train the extractor's context model on the tune part and write it; or cross-validate it.

    .venv/bin/python tools/train_extract_model.py          # writes .../extract/model/quantity.json
    .venv/bin/python tools/train_extract_model.py --cv     # grouped cross-validation on tune

Only tests/fixtures/extraction_corpus/tune.jsonl is read (the test part stays frozen). Training
is deterministic, so running this again on the same tune file writes the same model;
tests/test_extract_model.py checks that the shipped file is what this writes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fragwatch.evidence.extract.corpus import load_corpus
from fragwatch.evidence.extract.learned import MODEL_PATH
from fragwatch.evidence.extract.training import C, cross_validate, examples, train
from fragwatch.evidence.extract.vocabulary import load_vocabulary

TUNE = Path(__file__).resolve().parents[1] / "tests/fixtures/extraction_corpus/tune.jsonl"
SETTINGS = [(p, v) for p in (0.4, 0.5, 0.6, 0.7, 0.8, 1.01) for v in (0.0, 0.02, 0.05, 0.1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate instead of training")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--c", type=float, default=C, help="inverse regularisation strength")
    parser.add_argument("--unbalanced", action="store_true", help="no class weights")
    args = parser.parse_args()
    passages = load_corpus(TUNE)
    vocabulary = load_vocabulary()
    if args.cv:
        table = cross_validate(
            passages,
            vocabulary,
            SETTINGS,
            folds=args.folds,
            c=args.c,
            balanced=not args.unbalanced,
        )
        print(f"{len(passages)} tune passages, {args.folds} folds grouped by site, C={args.c}")
        print(table.to_string())
        return
    model = train(passages, vocabulary)
    figures = len(examples(passages, vocabulary).targets)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", "utf-8")
    print(f"{figures} figures, {len(model.weights)} features -> {args.out}")


if __name__ == "__main__":
    main()
