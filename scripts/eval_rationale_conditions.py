"""How much of a rationale the guideline knowledge base can read (issue 30, item 4, first half): the share of the
case sentences of the verdict-free rationale (the sentences applying the guideline to the case, verdict sentences
left out) in which the knowledge base's condition reader finds a condition, stated met or unmet.

For every labelled item of the shared letters: each case sentence is read by every condition of
``data/recommendations.jsonl`` (:func:`nlp_pipeline.facts.recommendations.read_condition`, the same cues and the
one negation vocabulary the case summary is read with). A sentence counts as read when some condition is
documented or contradicted in it; "by the item's entry" when that condition is one of the conditions the item's
own guideline entry sets. Aggregate counts only, study and sealed letters apart (nothing here writes a rule).

    python scripts/eval_rationale_conditions.py [--json] [--write]

``--write`` saves ``models/rationale_conditions.json``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _figures import add_output_arguments, publish  # scripts/ is on the path when a script runs

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"


def measure(paths: list[str | Path]) -> dict:
    """Case sentences, and those the condition reader reads (any condition; the item's entry's), per split."""
    from nlp_pipeline.facts.recommendations import conditions, read_condition
    from nlp_pipeline.model.sealed import is_sealed
    from nlp_pipeline.model.training import load_corpus

    corpus = load_corpus(paths, progress=False)
    names = sorted(conditions())
    out = {split: {"letters": 0, "items": 0, "case_sentences": 0, "read": 0, "read_by_entry": 0,
                   "met": 0, "unmet": 0} for split in ("study", "sealed", "all")}
    for parsed in corpus.letters:
        letter, facts = parsed.letter, parsed.facts
        split = "sealed" if is_sealed(letter.case_number, letter.source) else "study"
        for counts in (out[split], out["all"]):
            counts["letters"] += 1
        for item in letter.items:
            if item.stated_decision is None:
                continue
            item_facts = facts.items[item.index]
            own = {c.name for c in item_facts.recommendation.conditions} if item_facts.recommendation else set()
            case = [s for s in item_facts.sentences if s.value["role"] == "case" and not item_facts.in_verdict(s.start)]
            for counts in (out[split], out["all"]):
                counts["items"] += 1
                counts["case_sentences"] += len(case)
            for sentence in case:
                states = {name: read_condition(name, sentence.text).state for name in names}
                found = {name for name, state in states.items() if state != "not_mentioned"}
                for counts in (out[split], out["all"]):
                    counts["read"] += bool(found)
                    counts["read_by_entry"] += bool(found & own)
                    counts["met"] += any(states[n] == "documented" for n in found)
                    counts["unmet"] += any(states[n] == "contradicted" for n in found)
    for counts in out.values():
        total = counts["case_sentences"] or 1
        counts.update(share_read=round(counts["read"] / total, 4),
                      share_read_by_entry=round(counts["read_by_entry"] / total, 4))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the shares."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    add_output_arguments(parser, "rationale_conditions.json")
    args = parser.parse_args(argv)
    figures = measure(args.paths)
    if publish(figures, args, "rationale_conditions.json"):
        return 0
    for split, counts in figures.items():
        print(f"{split}: {counts['letters']} letters, {counts['items']} items, {counts['case_sentences']} case "
              f"sentences; read by some condition {counts['read']} ({counts['share_read']:.1%}), by a condition of "
              f"the item's own entry {counts['read_by_entry']} ({counts['share_read_by_entry']:.1%}); stated met "
              f"{counts['met']}, unmet {counts['unmet']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
