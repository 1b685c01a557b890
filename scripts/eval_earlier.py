"""Earlier amount of the requested treatment, read from invented case sentences.

``tests/data/earlier_gold.jsonl``: 50 invented sentences of a case summary or a rationale that state (or
do not state) how many visits of the requested treatment were had before, each with a request title;
written before they were first run. Each becomes a one-item request (``nlp_pipeline.case_request``) and is
read by the extraction pipeline; the earlier amount is :func:`nlp_pipeline.facts.earlier_amount` (null when
none is read). Prints how many are right and every miss.

    python scripts/eval_earlier.py [--quiet]
"""
from __future__ import annotations

import sys
from pathlib import Path

from _gold import load_gold, one_item_facts, quiet_arguments

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "earlier_gold.jsonl"


def read_earlier(gold: list[dict]) -> list[int | None]:
    """The earlier amount the pipeline reads for each row."""
    from nlp_pipeline.facts import earlier_amount

    out = []
    for row in gold:
        item = {"request": row["title"], **({"rationale": row["rationale"]} if row.get("rationale") else {})}
        out.append(earlier_amount(one_item_facts(row["summary"], item)))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print how many rows are read right, and the misses."""
    args = quiet_arguments(argv, __doc__)
    gold = load_gold(GOLD)
    found = read_earlier(gold)
    right = sum(g["earlier"] == f for g, f in zip(gold, found))
    stated = [(g, f) for g, f in zip(gold, found) if g["earlier"] is not None]
    print(f"earlier amount {right}/{len(gold)} right ({right / len(gold):.3f}); "
          f"stated: {sum(g['earlier'] == f for g, f in stated)}/{len(stated)}; "
          f"none stated: {sum(f is None for g, f in zip(gold, found) if g['earlier'] is None)}/{len(gold) - len(stated)}")
    if not args.quiet:
        for g, f in zip(gold, found):
            if g["earlier"] != f:
                text = " | ".join(filter(None, (g["summary"], g.get("rationale"))))
                print(f"  gold {g['earlier']}, read {f}: {g['title']!r}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
