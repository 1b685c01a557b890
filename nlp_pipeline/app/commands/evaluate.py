"""``imr evaluate LETTERS... [--mode] [--model DIR] [--cut verdicts|last]``: score a model on labelled letters.

The letters' stated decisions are the labels; the model never sees them (predictions ignore them).
With ``--cut`` each rationale loses its verdict sentences (or its last sentence) in the letter text
before it is read, to judge the model on drafts not yet concluded.
"""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(subparsers) -> None:
    """Register ``imr evaluate``."""
    parser = subparsers.add_parser("evaluate", help="score a model against the stated decisions of labelled letters")
    parser.add_argument("paths", nargs="+", metavar="LETTERS", help="folders or files of letters with decisions")
    parser.add_argument("--mode", choices=("draft", "facts"), default="draft")
    parser.add_argument("--model", metavar="DIR", help="model folder (default: the shipped models/MODE)")
    parser.add_argument("--cut", choices=("verdicts", "last"), help="blank these rationale sentences first")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="resamples of letters for the CIs")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--include-training-letters", action="store_true",
                        help="also score letters the model was trained on (in-sample: not an honest figure)")
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Predict every letter, score the labelled items, print the result; 1 when no item was labelled."""
    from nlp_pipeline.io.batch import iter_letter_paths
    from nlp_pipeline.app.commands._common import error_record
    from nlp_pipeline.model.dataset import ParsedLetter, letter_fingerprint
    from nlp_pipeline.errors import ModelError
    from nlp_pipeline.model.evaluation import cut_letter, score_records
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.predict.outcome import load_model

    try:
        model = load_model(args.model, args.mode)
    except ModelError as err:
        print(f"imr: error: {err}", file=sys.stderr)
        return 2
    trained_on = set(model.metadata.get("training_fingerprints", []))
    records, seen_in_training = [], []
    for path in iter_letter_paths(args.paths):
        try:
            letter = load_letter(path)
            if letter_fingerprint(letter) in trained_on:
                seen_in_training.append(str(path))
                if not args.include_training_letters:
                    continue
            if args.cut:
                letter = cut_letter(ParsedLetter.of(letter), args.cut).letter
            records.extend(p.to_dict() for p in model.predict_letter(letter))
        except Exception as err:  # one broken letter must not stop the evaluation; it is counted as failed
            records.append(error_record(str(path), err))
    result = score_records(records, reps=args.bootstrap)
    result.update(mode=model.mode, model=args.model or f"models/{model.mode}", cut=args.cut,
                  training_letters_seen=len(seen_in_training), in_sample=bool(seen_in_training
                                                                             and args.include_training_letters))
    print(json.dumps(result, indent=2) if args.format == "json" else result_table(result))
    return 0 if result["items"] else 1


def result_table(result: dict) -> str:
    """The result as Markdown: one row per metric with its bootstrap interval."""
    from nlp_pipeline.model.evaluation import interval_text

    head = (f"{result['mode']} model ({result['model']}){', cut: ' + result['cut'] if result['cut'] else ''}: "
            f"{result.get('letters', 0)} letters, {result['items']} labelled items "
            f"({result.get('overturned', 0)} Overturned), {result['unlabelled_items']} unlabelled, "
            f"{len(result['failed_files'])} files failed")
    if result["training_letters_seen"]:
        head += (f"\n{result['training_letters_seen']} letters were in the model's training data: "
                 + ("scored anyway, so these figures are in-sample, not honest" if result["in_sample"]
                    else "left out (--include-training-letters scores them, in-sample)"))
    if not result["items"]:
        return head + "\nno labelled items to score"
    lines = [head, "", "| metric | value | 95% CI |", "|---|---|---|"]
    for key, value in result["metrics"].items():
        lines.append(f"| {key} | {value:.3f} | {interval_text(result['ci95'].get(key))} |")
    lines += ["", f"Brier of a constant at these items' Overturned rate: {result['base_rate_brier']:.3f}"]
    return "\n".join(lines)
