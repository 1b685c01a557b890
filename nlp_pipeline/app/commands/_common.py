"""Pieces shared by the batch subcommands: arguments, error records, stderr reporting."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from nlp_pipeline.errors import LetterError

QUIET, NORMAL, VERBOSE = 0, 1, 2


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """Add PATH..., --output, --resume, --jobs and --quiet/--verbose to a batch subcommand."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="letter files (.pdf .docx .txt) or folders")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the result to FILE atomically")
    parser.add_argument("--resume", action="store_true", help="skip letters already in --output (or its journal)")
    parser.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N", help="processes to use")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("--quiet", "-q", dest="verbosity", action="store_const", const=QUIET,
                          help="no progress bar, no warnings on stderr (errors are still reported)")
    loudness.add_argument("--verbose", "-v", dest="verbosity", action="store_const", const=VERBOSE,
                          help="report every file on stderr")
    parser.set_defaults(verbosity=NORMAL)


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def check_batch_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors that argparse cannot see on its own."""
    if args.resume and not args.output:
        parser.error("--resume needs --output FILE")


def error_record(source: str, error: Exception) -> dict[str, Any]:
    """The record written for a file that failed: the reason for a LetterError, else the type too."""
    if isinstance(error, LetterError):
        return {"source": source, "error": error.reason}
    return {"source": source, "error": f"unexpected {type(error).__name__}: {error}"}


def report(records: list[dict[str, Any]], verbosity: int) -> None:
    """Tell stderr about the errors (always), warnings (unless quiet) and files (when verbose)."""
    seen = set()
    for record in records:
        source = record.get("source")
        if "error" in record:
            print(f"imr: error: {source}: {record['error']}", file=sys.stderr)
            continue
        if verbosity >= NORMAL:
            for warning in record.get("warnings", []):
                if (source, warning) not in seen:
                    seen.add((source, warning))
                    print(f"imr: warning: {source}: {warning}", file=sys.stderr)
        if verbosity >= VERBOSE and source not in seen:
            seen.add(source)
            print(f"imr: done: {source}", file=sys.stderr)


def dump_json_lines(records: list[dict[str, Any]], stream: TextIO) -> None:
    """Write each record as one JSON line."""
    stream.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
