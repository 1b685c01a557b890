"""The model: stock scikit-learn estimators after the feature function, in one calibrated pipeline.

``DictVectorizer`` → ``LogisticRegression`` (class-weighted for the ~12% Overturned), wrapped in
``CalibratedClassifierCV(method="sigmoid", ensemble=False)``: one linear model fit on all rows and
one sigmoid fit on its out-of-fold scores, so each feature's contribution to the calibrated
log-odds is exact (slope × coefficient × value).
"""
from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

DEFAULT_C = {"draft": 1.0, "facts": 10.0}


def linear_pipeline(C: float, seed: int = 0) -> Pipeline:
    """Vectorizer + class-weighted logistic regression."""
    return Pipeline([
        ("vectorize", DictVectorizer(sort=True)),
        ("classify", LogisticRegression(C=C, class_weight="balanced", solver="lbfgs", max_iter=5000,
                                        random_state=seed)),
    ])


def grouped_splits(y, groups, n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds that keep every letter's items together."""
    y, groups = np.asarray(y), np.asarray(groups)
    n_splits = max(2, min(n_splits, int(min(np.bincount(y, minlength=2))), len(set(groups))))
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(y)), y, groups))


def calibrated_model(C: float, splits, seed: int = 0) -> CalibratedClassifierCV:
    """The shipped estimator: a linear pipeline calibrated on out-of-fold scores of ``splits``."""
    return CalibratedClassifierCV(linear_pipeline(C, seed), method="sigmoid", cv=splits, ensemble=False)


def linear_parts(model: CalibratedClassifierCV):
    """(vectorizer, logistic regression, slope, offset) with calibrated log-odds =
    -(slope * decision_function + offset)."""
    fitted = model.calibrated_classifiers_[0]
    pipeline = fitted.estimator
    calibrator = fitted.calibrators[0]
    return pipeline.named_steps["vectorize"], pipeline.named_steps["classify"], calibrator.a_, calibrator.b_
