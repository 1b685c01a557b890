"""``imr predict PATH...``: per item, the likely outcome, its probability and the evidence behind it."""
from __future__ import annotations

import argparse
import functools
import re
from pathlib import Path

from nlp_pipeline.io.batch import atomic_writer, iter_letter_paths, long_lived, run_batch
from nlp_pipeline.app.commands._common import (
    NORMAL, add_batch_arguments, check_batch_arguments, dump_json_lines, error_record, report,
)
from nlp_pipeline.errors import LetterError, ModelError
from nlp_pipeline.explain.qa import short_flag
from nlp_pipeline.app.render import balance_text, disagreement, page, predictions_html, smallest_flip_text, what_if_reads

_MODEL = None  # one loaded model per process (set by _load)
_LOADED = None  # the (model, mode) _MODEL was loaded from
_LOAD_ERROR: str | None = None  # why a worker process could not load it (its records say so)


def add_parser(subparsers) -> None:
    """Register ``imr predict``."""
    parser = subparsers.add_parser("predict", help="predict Upheld / Overturned per item, with explanations")
    add_batch_arguments(parser)
    parser.add_argument("--mode", choices=("draft", "facts"), default="draft",
                        help="draft: the whole letter but its decisions; facts: only what is known before review")
    parser.add_argument("--model", metavar="DIR", help="model folder (default: the shipped models/MODE)")
    parser.add_argument("--format", choices=("table", "jsonl", "html"), default="table")
    parser.add_argument("--what-if", action="store_true",
                        help="per item, the catalogue's edits to the letter text and how each moves P(Overturned), "
                             "and the smallest one that flips the prediction (nlp_pipeline/data/what_if.jsonl)")
    parser.add_argument("--html-dir", metavar="DIR", default="imr-html",
                        help="with --format html: where the pages go (one per letter)")
    parser.set_defaults(run=run, parser=parser)


def _load(model: str | None, mode: str) -> None:
    """Load the model and build the pipeline once per process (with one job ``run`` has loaded them already)."""
    global _MODEL, _LOADED

    if _MODEL is None or _LOADED != (model, mode):
        with long_lived():
            from nlp_pipeline.predict.outcome import load_model
            from nlp_pipeline.extraction.pipeline import build_nlp

            _MODEL, _LOADED = load_model(model, mode), (model, mode)
            build_nlp()


def _load_in_worker(model: str | None, mode: str) -> None:
    """A worker's initializer: never raises (a pool restarts a worker whose initializer fails, forever); a
    model that will not load makes every record of the worker an error naming why."""
    global _LOAD_ERROR
    try:
        _load(model, mode)
    except Exception as err:  # noqa: BLE001  (reported on every record instead)
        _LOAD_ERROR = f"model: {err}"


def predict_one(path: Path, html_dir: str | None = None, what_if: bool = False) -> list[dict]:
    """Records for one file: one per item, or one error record; never raises for bad input."""
    from nlp_pipeline.letter.parse import load_letter

    if _MODEL is None:
        return [{"source": str(path), "error": _LOAD_ERROR or "no model loaded"}]
    try:
        letter = load_letter(path)
        docs = {} if what_if else None  # the parts read, kept for the what-if edits' re-reading
        predictions = _MODEL.predict_letter(letter, docs=docs)
        if not predictions:
            return [{"source": str(path), "error": "no items to predict"}]
        if what_if:
            from nlp_pipeline.predict.what_if import with_what_if

            predictions = with_what_if(_MODEL, letter, predictions, docs)
        records = [p.to_dict() for p in predictions]
        if html_dir:
            page = _write_page(letter, predictions, Path(html_dir))
            for record in records:
                record["html"] = str(page)
        return records
    except LetterError as err:
        return [error_record(str(path), err)]
    except Exception as err:  # one broken letter must not stop a batch
        return [error_record(str(path), err)]


def _write_page(letter, predictions, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", Path(letter.source or "letter").name) + ".html"
    target = folder / name
    with atomic_writer(target) as handle:
        handle.write(page(f"IMR prediction {letter.case_number or name}", predictions_html(letter, predictions)))
    return target


def run(args: argparse.Namespace) -> int:
    """Predict every item of every file; exit 1 when any file failed."""
    import sys

    check_batch_arguments(args.parser, args)
    try:
        if args.jobs > 1:  # the workers load it; here only its files are checked, so the workers start at once
            from nlp_pipeline.model.files import checked_files, checked_linear

            checked_linear(*checked_files(args.model, args.mode))
        else:
            _load(args.model, args.mode)
    except ModelError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return 2

    def write(records, stream):
        report(records, args.verbosity)
        if args.format == "table":
            stream.write("".join(_table(r) for r in records))
        else:
            dump_json_lines(records, stream)

    stats = run_batch(
        iter_letter_paths(args.paths),
        functools.partial(predict_one, html_dir=args.html_dir if args.format == "html" else None,
                          what_if=args.what_if),
        write,
        output=args.output,
        resume=args.resume,
        jobs=args.jobs,
        progress=None if args.verbosity >= NORMAL else False,
        initializer=_load_in_worker,
        initargs=(args.model, args.mode),
    )
    return 1 if stats.failed else 0


def _table(record: dict) -> str:
    if "error" in record:
        return f"{record['source']}: ERROR {record['error']}\n"
    mode = record.get("mode", "draft")
    if mode == "facts":
        differs = f"  {disagreement()} stated {record.get('stated_decision')}"
        flag = {None: "", True: "  agrees", False: differs}[record["agrees_with_stated"]]
        how = f"(cut {record['threshold']:.3f})"
    else:
        flag = short_flag(record.get("agrees_with_stated"), record.get("rationale_leans"))
        flag = f"  {flag}" if flag else ""
        how = (f"by its verdict (rationale model {record['p_rationale']:.3f})" if record.get("basis") == "verdict"
               else f"by the rationale model (cut {record['threshold']:.3f}; no verdict in the rationale)")
    lines = [f"{record['source']} [{record['item_index']}] {record['item'][:70]}\n"
             f"    {record['predicted']:<10} P(Overturned)={record['p_overturned']:.3f} {how}{flag}\n"]
    if record.get("qa"):
        lines.append(f"    ! {record['qa']}\n")
    balance = balance_text(record)
    if balance:
        lines.append(f"    {balance}\n")
    lines += [f"    - {reason}\n" for reason in record["reasons"][:4]]
    for warning in record.get("warnings") or ():
        lines.append(f"    warning: {warning}\n")
    if "what_if" in record:
        lines.append(_what_if_lines(record))
    return "".join(lines)


def _what_if_lines(record: dict) -> str:
    """The top three edits of an item's what-if report, and the smallest that flips it."""
    reads = what_if_reads(record["what_if_reads"])
    if not record["what_if"]:
        return f"    what if ({reads}): no edit in the catalogue applies\n"
    lines = [f"    what if ({reads}):\n"]
    for entry in record["what_if"][:3]:
        flip = "  flips" if entry["flips"] else ""
        lines.append(f"      {entry['delta']:+.3f} -> {entry['p_overturned']:.3f}{flip}  {entry['change'][:90]}\n")
    lines.append(f"      {smallest_flip_text(record['smallest_flip'], record['what_if_pairs'])}\n")
    return "".join(lines)
