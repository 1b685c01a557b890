"""Amounts read from invented case sentences: the earlier amount of the requested treatment, and the requested
amount of an item whose title states none.

- ``tests/data/earlier_gold.jsonl``: 50 invented sentences (set "first") and 15 more (set "second") of a case summary or a rationale that state (or do
  not state) how many visits of the requested treatment were had before; the reading is
  the item's ``prior_visits`` (:func:`nlp_pipeline.facts.derive.earlier_amount`; null when none is read).
- ``tests/data/requested_gold.jsonl``: 25 invented case-summary sentences (set "first") and 15 more (set "second") that state (or do not state) how
  much of the treatment is requested, for a title without an amount; the reading is the item's requested
  count (as ``scripts/eval_extraction.py`` reads it).

Each set was written before its first run; figures are printed per set (a set the rules were then mended
on is a development set from then on). Each row becomes a one-item request (``nlp_pipeline.io.requests``)
read by the extraction pipeline. Prints how many are right and every miss.

    python scripts/eval_amounts.py [--quiet]
"""
from __future__ import annotations

import sys
from pathlib import Path

from nlp_pipeline.model.gold.common import load_gold, one_item_facts, quiet_arguments
from nlp_pipeline.model.gold.extraction import predicted_count

# the checkout this package runs from (an editable install): the gold files and the shared letters are
# named relative to it by default; pass their paths where the package is installed from a wheel
CHECKOUT = Path(__file__).resolve().parents[3]
GOLD = {"earlier": CHECKOUT / "tests" / "data" / "earlier_gold.jsonl",
        "requested": CHECKOUT / "tests" / "data" / "requested_gold.jsonl"}


def _facts(row: dict):
    item = {"request": row["title"], **({"rationale": row["rationale"]} if row.get("rationale") else {})}
    return one_item_facts(row["summary"], item)


def read_earlier(gold: list[dict]) -> list[int | None]:
    """The earlier amount the pipeline reads for each row."""
    return [_facts(row).prior_visits for row in gold]


def read_requested(gold: list[dict]) -> list[int | str | None]:
    """The requested count the pipeline reads for each row."""
    return [predicted_count(_facts(row).requested) for row in gold]


READERS = {"earlier": read_earlier, "requested": read_requested}


def main(argv: list[str] | None = None) -> int:
    """Print how many rows of each set are read right, and the misses."""
    args = quiet_arguments(argv, __doc__)
    for field, path in GOLD.items():
        gold = load_gold(path)
        found = READERS[field](gold)
        for name in dict.fromkeys(g.get("set", "first") for g in gold):
            rows = [(g, f) for g, f in zip(gold, found) if g.get("set", "first") == name]
            right = sum(g[field] == f for g, f in rows)
            stated = [(g, f) for g, f in rows if g[field] is not None]
            print(f"{name:6s} {field} amount {right}/{len(rows)} right ({right / len(rows):.3f}); "
                  f"stated: {sum(g[field] == f for g, f in stated)}/{len(stated)}; "
                  f"none stated: {sum(f is None for g, f in rows if g[field] is None)}/{len(rows) - len(stated)}")
        if not args.quiet:
            for g, f in zip(gold, found):
                if g[field] != f:
                    text = " | ".join(filter(None, (g["summary"], g.get("rationale"))))
                    print(f"  gold {g[field]}, read {f}: {g['title']!r}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
