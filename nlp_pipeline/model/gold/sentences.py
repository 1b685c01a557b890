"""Sentence boundaries against a gold set: the pipeline's splitter beside spaCy's plain sentencizer, and
pysbd / PyRuSH when they are installed (they are not dependencies: this script is how they were compared).

``tests/data/sentence_gold.jsonl``: 31 invented rationale passages in the letters' style, wrapped at 92
characters as PDF text comes (line breaks inside sentences), with guideline citations ("(Li, 2005)",
"(Furlan et al., 2006)"), abbreviations ("Dr.", "e.g.", "i.e.", "approx.", "pp.", "No.", "b.i.d."),
numbered lists and page references; 107 boundaries, written before any splitter was run on them.
Prints precision, recall and F1 of the boundaries per splitter (and, with --errors, each miss).

    python scripts/eval_sentences.py [--errors]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

# the checkout this package runs from (an editable install): the gold files and the shared letters are
# named relative to it by default; pass their paths where the package is installed from a wheel
CHECKOUT = Path(__file__).resolve().parents[3]
GOLD = CHECKOUT / "tests" / "data" / "sentence_gold.jsonl"


def load_gold(path: Path = GOLD) -> list[dict]:
    """The passages: ``text`` and the character offsets where its 2nd, 3rd, ... sentences start."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pipeline_starts(text: str) -> list[int]:
    """Sentence starts as the extraction pipeline reads a rationale (line breaks read as spaces)."""
    from nlp_pipeline.extraction.pipeline import build_nlp

    nlp = build_nlp()
    doc = nlp.make_doc(text.replace("\n", " "))
    return [s.start_char for s in nlp.get_pipe("imr_sentences")(doc).sents]


def splitters() -> dict[str, Callable[[str], list[int]]]:
    """The splitters to compare: the pipeline's, spaCy's sentencizer alone, and the optional ones installed."""
    import spacy

    plain = spacy.blank("en")
    plain.add_pipe("sentencizer")
    out = {"pipeline (imr_sentences)": pipeline_starts,
           "spaCy sentencizer": lambda t: [s.start_char for s in plain(t.replace("\n", " ")).sents]}
    try:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        out["pysbd"] = lambda t: [s.start for s in segmenter.segment(t.replace("\n", " "))]
    except ImportError:
        pass
    try:
        import os

        import PyRuSH
        from PyRuSH import RuSH

        rush = RuSH(os.path.join(os.path.dirname(os.path.dirname(PyRuSH.__file__)), "conf", "rush_rules.tsv"))
        out["PyRuSH"] = lambda t: [s.begin for s in rush.segToSentenceSpans(t)]
    except ImportError:
        pass
    return out


def score(gold: list[dict], split: Callable[[str], list[int]]) -> dict[str, object]:
    """Precision, recall and F1 of the boundaries, and the misses (text around each)."""
    tp = fp = fn = 0
    errors = []
    for row in gold:
        text, truth = row["text"], set(row["boundaries"])
        found = set(split(text)) - {0}
        tp, fp, fn = tp + len(found & truth), fp + len(found - truth), fn + len(truth - found)
        errors += [(kind, text[max(0, b - 30):b].replace("\n", " ") + " | " + text[b:b + 25].replace("\n", " "))
                   for kind, bounds in (("false", found - truth), ("missed", truth - found)) for b in sorted(bounds)]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"boundaries": tp + fn, "precision": precision, "recall": recall, "f1": f1, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    """Print the figures per splitter."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list every false and missed boundary")
    args = parser.parse_args(argv)
    gold = load_gold()
    for name, split in splitters().items():
        result = score(gold, split)
        print(f"{name:26s} {result['boundaries']} boundaries: precision {result['precision']:.3f} "
              f"recall {result['recall']:.3f} F1 {result['f1']:.3f}")
        if args.errors:
            for kind, where in result["errors"]:
                print(f"    {kind:6s} {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
