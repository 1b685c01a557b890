"""``imr show LETTER [--html OUT]``: one letter's extracted facts as a highlighted HTML page or a text summary."""
from __future__ import annotations

import argparse
import sys

from nlp_pipeline.io.batch import atomic_writer
from nlp_pipeline.errors import LetterError
from nlp_pipeline.letter.parse import load_letter


DESCRIPTION = """\
Show what imr read in one letter, to check it: per item its stated decision, whether an amount
was allowed, and what was found (treatments, amounts, dates, guidelines, findings). Nothing is
predicted (that is imr predict).
"""

EXAMPLES = """\
  imr show letter.pdf
      a text summary on the screen
  imr show letter.pdf --html letter.html
      a page with the letter's text, what was found highlighted
"""


def add_parser(subparsers) -> None:
    """Register ``imr show``."""
    from nlp_pipeline.app.commands._common import subcommand

    parser = subcommand(subparsers, "show", "show what was read in one letter (text, or a highlighted HTML page)",
                        DESCRIPTION, EXAMPLES)
    parser.add_argument("letter", metavar="LETTER",
                        help="one letter file (.pdf, .docx, .txt; .json for a request before review)")
    parser.add_argument("--html", metavar="OUT",
                        help="write a page to OUT that opens in any browser, with what was found highlighted in the "
                             "letter's text, instead of a text summary on the screen")
    parser.set_defaults(run=run, parser=parser)


def text_summary(letter, facts) -> str:
    """A short plain-text listing of the entities of the summary and of each item."""
    lines = [f"{letter.source}  case {letter.case_number or '-'}"]
    lines.append(f"  summary: {_entity_list(facts.summary_entities)}")
    for item, item_facts in zip(letter.items, facts.items):
        lines.append(f"  [{item.index}] {item.stated_decision or '(no decision)':<13} {item.title[:100]}")
        allowance = item_facts.allowance.status if item_facts.allowance else "unknown"
        lines.append(f"      allowance: {allowance}")
        lines.append(f"      entities: {_entity_list(item_facts.entities)}")
    return "\n".join(lines) + "\n"


def _entity_list(entities) -> str:
    return "; ".join(f"{e.label}={' '.join(e.text.split())!r}" for e in entities) or "(none)"


def run(args: argparse.Namespace) -> int:
    """Show one letter; 1 (with a message on stderr) when it cannot be read or parsed."""
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.app.render import letter_facts_html, page

    try:
        letter = load_letter(args.letter)
    except LetterError as err:
        print(f"imr: error: {args.letter}: {err.reason}", file=sys.stderr)
        return 1
    facts = extract_letter(letter)
    if not args.html:
        sys.stdout.write(text_summary(letter, facts))
        return 0
    html = page(f"IMR {letter.case_number or letter.source}", letter_facts_html(letter, facts))
    try:
        with atomic_writer(args.html) as handle:
            handle.write(html)
    except OSError as err:
        print(f"imr: error: {args.html}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0
