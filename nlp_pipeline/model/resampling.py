"""Training's half of honest uncertainty (:mod:`nlp_pipeline.model.uncertainty` reads what this writes):

- :func:`bootstrap_set`: the fitting procedure (:func:`nlp_pipeline.model.training.fit_model`: its cut and
  calibration; as training calls it, C and the family weights held at the shipped model's choice by
  :func:`held_search`) run again on ``B`` resamples of the training letters, each refit kept as its weights on the
  shipped model's columns;
- :func:`category_comparison`: per treatment category, whether the model's nested cross-validated probabilities beat
  the category's own Overturned rate (measured, like the model, on each outer fold's training letters only).

Never imported by the prediction path.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

import numpy as np

from nlp_pipeline.model.dataset import Example
from nlp_pipeline.model.estimator import grouped_splits, linear_parts
from nlp_pipeline.model.uncertainty import BootstrapSet

BOOTSTRAP_MODELS = 50  # refits behind each facts-mode interval (imr train --bootstrap-models)


def bootstrap_set(examples: list[Example], mode, names, refits: int = BOOTSTRAP_MODELS, seed: int = 0,
                  progress: Callable[[int], None] | None = None, search: dict[str, list] | None = None
                  ) -> BootstrapSet:
    """``refits`` fits of :func:`~nlp_pipeline.model.training.fit_model` on letters drawn with replacement (each
    letter with all its items; the copies of a letter share its group, so no inner fold splits them), as weights
    on ``names`` (the shipped model's columns: a resample's columns are among them). ``search``: the grid each
    refit searches (default the mode's; :func:`held_search` holds it at the shipped model's choice)."""
    from nlp_pipeline.model.training import fit_model

    by_letter: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_letter[example.group].append(example)
    letters = sorted(by_letter)
    column_of = {str(name): column for column, name in enumerate(names)}
    rng = np.random.default_rng(seed)
    rows: list[dict[int, float]] = []
    intercepts: list[float] = []
    attempts = 0
    while len(rows) < refits:
        attempts += 1
        if attempts > 3 * refits:
            raise ValueError(f"only {len(rows)} of {refits} bootstrap refits could be fit in {attempts - 1} draws")
        drawn = [example for letter in rng.choice(letters, size=len(letters), replace=True)
                 for example in by_letter[letter]]
        try:
            model, _, _ = fit_model(drawn, mode, seed=seed, search=search)
        except ValueError:  # a draw with too few Overturned letters for the inner folds: draw again
            continue
        parts = linear_parts(model)
        weight = -parts.slope * parts.classifier.coef_[0] * parts.scale
        rows.append({column_of[str(name)]: float(w) for name, w in zip(parts.names, weight) if w})
        intercepts.append(float(-(parts.slope * parts.classifier.intercept_[0] + parts.offset)))
        if progress:
            progress(len(rows))
    return BootstrapSet.from_rows(rows, intercepts, len(column_of))


def held_search(mode, selection: dict[str, Any]) -> dict[str, list]:
    """The mode's search grid with one candidate: the parameters ``selection`` (``fit_model``'s) chose."""
    from nlp_pipeline.modes import mode_of

    return {key: [selection["params"][key.rsplit("__", 1)[1]]] for key in mode_of(mode).search}


def category_comparison(examples: list[Example], predictions: list[dict[str, Any]], n_splits: int, seed: int
                        ) -> dict[str, dict[str, Any]]:
    """Per treatment category (``none`` for an item with none): its items and Overturned items, its Overturned rate
    over every letter, and the Brier score of the model's nested cross-validated probabilities (``predictions``,
    from :func:`~nlp_pipeline.model.training.cross_validate` with ``n_splits`` and ``seed``) against that of the
    category's own rate measured on each outer fold's training letters (the overall training rate where the
    training letters hold none of the category); ``beats_category_rate`` when the model's is lower."""
    labels = np.array([e.label for e in examples])
    groups = np.array([e.group for e in examples])
    category = np.array([e.treatment or "none" for e in examples])
    p_model = {(p["source"], p["item_index"]): p["p_overturned"] for p in predictions}
    model = np.array([p_model[(e.source, e.item_index)] for e in examples])
    rate = np.zeros(len(examples))
    for train, test in grouped_splits(labels, groups, n_splits, seed):
        overall = labels[train].mean()
        for i in test:
            same = train[category[train] == category[i]]
            rate[i] = labels[same].mean() if len(same) else overall
    out = {}
    for name in sorted(set(category.tolist())):
        mine = category == name
        model_brier = float(np.mean((model[mine] - labels[mine]) ** 2))
        rate_brier = float(np.mean((rate[mine] - labels[mine]) ** 2))
        out[name] = {"items": int(mine.sum()), "overturned": int(labels[mine].sum()),
                     "rate": float(labels[mine].mean()), "model_brier": round(model_brier, 6),
                     "category_rate_brier": round(rate_brier, 6), "beats_category_rate": model_brier < rate_brier}
    return out


def uncertainty_metadata(folder, examples: list[Example], mode, model, selection: dict[str, Any],
                         predictions: list[dict[str, Any]], n_splits: int, seed: int = 0, refits: int | None = None,
                         progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """What :func:`nlp_pipeline.model.training.train` adds to a model folder for honest uncertainty: the per-category
    comparison (always), and where the mode asks for intervals (``refits``, default the mode's
    ``bootstrap_models``; 0 for none) the refits written to ``folder`` (``bootstrap.npz``), their SHA-256 and count.
    ``predictions``: the nested cross-validation's, of the ``full`` variant. Each refit runs ``fit_model`` whole (the
    cut, the calibration on its own inner folds) with C and the family weights held at the shipped model's
    ``selection``: refitting the grid search too would take about three times as long."""
    from pathlib import Path

    from nlp_pipeline.model.files import sha256
    from nlp_pipeline.modes import mode_of

    out: dict[str, Any] = {"category_comparison": category_comparison(examples, predictions, n_splits, seed)}
    count = mode_of(mode).bootstrap_models if refits is None else refits
    if count:
        found = bootstrap_set(examples, mode, linear_parts(model).names, count, seed, progress,
                              held_search(mode, selection))
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = found.save(folder)
        out.update(bootstrap_models=count, bootstrap_sha256=sha256(path),
                   p_interval="2.5th-97.5th percentile of the probabilities of the fitting procedure (C and family "
                              f"weights held, cut and calibration refit) run again on {count} resamples of the "
                              "training letters")
    return out
