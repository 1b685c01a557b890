"""``imr predict PATH...``: per item, the likely outcome, its probability and the evidence behind it."""
from __future__ import annotations

import argparse
import contextlib
import functools
import re
import sys
from collections import Counter
from pathlib import Path

from nlp_pipeline.io.batch import atomic_writer, long_lived, run_batch
from nlp_pipeline.model.uncertainty import split_statement
from nlp_pipeline.app.commands._common import (
    NORMAL, add_batch_arguments, add_model_arguments, check_batch_arguments, dump_json_lines, error_record,
    errors_in_table, input_files, report, resolve_mode, subcommand,
)
from nlp_pipeline.errors import DISK_FULL, LetterError, ModelError
from nlp_pipeline.explain.labels import change_text
from nlp_pipeline.explain.qa import short_flag
from nlp_pipeline.app.render import (
    balance_text, disagreement, flag_words, index_page, page, predictions_html, rationale_states_text,
    smallest_flip_text, what_if_reads,
)

_MODEL = None  # one loaded model per process (set by _load)
_LOADED = None  # the (model, mode) _MODEL was loaded from
_LOAD_ERROR: str | None = None  # why a worker process could not load it (its records say so)
_PAGE_NAMES: dict[str, str] = {}  # --format html: the page file name of each letter of the batch


CSV_COLUMNS = ("source", "case_number", "item_index", "item", "stated_decision", "predicted", "outcome_label",
               "p_overturned", "p_low", "p_high", "basis", "flags", "top_reason", "top_context",
               "rationale_states", "error")
DESCRIPTION = """\
Predict, for each disputed item of each letter, the outcome of the Independent Medical Review:
  Upheld      the utilization review denial stands (the treatment stays denied)
  Overturned  the denial is reversed (the treatment is found medically necessary)
with the probability of Overturned, the passages of the letter that weigh for and against, and
the reasons in words.

A letter's stated decisions are never read to make the prediction; they are compared with it.
In draft mode two flags call for a second look:
  CONTRADICTION  the stated decision contradicts the rationale's own conclusion
  QUESTION       the rationale's reasoning leans the other way from its conclusion

Formats (--format):
  table  a readable summary of each item (the default)
  jsonl  one JSON object per item with every field, for programs
  csv    one row per item, for a spreadsheet, with the columns
           """ + ", ".join(CSV_COLUMNS[:6]) + """,
           """ + ", ".join(CSV_COLUMNS[6:]) + """
         item_index counts from 0, as in the JSON; flags holds CONTRADICTION, QUESTION or
         (facts mode) DIFFERS FROM STATED; rationale_states (draft mode) names the guideline conditions
         the rationale states met or not met; a letter that could not be read is one row that
         gives the reason in the error column. The file is UTF-8 with a byte-order mark, so
         that Excel shows accented letters right.
  html   one page per letter and index.html, the QA overview: every item of the batch,
         contradictions first, sortable and filterable, linked to its letter's page, in
         --html-dir (open it from disk: no server, no network); the screen only says where
         they went (with --output, FILE gets the JSON lines)
"""

EXAMPLES = """\
  imr predict letter.pdf
      each item of one letter, on the screen
  imr predict letters/ --format csv -o predictions.csv
      every letter in a folder (and its subfolders) into a spreadsheet
  imr predict letters/ --format html --html-dir pages
      one page per letter, and pages/index.html listing every item
  imr predict request.json --mode facts
      a request before review: only the case summary, the request and the denial are read
  imr predict letters/ --format jsonl -o predictions.jsonl --resume
      continue a long run that was interrupted
"""


def add_parser(subparsers) -> None:
    """Register ``imr predict``."""
    parser = subcommand(subparsers, "predict", "predict Upheld or Overturned for each item, with the reasons",
                        DESCRIPTION, EXAMPLES)
    add_batch_arguments(parser)
    add_model_arguments(parser)
    parser.add_argument("--format", choices=("table", "jsonl", "csv", "html"), default="table",
                        help="how to write the predictions: table, jsonl, csv or html (see Formats above; "
                             "default: table)")
    parser.add_argument("--what-if", action="store_true",
                        help="also show, per item, edits to the letter's wording (from a fixed catalogue) and how "
                             "each would move P(Overturned), and the smallest one that flips the prediction")
    parser.add_argument("--html-dir", metavar="DIR", default="imr-html",
                        help="with --format html: the folder the pages and index.html go to (default: imr-html)")
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


def _load_in_worker(model: str | None, mode: str, page_names: dict[str, str] | None = None) -> None:
    """A worker's initializer: never raises (a pool restarts a worker whose initializer fails, forever); a
    model that will not load makes every record of the worker an error naming why. ``page_names``: the HTML page
    file name of each letter (:func:`page_names`)."""
    global _LOAD_ERROR, _PAGE_NAMES
    _PAGE_NAMES = page_names or {}
    try:
        _load(model, mode)
    except Exception as err:  # noqa: BLE001  (reported on every record instead)
        _LOAD_ERROR = f"model: {err}"


def predict_one(path: Path, html_dir: str | None = None, what_if: bool = False) -> list[dict]:
    """Records for one file: one per item, or one error record; never raises for bad input."""
    from nlp_pipeline.predict.service import predict_source

    if _MODEL is None:
        return [{"source": str(path), "error": _LOAD_ERROR or "no model loaded"}]
    try:
        letter, predictions = predict_source(_MODEL, Path(path), what_if)
        if not predictions:
            return [{"source": str(path), "error": "no items to predict"}]
        records = [p.to_dict() for p in predictions]
        if html_dir:
            page = _write_page(letter, predictions, Path(html_dir), _PAGE_NAMES.get(str(path)))
            for record in records:
                record["html"] = str(page)
        return records
    except LetterError as err:
        return [error_record(str(path), err)]
    except OSError as err:
        if err.errno in DISK_FULL:  # a full disk stops the batch (exit 3), it is not this letter's fault
            raise
        return [error_record(str(path), err)]
    except Exception as err:  # one broken letter must not stop a batch
        return [error_record(str(path), err)]


def page_names(files: list[Path]) -> dict[str, str]:
    """The HTML page file name of each letter: its file name and ``.html``; letters of one file name in different
    folders get their path as it was given instead (and a number, were that still taken)."""
    def safe(text: str) -> str:
        return re.sub(r"[^\w.-]+", "_", text).strip("_.") or "letter"

    counts = Counter(safe(path.name) for path in files)
    names, taken = {}, {"index.html"}
    for path in files:
        stem = safe(path.name) if counts[safe(path.name)] == 1 else safe(str(path))
        name, number = f"{stem}.html", 1
        while name in taken:
            number += 1
            name = f"{stem}-{number}.html"
        taken.add(name)
        names[str(path)] = name
    return names


def _write_page(letter, predictions, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = name or re.sub(r"[^\w.-]+", "_", Path(letter.source or "letter").name) + ".html"
    target = folder / name
    rate = _MODEL.usual_rate if _MODEL is not None else None
    with atomic_writer(target) as handle:
        handle.write(page(f"IMR prediction {letter.case_number or name}",
                          predictions_html(letter, predictions, rate)))
    return target


def run(args: argparse.Namespace) -> int:
    """Predict every item of every file; exit 1 when any file failed (or none was found)."""
    check_batch_arguments(args.parser, args)
    if not resolve_mode(args.parser, args):
        return 2
    files = input_files(args.paths, quiet=args.verbosity < NORMAL)
    if files is None:
        return 1
    try:
        if args.jobs > 1:  # the workers load it; here only its files are checked, so the workers start at once
            from nlp_pipeline.model.files import checked_files, checked_linear

            checked_linear(*checked_files(args.model, args.mode))
        else:
            _load(args.model, args.mode)
    except ModelError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return 2

    html_dir = Path(args.html_dir) if args.format == "html" else None
    indexed: list[dict] = []  # --format html: what the index shows of each record
    said: set[str] = set()  # --format table: the uncertainty statements printed once already
    write_csv = csv_writer()

    def write(records, stream):
        report(records, args.verbosity)
        if args.format == "table":
            errors = errors_in_table(stream)
            stream.write("".join(_table(r, said) for r in records if errors or "error" not in r))
        elif args.format == "csv":
            write_csv(records, stream)
        elif args.format == "html":
            indexed.extend({key: r.get(key) for key in INDEX_KEYS if key in r} for r in records)
            if args.output:  # the JSON lines go to FILE (and --resume reads them back); the screen stays free
                dump_json_lines(records, stream)
        else:
            dump_json_lines(records, stream)

    stats = run_batch(
        files,
        functools.partial(predict_one, html_dir=str(html_dir) if html_dir else None, what_if=args.what_if),
        write,
        output=args.output,
        resume=args.resume,
        jobs=args.jobs,
        progress=None if args.verbosity >= NORMAL else False,
        initializer=_load_in_worker,
        initargs=(args.model, args.mode, page_names(files) if html_dir else None),
        desc="predicting",
    )
    if html_dir is not None:
        from nlp_pipeline.model.files import checked_files, usual_rate_of

        index = write_index(indexed, html_dir, usual_rate_of(checked_files(args.model, args.mode)[0].parent))
        if args.verbosity >= NORMAL:
            pages = len({r["html"] for r in indexed if r.get("html")})
            print(f"imr: wrote {pages} page{'s' * (pages != 1)} and the index {index}", file=sys.stderr)
    return 1 if stats.failed else 0


# the fields of a record the HTML index shows (kept, not the whole record, while a batch runs)
INDEX_KEYS = ("source", "error", "html", "case_number", "item_index", "item", "stated_decision", "predicted",
              "outcome_label", "p_overturned", "threshold", "usual_rate", "basis", "mode", "agrees_with_stated",
              "rationale_leans", "warnings")


def write_index(records: list[dict], folder: Path, rate: float | None = None) -> Path:
    """Write ``index.html``, the QA overview of the batch, beside its pages (``rate``: the model's usual rate of
    Overturned, marked on each bar); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "index.html"
    with atomic_writer(target) as handle:
        handle.write(index_page(records, rate))
    return target


def csv_row(record: dict) -> dict:
    """One CSV row of a prediction record (or of an error record: its source and error, the rest empty)."""
    if "error" in record:
        return {"source": record.get("source"), "error": record["error"]}
    reasons = record.get("reasons") or ()
    context = record.get("context") or ()
    return {
        "source": record.get("source"), "case_number": record.get("case_number"),
        "item_index": record.get("item_index"), "item": _one_line(record.get("item")),
        "stated_decision": record.get("stated_decision"), "predicted": record.get("predicted"),
        "outcome_label": record.get("outcome_label") or record.get("predicted"),
        "p_overturned": record.get("p_overturned"),
        "p_low": (record.get("p_interval") or (None, None))[0], "p_high": (record.get("p_interval") or (None, None))[1],
        "basis": record.get("basis"),
        "flags": "; ".join(flag_words(record)), "top_reason": _one_line(reasons[0]) if reasons else "",
        "top_context": _one_line(context[0]) if context else "",
        "rationale_states": rationale_states_text(record.get("rationale_conditions")),
    }


def csv_writer():
    """A ``write(records, stream)`` for one batch: its first call starts the stream with the byte-order mark and
    the header, every call appends the records' rows."""
    import csv

    started = []

    def write(records: list[dict], stream) -> None:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        if stream not in started:
            started.append(stream)
            if stream is sys.stdout and (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8":
                with contextlib.suppress(AttributeError, ValueError):
                    stream.reconfigure(encoding="utf-8")
            stream.write("\ufeff")  # UTF-8 with a BOM: Excel then reads the file as UTF-8
            writer.writeheader()
        writer.writerows(csv_row(r) for r in records)

    return write


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _table(record: dict, said: set[str] | None = None) -> str:
    """One item's block of the table (an error record: one line). The uncertainty statement's part about the mode
    is printed under the first item that carries it (``said`` remembers it), its part about the item's category
    under every item it concerns."""
    if "error" in record:
        return f"{record['source']}: ERROR {record['error']}\n"
    mode = record.get("mode", "draft")
    cut = f"cut {record['threshold']:.3f}: Overturned from the cut up"
    if mode == "facts":
        differs = f"  {disagreement()} stated {record.get('stated_decision')}"
        flag = {None: "", True: "  agrees", False: differs}[record["agrees_with_stated"]]
        how = f"({cut})"
    else:
        flag = short_flag(record.get("agrees_with_stated"), record.get("rationale_leans"))
        flag = f"  {flag}" if flag else ""
        how = (f"by its verdict (rationale model {record['p_rationale']:.3f})" if record.get("basis") == "verdict"
               else f"by the rationale model ({cut}; no verdict in the rationale)")
    label = record.get("outcome_label") or record["predicted"]
    interval = record.get("p_interval")
    spread = f" (refits {interval[0]:.3f}-{interval[1]:.3f})" if interval else ""
    lines = [f"{record['source']} [{record['item_index']}] {record['item'][:70]}\n"
             f"    {label}\n"
             f"    P(Overturned)={record['p_overturned']:.3f}{spread} {how}{flag}\n"]
    if record.get("uncertainty"):
        general, category = split_statement(record["uncertainty"])
        shown = " ".join(part for part in (general if said is None or general not in said else "", category)
                         if part)
        if said is not None:
            said.add(general)
        if shown:
            lines.append(f"    {shown}\n")
    if record.get("qa"):
        lines.append(f"    ! {record['qa']}\n")
    stated = rationale_states_text(record.get("rationale_conditions"))
    if stated:
        lines.append(f"    rationale states: {stated}\n")
    balance = balance_text(record)
    if balance:
        lines.append(f"    {balance}\n")
    lines += [f"    - {reason}\n" for reason in record["reasons"][:4]]
    lines += [f"    - {reason}\n" for reason in (record.get("context") or ())[:1]]
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
        lines.append(f"      {change_text(entry['delta']):>9} -> {entry['p_overturned']:.3f}{flip}  {entry['change'][:90]}\n")
    lines.append(f"      {smallest_flip_text(record['smallest_flip'], record['what_if_pairs'])}\n")
    return "".join(lines)
