"""How much a maintained drug lexicon would add to the shape rule, on the study letters' medication titles.

Measured once before deciding whether to adopt ``drug-named-entity-recognition`` (it ships its dictionary
offline). Two steps, since the package is not a dependency: ``--dump FILE`` (in the project's environment)
writes the study letters' medication item titles with what the pipeline read, and ``--measure FILE`` (in
an environment with the package) prints how many titles the lexicon finds a drug in, overall and among
those the pipeline knows only by their shape (``name: unknown``). Sealed letters are never read.

    python scripts/measure_drug_lexicon.py --dump titles.json
    OTHER_ENV/bin/python scripts/measure_drug_lexicon.py --measure titles.json
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dump(out: Path) -> None:
    """The study letters' items the pipeline reads as medications, with the name it read."""
    from explore_families import study_paths

    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.facts.extract import extract_letter

    rows = []
    for path in study_paths():
        if path.suffix != ".pdf":
            continue
        letter = load_letter(path)
        for item, facts in zip(letter.items, extract_letter(letter).items):
            if facts.treatment and facts.treatment.category == "medication":
                rows.append({"title": " ".join(item.title.split()), "name": facts.treatment.name})
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"{len(rows)} medication titles written to {out}")


def measure(path: Path) -> None:
    """Print the lexicon's coverage of the titles."""
    from drug_named_entity_recognition import find_drugs

    rows = json.loads(path.read_text(encoding="utf-8"))
    found = [bool(find_drugs(re.findall(r"[A-Za-z][A-Za-z-]+", row["title"]), is_ignore_case=True)) for row in rows]
    shape_only = [f for f, row in zip(found, rows) if row["name"] == "unknown"]
    print(f"lexicon finds a drug in {sum(found)} of {len(rows)} medication titles ({sum(found) / len(rows):.1%}); "
          f"in {sum(shape_only)} of the {len(shape_only)} the pipeline knows only by their shape")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--dump", type=Path, metavar="FILE")
    group.add_argument("--measure", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    dump(args.dump) if args.dump else measure(args.measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
