"""Coverage and status agreement of the guideline knowledge base (``data/recommendations.jsonl``) on invented
request titles, each read as a one-item request by the extraction pipeline, then matched by
``nlp_pipeline.facts.recommendations``.

``tests/data/recommendation_titles_invented.jsonl``: 74 titles outside the shared letters, each with the entry
and the status expected from the guideline text, written and committed before their first run. Coverage: the
share of titles given an entry; entry agreement: the share given the expected entry; status agreement: the
share given the expected status (in the request's context). The readings are recorded in
``tests/data/recommendation_titles_readings.json``.

    python scripts/eval_recommendations.py [--quiet]
"""
from __future__ import annotations

import sys

from nlp_pipeline.model.gold.common import CHECKOUT, load_gold, one_item_facts, quiet_arguments

GOLD = CHECKOUT / "tests" / "data" / "recommendation_titles_invented.jsonl"


def read_titles(gold: list[dict]) -> list[dict]:
    """``{"entry", "status", "treatment"}`` as the package reads each title."""
    from nlp_pipeline.facts.recommendations import recommendation

    out = []
    for row in gold:
        facts = one_item_facts("The injured worker has chronic pain.", {"request": row["title"]})
        found = recommendation(facts.treatment, "", row["title"])
        out.append({"entry": found.entry if found else None, "status": found.status if found else None,
                    "treatment": facts.treatment})
    return out


def reading(gold: list[dict], found: list[dict]) -> dict:
    """Coverage, entry and status agreement, and the misses."""
    n = len(gold)
    covered = sum(f["entry"] is not None for f in found)
    entry_right = sum(g["entry"] == f["entry"] for g, f in zip(gold, found))
    status_right = sum(g["status"] == f["status"] for g, f in zip(gold, found))
    misses = [{"title": g["title"], "expected": [g["entry"], g["status"]], "read": [f["entry"], f["status"]]}
              for g, f in zip(gold, found) if (g["entry"], g["status"]) != (f["entry"], f["status"])]
    return {"titles": n, "covered": covered, "entry_right": entry_right, "status_right": status_right, "misses": misses}


def main(argv: list[str] | None = None) -> int:
    args = quiet_arguments(argv, __doc__)
    gold = load_gold(GOLD)
    result = reading(gold, read_titles(gold))
    n = result["titles"]
    print(f"coverage {result['covered']}/{n}, entry {result['entry_right']}/{n}, status {result['status_right']}/{n}")
    if not args.quiet:
        for miss in result["misses"]:
            print(f"  {miss['title']!r}: expected {miss['expected']}, read {miss['read']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
