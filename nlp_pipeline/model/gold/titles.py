"""Treatment category and requested count of invented request titles, each read as a one-item request.

``tests/data/title_gold.jsonl``: 64 titles of the kinds the unseen letters showed missing (drugs known only
by their shape, supports and pads, transportation, initial exams and transfers of care, home care, counts
after the noun, "QTY: n", "x n", "n units", ranges, frequencies in words), written before they were first
run (set "first", since used to build the rules: a development set), 47 more of every category (set
"second") and 69 more of the forms real titles take ("Retrospective request for", "Six (6) sessions", "2x6",
number words, unknown drugs by their shape, devices, visits, transport; set "third"), each written later, also
before its first run. Set "fourth" (17 titles named only by their head word: "Speech therapy", "Wound care
supplies", "Stellate ganglion block") was written after a probe of such titles showed many read no category at
all: a development set from the start. Figures are printed per set. Each becomes a before-review request (``nlp_pipeline.io.requests``) and is read by the extraction
pipeline; prints category and count accuracy and every miss.

    python scripts/eval_titles.py [--quiet]
"""
from __future__ import annotations

import sys
from pathlib import Path

from nlp_pipeline.model.gold.common import load_gold, one_item_facts, quiet_arguments
from nlp_pipeline.model.gold.extraction import predicted_count

# the checkout this package runs from (an editable install): the gold files and the shared letters are
# named relative to it by default; pass their paths where the package is installed from a wheel
CHECKOUT = Path(__file__).resolve().parents[3]
GOLD = CHECKOUT / "tests" / "data" / "title_gold.jsonl"


def read_titles(gold: list[dict]) -> list[dict]:
    """``{"category", "count"}`` as the pipeline reads each title."""
    out = []
    for row in gold:
        facts = one_item_facts("The injured worker has chronic pain.", {"request": row["title"]})
        out.append({"category": facts.treatment.category if facts.treatment else None,
                    "count": predicted_count(facts.requested)})
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the accuracy of each field and the misses."""
    args = quiet_arguments(argv, __doc__)
    gold = load_gold(GOLD)
    found = read_titles(gold)
    for name in dict.fromkeys(g.get("set", "first") for g in gold):
        rows = [(g, f) for g, f in zip(gold, found) if g.get("set", "first") == name]
        for field in ("category", "count"):
            right = sum(g[field] == f[field] for g, f in rows)
            print(f"{name:6s} {field:8s} {right}/{len(rows)} right ({right / len(rows):.3f})")
    if not args.quiet:
        for g, f in zip(gold, found):
            if (g["category"], g["count"]) != (f["category"], f["count"]):
                print(f"  {g['title']!r}: gold {g['category']}/{g['count']}, read {f['category']}/{f['count']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
