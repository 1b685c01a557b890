"""How often the verdict ``imr_verdict`` reads agrees with the stated decision, item by item.

On a finished letter the stated decision is the verdict's gold label: ``Overturned`` items should read
``necessary``, ``Upheld`` items ``not_necessary``. Prints, for the study and the sealed letters apart
(``nlp_pipeline.model.sealed``), the items, how many agree, disagree and have no verdict; lists every study
item that does not agree (its stated decision, the reading, and the deciding phrase). The sealed
letters are never shown, only counted: they are not read while the verdict's patterns are written.

    python scripts/eval_verdict.py [LETTERS...] [--quiet] [--json] [--write]

``--write`` also saves the figures to ``models/verdict_agreement.json`` (the model card reads them).

Without LETTERS it reads ``../shared/data/letters`` and ``../shared/data/seeds``. Always exits 0.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nlp_pipeline.model.gold.common import (
    add_output_arguments,
    publish,
)

# the checkout this package runs from (an editable install): the gold files and the shared letters are
# named relative to it by default; pass their paths where the package is installed from a wheel
CHECKOUT = Path(__file__).resolve().parents[3]
DEFAULT_PATHS = [CHECKOUT / ".." / "shared" / "data" / "letters", CHECKOUT / ".." / "shared" / "data" / "seeds"]


def verdict_rows(paths: list[str | Path]) -> list[dict[str, Any]]:
    """One row per item with a stated decision: where it comes from, its side of the split, the reading."""
    from nlp_pipeline.io.batch import iter_letter_paths
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.extraction.pipeline import build_nlp
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.model.sealed import is_sealed

    nlp, rows = build_nlp(), []
    for path in iter_letter_paths([str(p) for p in paths]):
        letter = load_letter(path)
        facts = extract_letter(letter, nlp)
        sealed = is_sealed(letter.case_number, path)
        for item in letter.items:
            if item.stated_decision is None:
                continue
            verdict = facts.items[item.index].verdict
            rows.append({
                "source": Path(path).name, "item_index": item.index, "sealed": sealed, "stated": item.stated_decision,
                "verdict": verdict.value, "outcome": verdict.outcome,
                "phrase": None if sealed or verdict.sentence is None else " ".join(verdict.sentence.text.split()),
            })
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Items, agreements, disagreements (a verdict for the other outcome) and items without a verdict."""
    return {
        "items": len(rows),
        "agree": sum(r["outcome"] == r["stated"] for r in rows),
        "disagree": sum(r["outcome"] is not None and r["outcome"] != r["stated"] for r in rows),
        "no_verdict": sum(r["outcome"] is None for r in rows),
        "overturned": sum(r["stated"] == "Overturned" for r in rows),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the agreement per side of the split and the study items that do not agree."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(p) for p in DEFAULT_PATHS], metavar="LETTERS")
    parser.add_argument("--quiet", action="store_true", help="do not list the study items that do not agree")
    add_output_arguments(parser, "verdict_agreement.json")
    args = parser.parse_args(argv)
    rows = verdict_rows(args.paths)
    figures = {side: summary([r for r in rows if r["sealed"] == (side == "sealed")]) for side in ("study", "sealed")}
    figures["all"] = summary(rows)
    if publish(figures, args, "verdict_agreement.json"):
        return 0
    for side, f in figures.items():
        share = f["agree"] / f["items"] if f["items"] else float("nan")
        print(f"{side:>6}: {f['agree']}/{f['items']} items agree ({share:.3f}); {f['disagree']} read the other "
              f"outcome, {f['no_verdict']} no verdict ({f['overturned']} Overturned items)")
    if not args.quiet:
        for r in rows:
            if not r["sealed"] and r["outcome"] != r["stated"]:
                print(f"  {r['source']} [{r['item_index']}] stated {r['stated']}, read {r['verdict']}: {r['phrase']}",
                      file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
