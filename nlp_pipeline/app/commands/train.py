"""``imr train LETTERS... [--mode draft|facts] [--out DIR]``: retrain a model and evaluate it honestly."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from nlp_pipeline.app.commands._common import MODES, PATH_HELP, input_files

DESCRIPTION = """\
Train a new model on folders of finished letters: the labels are the letters' stated decisions
(Upheld: the utilization review denial stood; Overturned: it was reversed). Before the model is
fitted on every letter, the whole procedure is cross-validated by letter, so the report printed
at the end (ROC-AUC, balanced accuracy, recall and precision of Overturned, Brier score, each with
a 95% interval, beside two simpler baselines) is measured on letters each fit never saw.

The model goes to a new folder (--out, else ./imr-model-MODE-DATE-TIME), never over the models
shipped with imr; name it with --model in imr predict and imr evaluate. It needs at least 10
letters with an Overturned item and 10 with an Upheld item.
"""

EXAMPLES = """\
  imr train letters/
      a draft model in ./imr-model-draft-DATE-TIME
  imr train letters/ more-letters/ --mode facts --out facts-model
      a facts model (what is known before review) in ./facts-model
  imr train items.csv --out my-model
      from a table of labelled items (see LETTERS)
"""


def add_parser(subparsers) -> None:
    """Register ``imr train``."""
    from nlp_pipeline.app.commands._common import subcommand

    parser = subcommand(subparsers, "train", "train a new model on finished letters and report how good it is",
                        DESCRIPTION, EXAMPLES)
    add_arguments(parser)
    parser.set_defaults(run=run, parser=parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``imr train`` and ``train.py``."""
    parser.add_argument("paths", nargs="+", metavar="LETTERS",
                        help=PATH_HELP + "; or CSV/JSONL tables: whole letters in a text column, or one labelled "
                             "item per row (case_number, case_summary, request, claims_administrator_guideline, "
                             "maximus_guideline, rationale, decision)")
    parser.add_argument("--mode", choices=MODES, default="draft",
                        help="draft: a model that reads the whole letter but its decisions, for reviewers' drafts; "
                             "facts: one that reads only what is known before review (default: draft)")
    parser.add_argument("--out", metavar="DIR",
                        help="the model folder to write (default: a new folder ./imr-model-MODE-YYYYMMDD-HHMMSS; "
                             "an existing folder's model files are replaced)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random fold assignment and fitting, for a repeatable result (default: 0)")
    parser.add_argument("--C", type=float, default=None,
                        help="fix the inverse regularization strength instead of choosing it by cross-validation")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="resamples of letters for the 95%% intervals (default: 1000)")
    parser.add_argument("--cv-repeats", type=int, default=5, metavar="N",
                        help="repeat the cross-validation with N fold assignments to show how much the figures move "
                             "(default: 5; 1: once)")
    parser.add_argument("--bootstrap-models", type=int, default=None, metavar="N",
                        help="refits on resampled letters behind each facts-mode probability's interval (default: the "
                             "mode's, 50 in facts mode, none in draft mode; 0: none)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars or notes on stderr")


def default_out(mode: str, now: datetime | None = None) -> Path:
    """A new folder in the current directory for a model trained without ``--out``: ``imr-model-MODE-DATE-TIME``
    (a suffix when that name is taken), so the shipped models are never overwritten by default."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = Path(f"imr-model-{mode}-{stamp}")
    number = 1
    while folder.exists():
        number += 1
        folder = Path(f"imr-model-{mode}-{stamp}-{number}")
    return folder


def run(args: argparse.Namespace) -> int:
    """Train, print the evaluation report, and write the model folder."""
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"imr: error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if input_files(args.paths, quiet=args.quiet) is None:
        return 1
    from nlp_pipeline.model.training import report_markdown, train

    out = Path(args.out) if args.out else default_out(args.mode)
    if not args.quiet:
        print(f"imr: training a {args.mode} model; it will be written to {out}", file=sys.stderr)
    try:
        report = train(args.paths, args.mode, out, seed=args.seed, C=args.C, reps=args.bootstrap,
                       repeats=args.cv_repeats, bootstrap_models=args.bootstrap_models,
                       progress=False if args.quiet else None,
                       log=(lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr)))
    except ValueError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return 1
    print(report_markdown(report))
    print(f"model written to {out}", file=sys.stderr)
    return 0
