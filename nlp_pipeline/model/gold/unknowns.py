"""The corpus-wide unknowns report: every item the extraction left without a treatment category or
without a requested amount, so a gap shows without reading letters one by one.

Study letters are listed item by item (title, what is missing, the "not understood" warnings); sealed
letters (``nlp_pipeline.model.sealed``) are only counted, never shown. Ends with the share of items without a
category (the goal: at most 1%).

    python scripts/report_unknowns.py [LETTERS...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# the checkout this package runs from (an editable install): the gold files and the shared letters are
# named relative to it by default; pass their paths where the package is installed from a wheel
CHECKOUT = Path(__file__).resolve().parents[3]
SHARED = CHECKOUT / ".." / "shared" / "data"


def unknown_rows(paths: list[str | Path]) -> list[dict]:
    """One row per item: source, index, title, sealed, whether it has a category and an amount, warnings."""
    from nlp_pipeline.io.batch import iter_letter_paths
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.extraction.pipeline import build_nlp
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.model.sealed import is_sealed

    nlp, rows = build_nlp(), []
    for path in iter_letter_paths([str(p) for p in paths]):
        letter = load_letter(path)
        facts = extract_letter(letter, nlp)
        for item, item_facts in zip(letter.items, facts.items):
            rows.append({"source": Path(path).name, "index": item.index, "title": " ".join(item.title.split()),
                         "sealed": is_sealed(letter.case_number, path), "category": item_facts.treatment is not None,
                         "amount": item_facts.requested is not None,
                         "warnings": item_facts.warnings})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the study items with something missing, then the counts."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    args = parser.parse_args(argv)
    rows = unknown_rows(args.paths)
    for row in rows:
        if not row["sealed"] and not (row["category"] and row["amount"]):
            missing = ", ".join(m for m, ok in (("category", row["category"]), ("amount", row["amount"])) if not ok)
            flag = f"  [{'; '.join(row['warnings'])}]" if row["warnings"] else ""
            print(f"{row['source']} [{row['index']}] no {missing}: {row['title'][:100]}{flag}")
    for side in ("study", "sealed"):
        mine = [r for r in rows if r["sealed"] == (side == "sealed")]
        print(f"{side}: {len(mine)} items, {sum(not r['category'] for r in mine)} without a category, "
              f"{sum(not r['amount'] for r in mine)} without a requested amount, "
              f"{sum(bool(r['warnings']) for r in mine)} with a 'not understood' warning")
    no_category = sum(not r["category"] for r in rows)
    print(f"all: {no_category} of {len(rows)} items without a category ({no_category / len(rows):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
