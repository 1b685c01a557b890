"""The sealed-set check: train on the study letters, score the sealed letters, print aggregate figures only.

The shared letters are split once by a fixed hash of the case number (``nlp_pipeline.model.sealed``): two thirds
*study* letters, the only ones read while patterns and features are written, one third *sealed*. This
script runs the whole training procedure (grid search, threshold, calibration, the verdict's measured
agreement) on the study letters and predicts the sealed ones, in each mode, beside a TF-IDF + logistic
regression baseline fit on the same study letters and a constant at the study letters' Overturned rate.
It never prints a sealed letter's text, name or item: only counts and metrics.

    python scripts/eval_sealed.py [--mode draft|facts|both] [--json] [--bootstrap N] [--write]

``--write`` also saves the figures to ``models/sealed_report.json``, which the model card is generated from.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from _figures import (  # scripts/ is on the path when a script runs
    add_output_arguments,
    publish,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
METRIC_NAMES = ("roc_auc", "balanced_accuracy", "overturned_recall", "overturned_precision", "brier")


def sealed_report(mode: str, paths: list[str | Path], reps: int = 1000, seed: int = 0) -> dict:
    """Train on the study letters of ``paths`` and score the sealed ones: the evaluation report, aggregate only."""
    from nlp_pipeline.model.sealed import is_sealed
    from nlp_pipeline.model.training import (
        arrays,
        evaluate_splits,
        labelled_examples,
        load_corpus,
    )

    corpus = load_corpus(paths, progress=False)
    examples = labelled_examples(corpus, mode)
    sealed_letters = {p.letter.source for p in corpus.letters if is_sealed(p.letter.case_number, p.letter.source)}
    sealed = np.array([e.source in sealed_letters for e in examples])
    split = [(np.flatnonzero(~sealed), np.flatnonzero(sealed))]
    report = evaluate_splits(corpus, mode, examples, split, seed=seed, reps=reps)
    _, y, _ = arrays(examples)
    report["study"] = {"letters": len(corpus.letters) - len(sealed_letters), "items": int((~sealed).sum()),
                       "overturned": int(y[~sealed].sum())}
    for result in report["variants"].values():
        result.pop("predictions")  # per-item rows would name sealed letters
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the sealed-set figures per mode and variant."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--mode", choices=("draft", "facts", "both"), default="both")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples for the CIs")
    add_output_arguments(parser, "sealed_report.json")
    args = parser.parse_args(argv)
    modes = ("draft", "facts") if args.mode == "both" else (args.mode,)
    reports = {mode: sealed_report(mode, args.paths, args.bootstrap) for mode in modes}
    saved, written = ROOT / "models" / "sealed_report.json", reports
    if args.write and len(modes) == 1 and saved.exists():  # one mode rerun: the other mode's figures stay
        written = {**json.loads(saved.read_text(encoding="utf-8")), **reports}
    if publish(written, args, "sealed_report.json"):
        return 0
    for mode, report in reports.items():
        study = report["study"]
        print(f"{mode}: trained on {study['letters']} study letters ({study['items']} items, "
              f"{study['overturned']} Overturned)")
        for variant, result in report["variants"].items():
            model, base = result["model"], result["tfidf_logreg"]["metrics"]
            print(f"  sealed {variant}: {result['letters']} letters, {result['items']} items, "
                  f"{result['overturned']} Overturned")
            for key in METRIC_NAMES:
                ci = model.get("ci95", {}).get(key)
                interval = f" ({ci[0]:.3f}-{ci[1]:.3f})" if ci else ""
                print(f"    {key:21s} {model['metrics'][key]:.3f}{interval}   TF-IDF+LR {base[key]:.3f}"
                      + (f"   base rate {result['base_rate']['metrics'][key]:.3f}" if key == "brier" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
