"""The treatments the study letters request most: each item's treatment as the package reads its title
(``facts.derive.requested_treatment``: category, name, drug class), counted over the study letters only.

Sealed letters (``nlp_pipeline.model.sealed``) are skipped by their file name before they are opened, so
none is read. The counts drive the coverage the guideline knowledge base (``data/recommendations.jsonl``)
must reach: ``--write`` stores the ranked list in ``tests/data/study_requested_treatments.json``, which
``tests/test_recommendations.py`` checks against the knowledge base (the list holds treatment names and
counts only, no letter text).

    python scripts/count_requested_treatments.py [--top 60] [--write]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from nlp_pipeline.types import Treatment

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / ".." / "shared" / "data" / "letters"
OUT = ROOT / "tests" / "data" / "study_requested_treatments.json"


def treatment_key(treatment: Treatment | None) -> tuple[str, str, str] | None:
    """(category, name, drug class or "") of an item's treatment; None when it has none."""
    if treatment is None:
        return None
    return treatment.category, treatment.name, treatment.drug_class or ""


def count_study_treatments(letters: Path = LETTERS) -> tuple[Counter, int, int]:
    """The study items' treatment counts, the study items without a treatment, the sealed letters skipped."""
    from nlp_pipeline.extraction.pipeline import build_nlp
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.model.sealed import is_sealed

    nlp, counts, missing, sealed = build_nlp(), Counter(), 0, 0
    for path in sorted(Path(letters).glob("*.pdf")):
        if is_sealed(None, path):  # the file name is the case number: never opened
            sealed += 1
            continue
        letter = load_letter(path)
        if is_sealed(letter.case_number, path):
            sealed += 1
            continue
        for item_facts in extract_letter(letter, nlp).items:
            key = treatment_key(item_facts.treatment)
            if key is None:
                missing += 1
            else:
                counts[key] += 1
    return counts, missing, sealed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", default=str(LETTERS))
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--write", action="store_true", help=f"store the ranked list in {OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    counts, missing, sealed = count_study_treatments(Path(args.letters))
    ranked = counts.most_common()
    for rank, ((category, name, drug_class), n) in enumerate(ranked, 1):
        mark = "" if rank <= args.top else "  (beyond the top)"
        print(f"{rank:3d} {n:3d}  {category}/{drug_class or '-'}/{name}{mark}")
    print(f"{len(ranked)} distinct treatments, {sum(counts.values())} study items with one, {missing} without; "
          f"{sealed} sealed letters skipped unread")
    if args.write:
        rows = [{"category": c, "name": n, "drug_class": d or None, "count": k} for (c, n, d), k in ranked]
        OUT.write_text(json.dumps({"top": args.top, "treatments": rows}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
