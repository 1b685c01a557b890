"""What the gold-set readers (``extraction``, ``stance``, ``titles``, ``amounts``; their scripts are
``scripts/eval_*.py``) share: reading a gold file, their command line, each letter a gold file names read and
extracted once, and an invented request read as a one-item letter."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from nlp_pipeline.letter.parse import load_letter
from nlp_pipeline.extraction.pipeline import build_nlp
from nlp_pipeline.facts.extract import extract_letter

# the checkout this package runs from (an editable install): the gold files and the shared letters are
# named relative to it by default; pass their paths where the package is installed from a wheel
CHECKOUT = Path(__file__).resolve().parents[3]
DEFAULT_LETTERS = CHECKOUT / ".." / "shared" / "data" / "letters"


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """The gold records, one per non-empty line."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def gold_arguments(argv: list[str] | None, description: str, default_gold: Path) -> argparse.Namespace:
    """``--letters DIR --gold FILE --quiet``, parsed."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", default=str(DEFAULT_LETTERS), help="folder of the letter PDFs")
    parser.add_argument("--gold", default=str(default_gold), help="gold JSONL file")
    parser.add_argument("--quiet", action="store_true", help="do not list the mismatches")
    return parser.parse_args(argv)


def quiet_arguments(argv: list[str] | None, description: str) -> argparse.Namespace:
    """``--quiet``, parsed (the invented-set scripts take nothing else)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="do not list the misses")
    return parser.parse_args(argv)


def one_item_facts(summary: str, item: dict[str, Any]) -> Any:
    """The extracted facts of an invented one-item request (``item``: ``request`` and optionally
    ``rationale``, see :mod:`nlp_pipeline.io.requests`), read as the pipeline reads a letter."""
    from nlp_pipeline.io.requests import request_text
    from nlp_pipeline.letter.parse import parse_letter

    letter = parse_letter(request_text({"case_summary": summary, "items": [item]}))
    return extract_letter(letter).items[0]


def study_only(records: list[Any], file_of) -> tuple[list[Any], int]:
    """The records of study letters, and how many belong to sealed ones: a sealed letter's text is never shown
    (``nlp_pipeline.model.sealed``), so its mismatches are only counted. ``file_of``: a record's letter file name."""
    from nlp_pipeline.model.sealed import is_sealed

    shown = [r for r in records if not is_sealed(None, file_of(r))]
    return shown, len(records) - len(shown)


def extracted_letters(gold: list[dict[str, Any]], letters_dir: Path) -> dict[str, tuple[Any, Any]]:
    """File name → (Letter, LetterFacts) for every letter the gold records name, each read once."""
    nlp, out = build_nlp(), {}
    for name in dict.fromkeys(record["file"] for record in gold):
        letter = load_letter(letters_dir / name)
        out[name] = (letter, extract_letter(letter, nlp))
    return out


MODELS = CHECKOUT / "models"


def add_output_arguments(parser: argparse.ArgumentParser, file_name: str) -> None:
    """``--json`` and ``--write`` (to ``models/FILE_NAME``)."""
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--write", action="store_true", help=f"save the figures to models/{file_name}")


def publish(figures: dict[str, Any], args: argparse.Namespace, file_name: str) -> bool:
    """Save ``figures`` with ``--write``; print them with ``--json`` and return True (nothing else to print)."""
    if args.write:
        (MODELS / file_name).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(figures, indent=2))
    return args.json
