"""``imr parse PATH...``: letters into structured JSON (one object per letter) or a table."""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

from nlp_pipeline.io.batch import run_batch
from nlp_pipeline.app.commands._common import (
    NORMAL, add_batch_arguments, check_batch_arguments, dump_json_lines, error_record, errors_in_table, input_files,
    report, subcommand,
)
from nlp_pipeline.errors import LetterError
from nlp_pipeline.letter.parse import load_letter


def add_parser(subparsers) -> None:
    """Register ``imr parse``."""
    parser = subcommand(subparsers, "parse", "read letters into their parts: case, items, stated decisions",
                        DESCRIPTION, EXAMPLES)
    add_batch_arguments(parser)
    parser.add_argument("--format", choices=("table", "jsonl"), default="table",
                        help="table: per letter its case number, dates and each item with its stated decision (the "
                             "default); jsonl: one JSON object per letter with every part and where it is in the text")
    parser.add_argument("--entities", action="store_true",
                        help="also list what was found in each part (treatments, amounts, dates, guidelines, "
                             "findings) and count, on stderr, the items whose treatment or amount was not understood")
    parser.add_argument("--text", action="store_true", help="with --format jsonl: include the letter's whole text")
    parser.set_defaults(run=run, parser=parser)


DESCRIPTION = """\
Read IMR determination letters into their parts: the case number and dates, the clinical case
summary, and each disputed item with its stated decision (Upheld: the utilization review denial
stands; Overturned: it is reversed), its guidelines and its rationale. Nothing is predicted.
"""

EXAMPLES = """\
  imr parse letter.pdf
      the items of one letter and their stated decisions
  imr parse letters/ --format jsonl -o letters.jsonl
      every letter in a folder, one JSON object per letter, into a file
  imr parse letters/ --entities --format jsonl
      with what was found in each part
"""


def letter_record(letter, entities: bool = False, include_text: bool = False) -> dict:
    """The JSON object for one parsed letter."""
    record = letter.to_dict(include_text=include_text)
    if entities:
        from nlp_pipeline.facts.extract import entities_to_dict, extract_letter

        extra = entities_to_dict(letter, extract_letter(letter))
        record["summary_entities"] = extra.get("summary_entities", [])
        for item, item_extra in zip(record["items"], extra.get("items", [])):  # the facts' warnings come last
            item["entities"] = item_extra.get("entities", [])
            for key, value in item_extra.items():
                item.setdefault(key, value)
    return record


def parse_one(path: Path, entities: bool = False, include_text: bool = False) -> list[dict]:
    """Parse one file into its record, or an error record; never raises for bad input."""
    try:
        return [letter_record(load_letter(path), entities, include_text)]
    except LetterError as err:
        return [error_record(str(path), err)]
    except Exception as err:  # a parser bug must not stop a batch of thousands
        return [error_record(str(path), err)]


def run(args: argparse.Namespace) -> int:
    """Parse every file; one JSON object (or table block) per file; 1 when any file failed (or none was found)."""
    check_batch_arguments(args.parser, args)
    files = input_files(args.paths, quiet=args.verbosity < NORMAL)
    if files is None:
        return 1

    def write(records, stream):
        report(records, args.verbosity)
        if args.format == "jsonl":
            dump_json_lines(records, stream)
        else:
            errors = errors_in_table(stream)
            stream.write("".join(_table(r) for r in records if errors or "error" not in r))

    from nlp_pipeline.facts.derive import AMOUNT_NOT_READ, NO_CATEGORY

    unread = {"items": 0, "no category": 0, "amount not read": 0}

    def count_and_write(records, stream):
        for record in records:
            for item in record.get("items", []) if args.entities else ():
                unread["items"] += 1
                unread["no category"] += NO_CATEGORY in item.get("warnings", [])
                unread["amount not read"] += AMOUNT_NOT_READ in item.get("warnings", [])
        write(records, stream)

    stats = run_batch(
        files,
        functools.partial(parse_one, entities=args.entities, include_text=args.text),
        count_and_write,
        output=args.output,
        resume=args.resume,
        jobs=args.jobs,
        progress=None if args.verbosity >= NORMAL else False,
        desc="reading",
    )
    if args.entities:
        import sys

        print(f"not understood: {unread['no category']} of {unread['items']} items without a treatment category, "
              f"{unread['amount not read']} with an amount in the title that was not read", file=sys.stderr)
    return 1 if stats.failed else 0


def _table(record: dict) -> str:
    if "error" in record:
        return f"{record['source']}\n  ERROR: {record['error']}\n\n"
    head = (
        f"{record['source']}  case {record.get('case_number') or '-'}  "
        f"injury {record.get('date_of_injury') or '-'}  decision {record.get('decision_date') or '-'}\n"
    )
    lines = [head]
    for item in record["items"]:
        decision = item["stated_decision"] or "(no decision)"
        lines.append(f"  [{item['index']}] {decision:<13} {item['title'][:100]}\n")
    for item in record["items"]:
        for warning in item.get("warnings", []):
            lines.append(f"  [{item['index']}] warning: {warning}\n")
    for warning in record.get("warnings", []):
        lines.append(f"  warning: {warning}\n")
    return "".join(lines) + "\n"
