"""How the draft model holds up when rationales lose sentences in the letter text itself.

Each cut (:func:`nlp_pipeline.model.evaluation.cut_letter`) blanks sentences of every rationale in the
letter text, then the letter is read again from scratch, as ``imr predict`` would read such a draft:
``verdicts`` every sentence holding a verdict phrase, ``last`` the last sentence of each rationale.

Models are fit on the complete letters of each grouped fold's training letters and judged on the cut
letters of the held-out ones, as ``imr predict`` judges them: the verdict decides where the cut letter
still states one (at the rate measured on the fold's training letters), the rationale model elsewhere.
Prints, per cut, how many items still state a verdict, and ROC-AUC and Brier score of the whole
procedure and of the rationale model alone.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from nlp_pipeline.model.dataset import letter_examples
from nlp_pipeline.model.estimator import grouped_splits
from nlp_pipeline.model.evaluation import CUTS, cut_letter
from nlp_pipeline.model.training import arrays, fit_model, labelled_examples, load_corpus, verdict_calibration

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"


def main(argv: list[str] | None = None) -> None:
    """Print ROC-AUC and Brier score of the draft model on each cut."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    corpus = load_corpus(args.paths, progress=False)
    train_all = labelled_examples(corpus, "draft")
    _, y, groups = arrays(train_all)
    folds = grouped_splits(y, groups, seed=args.seed)
    models = [fit_model([train_all[i] for i in train], "draft", seed=args.seed)[0] for train, _ in folds]
    calibrations = [verdict_calibration([train_all[i] for i in train]) for train, _ in folds]
    fold_of = {g: k for k, (_, test) in enumerate(folds) for g in groups[test]}
    for cut in CUTS:
        rows = [e for p in corpus.letters for e in letter_examples(cut_letter(p, cut), "draft") if e.label is not None]
        labels = np.array([e.label for e in rows])
        p_rationale = np.array([models[fold_of[e.group]].predict_proba([e.features.values])[0, 1] for e in rows])
        p = np.array([calibrations[fold_of[e.group]][e.verdict]["p_overturned"] if e.verdict != "none" else q
                      for e, q in zip(rows, p_rationale)])
        stated = sum(e.verdict != "none" for e in rows)
        print(f"{cut:9s} {len(rows)} items, {stated} still state a verdict  "
              f"ROC-AUC {roc_auc_score(labels, p):.3f}  Brier {brier_score_loss(labels, p):.3f}  |  rationale model "
              f"alone ROC-AUC {roc_auc_score(labels, p_rationale):.3f}  Brier {brier_score_loss(labels, p_rationale):.3f}"
              f"  (base rate Brier {brier_score_loss(labels, np.full(len(labels), labels.mean())):.3f})")


if __name__ == "__main__":
    main()
