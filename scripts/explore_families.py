"""Which feature families help, measured on the study letters only (never the sealed third).

For each mode, grouped 5-fold cross-validation (3 fold assignments) of the linear model with one family
left out at a time, and with the text n-grams weighed differently, at a few values of C. This is how the
candidates of each mode's ``search`` (``nlp_pipeline.modes``) were narrowed; it reads no sealed letter, and the
figures it prints are exploration (the family set is chosen on the same letters), not an estimate: the
estimates are the nested cross-validation of ``imr train`` and ``scripts/eval_sealed.py``.

    python scripts/explore_families.py [--mode draft|facts]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
CANDIDATES = {
    "draft": [{"words": 0.1}, {"words": 0.1, "entities": 0}, {"words": 0.1, "stance": 0},
              {"words": 0.1, "entities": 0, "header": 0, "letter": 0, "service": 0},
              {"words": 0.03, "entities": 0, "header": 0, "letter": 0, "service": 0},
              {"words": 1, "entities": 0}],
    "facts": [{"words": 0, "entities": 0}, {"words": 0, "entities": 0, "letter": 0}, {"words": 0},
              {"words": 0.03, "entities": 0}, {"words": 0.1, "entities": 0}, {"words": 0.03}],
}


def study_paths() -> list[Path]:
    """The study letters of the shared folders."""
    from nlp_pipeline.model.sealed import is_sealed

    paths = sorted((SHARED / "letters").glob("*.pdf")) + sorted((SHARED / "seeds").glob("*.txt"))
    return [p for p in paths if not is_sealed(p.stem if p.suffix == ".pdf" else None, p)]


def main(argv: list[str] | None = None) -> int:
    """Print mean (and per fold assignment) ROC-AUC per candidate and C."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    import sklearn

    from nlp_pipeline.model.estimator import FeatureNames, grouped_folds, linear_pipeline, vectorizer
    from nlp_pipeline.model.training import arrays, labelled_examples, load_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("draft", "facts"), default="draft")
    args = parser.parse_args(argv)
    corpus = load_corpus(study_paths(), progress=False)
    rows, y, groups = arrays(labelled_examples(corpus, args.mode))
    vectorize = vectorizer(rows)
    X = vectorize.transform(rows)
    # the family weights find each column's family by its name (FamilyWeights asks for feature_names in fit);
    # the signs are left free, as when the comparison was first measured
    params = {"groups": groups, "feature_names": FeatureNames(vectorize.get_feature_names_out())}
    print(f"{args.mode}: {len(corpus.letters)} study letters, {len(y)} items, {int(y.sum())} Overturned")
    for weights in CANDIDATES[args.mode]:
        for C in (1.0, 10.0, 100.0):
            with sklearn.config_context(enable_metadata_routing=True):
                aucs = [roc_auc_score(y, cross_val_predict(
                    linear_pipeline(C=C, weights=weights, constrain_signs=False), X, y, params=params,
                    cv=grouped_folds(5, seed), method="decision_function")) for seed in range(3)]
            print(f"  {weights}  C={C:g}: ROC-AUC {np.mean(aucs):.3f} ({', '.join(f'{a:.3f}' for a in aucs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
