"""``imr train LETTERS_DIR... --mode draft|facts --out models/NAME``: retrain and evaluate honestly."""
from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    """Register ``imr train``."""
    parser = subparsers.add_parser("train", help="train a model on folders of letters (labels from the letters)")
    add_arguments(parser)
    parser.set_defaults(run=run, parser=parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``imr train`` and ``train.py``."""
    parser.add_argument("paths", nargs="+", metavar="LETTERS",
                        help="folders or files of letters (.pdf .docx .txt .json), or CSV/JSONL tables: whole letters "
                             "in a text column, or one labelled item per row (case_number, case_summary, request, "
                             "claims_administrator_guideline, maximus_guideline, rationale, decision)")
    parser.add_argument("--mode", choices=("draft", "facts"), default="draft")
    parser.add_argument("--out", metavar="DIR", help="model folder to write (default models/MODE)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--C", type=float, default=None, help="inverse regularization strength")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples for the CIs")
    parser.add_argument("--cv-repeats", type=int, default=5, metavar="N",
                        help="repeat the grouped cross-validation with N fold assignments (1: once)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Train, print the evaluation report, and write the model folder."""
    from nlp_pipeline.model.files import MODELS_DIR
    from nlp_pipeline.model.training import report_markdown, train

    out = args.out or str(MODELS_DIR / args.mode)
    try:
        report = train(args.paths, args.mode, out, seed=args.seed, C=args.C, reps=args.bootstrap,
                       repeats=args.cv_repeats,
                       progress=False if args.quiet else None, log=lambda m: print(m, file=sys.stderr))
    except ValueError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return 1
    print(report_markdown(report))
    print(f"model written to {out}", file=sys.stderr)
    return 0
