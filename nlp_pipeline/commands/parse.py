"""``imr parse PATH...``: letters into structured JSON (one object per letter) or a table."""
from __future__ import annotations

import argparse

from nlp_pipeline.batch import iter_letter_paths
from nlp_pipeline.commands._common import add_input_arguments, dump_json_line, error_record, output_stream
from nlp_pipeline.errors import LetterError
from nlp_pipeline.letters import load_letter


def add_parser(subparsers) -> None:
    """Register ``imr parse``."""
    parser = subparsers.add_parser("parse", help="parse letters into items (JSON lines or a table)")
    add_input_arguments(parser)
    parser.add_argument("--format", choices=("table", "jsonl"), default="table")
    parser.add_argument("--entities", action="store_true", help="add extracted spans per item and summary")
    parser.add_argument("--text", action="store_true", help="include the normalized letter text")
    parser.set_defaults(run=run)


def letter_record(letter, entities: bool = False, include_text: bool = False) -> dict:
    """The JSON object for one parsed letter."""
    record = letter.to_dict(include_text=include_text)
    if entities:
        from nlp_pipeline.pipeline import entities_to_dict, extract_letter

        extra = entities_to_dict(letter, extract_letter(letter))
        record["summary_entities"] = extra.get("summary_entities", [])
        for item, item_extra in zip(record["items"], extra.get("items", [])):
            item["entities"] = item_extra.get("entities", [])
            for key, value in item_extra.items():
                item.setdefault(key, value)
    return record


def run(args: argparse.Namespace) -> int:
    """Parse every file; one JSON object (or table block) per file; 1 when any file failed."""
    failed = 0
    with output_stream(args.output) as out:
        for path in iter_letter_paths(args.paths):
            try:
                record = letter_record(load_letter(path), args.entities, args.text)
            except LetterError as err:
                failed += 1
                record = error_record(str(path), err.reason)
            if args.format == "jsonl":
                dump_json_line(record, out)
            else:
                out.write(_table(record))
    return 1 if failed else 0


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
    for warning in record.get("warnings", []):
        lines.append(f"  warning: {warning}\n")
    return "".join(lines) + "\n"
