"""Pieces shared by the subcommands: arguments, the input files, error records, stderr reporting."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from nlp_pipeline.errors import LetterError
from nlp_pipeline.modes import MODE_NAMES
from nlp_pipeline.modes import MODES as MODE_OBJECTS

QUIET, NORMAL, VERBOSE = 0, 1, 2
# the formats --resume can continue: it reads back the JSON lines of --output
RESUMABLE_FORMATS = ("jsonl", "html")
PATH_HELP = ("letter files (.pdf, .docx, .txt; .json for a request before review) or folders of them "
             "(searched with their subfolders)")


def subcommand(subparsers, name: str, help_: str, description: str, examples: str) -> argparse.ArgumentParser:
    """A subcommand's parser: a one-line ``help`` for ``imr --help``, a description and an epilog of examples
    for ``imr NAME --help`` (printed as written)."""
    return subparsers.add_parser(name, help=help_, description=description, epilog="examples:\n" + examples,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """Add PATH..., --output, --resume, --jobs and --quiet/--verbose to a batch subcommand."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help=PATH_HELP)
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="write the result to FILE instead of the screen; FILE is replaced only when the whole "
                             "batch is done (an interrupted run leaves the previous FILE)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run: keep the letters already in --output FILE and do only the "
                             "rest (needs --output, with --format jsonl or html)")
    parser.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                        help="letters read at once, one process each (default: 1)")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("--quiet", "-q", dest="verbosity", action="store_const", const=QUIET,
                          help="no progress bar and no warnings or notes on stderr (errors are still reported)")
    loudness.add_argument("--verbose", "-v", dest="verbosity", action="store_const", const=VERBOSE,
                          help="also name every file on stderr when it is done")
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
    if args.resume and args.format not in RESUMABLE_FORMATS:
        parser.error(f"--resume reads back the JSON lines of --output, so it works with --format "
                     f"{' or '.join(RESUMABLE_FORMATS)}, not --format {args.format}")


def input_files(paths: list[str], quiet: bool = False) -> list[Path] | None:
    """The letter files of the PATH arguments, listed up front; the files skipped in folders are named on one
    line of stderr (unless ``quiet``). None, with an error on stderr, when there is no letter to read."""
    from nlp_pipeline.io.batch import find_letter_paths, skipped_summary
    from nlp_pipeline.io.reading import SUPPORTED_SUFFIXES

    found = find_letter_paths(paths)
    if found.skipped and not quiet:
        print(f"imr: {skipped_summary(found.skipped)}", file=sys.stderr)
    if not found.files:
        print(f"imr: error: no letters found in {', '.join(paths)} (letters are {' '.join(SUPPORTED_SUFFIXES)} "
              "files)", file=sys.stderr)
        return None
    return found.files


def error_record(source: str, error: Exception) -> dict[str, Any]:
    """The record written for a file that failed: the reason for a LetterError, else the type too."""
    if isinstance(error, LetterError):
        return {"source": source, "error": error.reason}
    return {"source": source, "error": f"unexpected {type(error).__name__}: {error}"}


def errors_in_table(stream: TextIO) -> bool:
    """Whether a table written to ``stream`` repeats the errors :func:`report` prints on stderr: not when both
    are one terminal (each error is read once there); yes in a file or a pipe, which must say what failed."""
    from nlp_pipeline.io.batch import same_terminal

    return not same_terminal(stream)


def report(records: list[dict[str, Any]], verbosity: int) -> None:
    """Tell stderr about the errors (always), warnings (unless quiet) and files (when verbose)."""
    seen = set()
    for record in records:
        source = record.get("source")
        if "error" in record:
            say(f"imr: error: {source}: {record['error']}")
            continue
        if verbosity >= NORMAL:
            for warning in record.get("warnings", []):
                if (source, warning) not in seen:
                    seen.add((source, warning))
                    say(f"imr: warning: {source}: {warning}")
        if verbosity >= VERBOSE and source not in seen:
            seen.add(source)
            say(f"imr: done: {source}")


def say(message: str) -> None:
    """Print a line on stderr above the progress bar (if one is shown) rather than through it."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


def dump_json_lines(records: list[dict[str, Any]], stream: TextIO) -> None:
    """Write each record as one JSON line."""
    stream.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


MODES = MODE_NAMES
MODE_HELP = "; ".join(f"{mode.name}: read {mode.help}" for mode in MODE_OBJECTS.values()) + (
    ". Default: the mode of the --model folder, else draft")
MODEL_HELP = ("a model folder written by imr train (default: the model shipped for the mode, or IMR_MODELS_DIR/MODE "
              "when that environment variable names a folder of models); the mode it was trained for is the one it "
              "predicts in")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --mode and --model (which must agree: :func:`resolve_mode`)."""
    parser.add_argument("--mode", choices=MODES, default=None, help=MODE_HELP)
    parser.add_argument("--model", metavar="DIR", help=MODEL_HELP)


def resolve_mode(parser: argparse.ArgumentParser, args: argparse.Namespace) -> bool:
    """Settle ``args.mode``: the one asked for, else the --model folder's own mode (read from its metadata.json),
    else draft. A --mode that the model folder was not trained for is a usage error (exit 2), never a silent
    switch. False, with the error on stderr, when the model folder cannot be used."""
    from nlp_pipeline.errors import ModelError
    from nlp_pipeline.model.files import checked_files

    asked = args.mode
    if args.model and not Path(args.model).exists():
        print(f"imr: error: no such model folder: {args.model}", file=sys.stderr)
        return False
    try:
        _, metadata = checked_files(args.model, asked or "draft")
    except ModelError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return False
    own = metadata.get("mode")
    if asked and own and own != asked:
        where = f"--model {args.model}" if args.model else f"the default model folder for {asked}"
        parser.error(f"--mode {asked} does not match {where}, which is a {own} model: "
                     f"leave out --mode (the model's own mode is used) or name a {asked} model")
    args.mode = asked or own or "draft"
    return True
