"""The model: stock scikit-learn estimators after the feature function, in one calibrated pipeline.

``DictVectorizer`` → :class:`SigmoidCalibrated` (Platt's sigmoid on grouped out-of-fold scores) around
``FamilyWeights`` (how much each feature family weighs; 0 leaves it out) → ``LogisticRegression``
(class-weighted for the ~12% Overturned; the few features of ``feature_specs.SIGNS`` held to one sign): one
linear model fit on all rows and one sigmoid fit on its out-of-fold scores, so each feature's contribution
to the calibrated log-odds is exact (slope × coefficient × weighted value).

Constructor parameters are hyperparameters only. What depends on the columns (each column's family weight,
each column's sign) is resolved by feature name inside ``fit``, from the ``feature_names`` fit parameter
(:class:`FeatureNames`), which both estimators request and :class:`SigmoidCalibrated` routes on: training
passes the vectorizer's names under ``sklearn.config_context(enable_metadata_routing=True)``.

The family weights and ``C`` are not set by hand: each mode's ``search`` (:mod:`nlp_pipeline.modes`) lists the
candidates, and
:func:`nlp_pipeline.model.training.fit_model` picks among them with a grouped ``GridSearchCV`` on the
letters it is given (inside each outer fold when it is evaluated).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from nlp_pipeline.model.feature_specs import sign_of
from nlp_pipeline.model.features import family_of


class FeatureNames:
    """A matrix's column names, handed to ``fit`` as one object (the ``feature_names`` fit parameter of
    :class:`FamilyWeights` and :class:`SignConstrainedLogisticRegression`), with each name's family
    (:func:`nlp_pipeline.model.features.family_of`) and sign (:func:`nlp_pipeline.model.feature_specs.sign_of`),
    each computed once, when first asked, however many fits of a grid search read them.

    Why a holder and not the name array itself: scikit-learn's cross-validation (``GridSearchCV``,
    ``cross_val_predict``, ``TunedThresholdClassifierCV``) cuts every fit parameter that is array-like and as
    long as ``X`` has rows into the fold's rows; a matrix with as many columns as rows would have its names cut.
    This holder has no length, shape or ``__array__``, so it always passes whole. (A bare name sequence is
    accepted too; cut by a fold it could no longer match the columns, and ``fit`` refuses it.)"""

    def __init__(self, names):
        self.names = np.asarray(names, dtype=str)
        if self.names.ndim != 1:
            raise ValueError(f"feature names must be one list of names, got an array of shape {self.names.shape}")

    def __repr__(self) -> str:
        return f"FeatureNames({self.names.size} names)"

    @cached_property
    def families(self) -> np.ndarray:
        """Each column's family, one string array."""
        return np.array([family_of(name) for name in self.names.tolist()], dtype=str)

    @cached_property
    def signs(self) -> np.ndarray:
        """The sign each column's coefficient must keep (-1, 0 or +1), one int8 array."""
        return np.array([sign_of(name) for name in self.names.tolist()], dtype=np.int8)


def _names_for(estimator, feature_names, n_columns: int) -> FeatureNames | None:
    """The names ``fit`` resolves by: ``feature_names`` (a :class:`FeatureNames` or a name sequence), else the
    columns of the DataFrame it was fit on (``feature_names_in_``, set by ``validate_data``), else None."""
    if feature_names is None:
        feature_names = getattr(estimator, "feature_names_in_", None)
        if feature_names is None:
            return None
    names = feature_names if isinstance(feature_names, FeatureNames) else FeatureNames(feature_names)
    if names.names.size != n_columns:
        raise ValueError(f"{names.names.size} feature names for {n_columns} columns")
    return names


class FamilyWeights(TransformerMixin, BaseEstimator):
    """Scales each column of a vectorized feature matrix by its family's weight: ``weights`` maps a family to its
    weight (a family missing from it weighs 1; a weight of 0 leaves the family out).

    The family of each column is resolved by its name in ``fit`` (the ``feature_names`` fit parameter, which
    this transformer requests: with metadata routing on, a ``Pipeline`` or a search passes it here; else the
    columns of a DataFrame ``X``). Fit without names, every column weighs 1.

    Fitted attributes: ``scale_`` (each column's weight, a float array) and ``n_features_in_``; the names
    themselves are not kept (the vectorizer before it holds them)."""

    # feature_names is requested by the class, so no routing request is stored on an instance (nor in a model file)
    __metadata_request__fit = {"feature_names": True}

    def __init__(self, weights: dict[str, float] | None = None):
        self.weights = weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.requires_fit = True
        return tags

    def fit(self, X, y=None, feature_names: FeatureNames | None = None):
        """Each column's weight, from its family (``feature_names``: a :class:`FeatureNames` or a sequence of
        ``X``'s column names)."""
        X = validate_data(self, X, accept_sparse=True, reset=True)
        names = _names_for(self, feature_names, X.shape[1])
        self.scale_ = np.ones(X.shape[1])
        if names is not None:
            for family, weight in (self.weights or {}).items():
                self.scale_[names.families == family] = weight
        return self

    def transform(self, X):
        """``X`` with every column scaled by its family's weight."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, reset=False)
        return scaled(X, self.scale_)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The names of the columns, unchanged (a weight scales a column, it does not rename it)."""
        check_is_fitted(self)
        if input_features is not None:
            if len(input_features) != self.n_features_in_:
                raise ValueError(f"{len(input_features)} names for {self.n_features_in_} columns")
            return np.asarray(input_features, dtype=object)
        return np.asarray(getattr(self, "feature_names_in_", [f"x{j}" for j in range(self.n_features_in_)]),
                          dtype=object)


def scaled(X, scale: np.ndarray):
    """``X`` (dense or sparse) with column j multiplied by ``scale[j]``, as a CSR matrix."""
    return sparse.csr_matrix(sparse.csr_matrix(X).multiply(scale[np.newaxis, :]))


class SignConstrainedLogisticRegression(LogisticRegression):
    """A logistic regression whose coefficients keep, column by column, the sign the feature's name allows
    (:func:`nlp_pipeline.model.feature_specs.sign_of`: -1 never positive, i.e. never toward class 1; +1 never
    negative; 0 free).

    The signs are resolved by name in ``fit`` (the ``feature_names`` fit parameter, which this classifier
    requests, else the columns of a DataFrame ``X``); fit without names, or with ``constrain_signs=False``, it
    is a plain logistic regression. Fitted attribute ``signs_``: the sign each column was held to (int8).

    Fit by active sets: fit; every constrained column whose coefficient has the wrong sign is held at zero
    and the rest fit again, until none has. A column held at zero is left out of the fit, so the model is
    the best regularized fit among those that keep the signs on the columns it uses."""

    __metadata_request__fit = {"feature_names": True}
    _parameter_constraints = {**LogisticRegression._parameter_constraints, "constrain_signs": ["boolean"]}

    def __init__(self, C: float = 1.0, class_weight=None, solver: str = "lbfgs", random_state=None,
                 max_iter: int = 100, constrain_signs: bool = True):
        super().__init__(C=C, class_weight=class_weight, solver=solver, random_state=random_state, max_iter=max_iter)
        self.constrain_signs = constrain_signs

    def fit(self, X, y, sample_weight=None, feature_names: FeatureNames | None = None):
        """Fit with the sign constraints of the columns' names (see the class docstring)."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, reset=True)
        names = _names_for(self, feature_names, X.shape[1]) if self.constrain_signs else None
        self.signs_ = names.signs.copy() if names is not None else np.zeros(X.shape[1], dtype=np.int8)
        signs = self.signs_.astype(float)
        held = np.zeros(X.shape[1], dtype=bool)
        for _ in range(int(np.count_nonzero(signs)) + 1):
            super().fit(scaled(X, (~held).astype(float)), y, sample_weight=sample_weight)
            wrong = (signs * self.coef_[0] < 0) & ~held
            if not wrong.any():
                break
            held |= wrong
        self.coef_[0][held] = 0.0
        return self


class NamedColumns(DictVectorizer):
    """A ``DictVectorizer`` whose saved state holds its column names as one string array and no vocabulary:
    a model file otherwise stores every name twice, each as its own node that loading rebuilds one by one
    (tens of thousands). The vocabulary is rebuilt from the names when the state is restored.

    ``transform`` reads rows whose values are all floats (what :func:`nlp_pipeline.model.features.item_features`
    makes) by vocabulary lookup alone, giving the matrix ``DictVectorizer.transform`` gives for them without
    its per-value type tests; any other row goes to ``DictVectorizer.transform``."""

    def transform(self, X):
        """Feature dicts → a CSR matrix over the fitted columns (names not seen in fitting are ignored)."""
        rows = [X] if isinstance(X, Mapping) else X
        if not self.sparse or not isinstance(rows, list):
            return super().transform(X)
        vocabulary, columns, values, ends = self.vocabulary_, [], [], [0]
        for row in rows:
            for name, value in row.items():
                if type(value) is not float:
                    return super().transform(X)
                column = vocabulary.get(name)
                if column is not None:
                    columns.append(column)
                    values.append(value)
            ends.append(len(columns))
        if len(ends) == 1:
            return super().transform(X)  # its own error for no rows
        matrix = sparse.csr_matrix((np.array(values, dtype=self.dtype), np.array(columns, dtype=np.int64),
                                    np.array(ends, dtype=np.int64)), shape=(len(ends) - 1, len(vocabulary)))
        matrix.sort_indices()
        return matrix

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: for a class outside sklearn it is the instance's own __dict__
        if "feature_names_" in state:
            state["feature_names_"] = np.array(state["feature_names_"], dtype=str)
            state.pop("vocabulary_", None)
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "feature_names_" in state:
            names = [str(name) for name in state["feature_names_"]]
            state["feature_names_"] = names
            state["vocabulary_"] = {name: column for column, name in enumerate(names)}
        super().__setstate__(state)


def vectorizer(rows) -> NamedColumns:
    """A vectorizer fit on feature dicts (the vocabulary only; no labels)."""
    return NamedColumns(sort=True).fit(rows)


def linear_pipeline(C: float = 1.0, seed: int = 0, weights: dict[str, float] | None = None,
                    constrain_signs: bool = True) -> Pipeline:
    """Family weights + class-weighted, sign-constrained logistic regression, on vectorized features (fit it with
    ``feature_names``, under metadata routing, for the families and signs to apply)."""
    return Pipeline([
        ("weights", FamilyWeights(weights)),
        ("classify", SignConstrainedLogisticRegression(C=C, class_weight="balanced", solver="liblinear",
                                                       random_state=seed, constrain_signs=constrain_signs)),
    ])


def grouped_folds(n_splits: int = 5, seed: int = 0) -> StratifiedGroupKFold:
    """Stratified folds that keep every letter's items together."""
    return StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def grouped_splits(y, groups, n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The index pairs of :func:`grouped_folds` (fewer folds when there are fewer letters or overturns)."""
    y, groups = np.asarray(y), np.asarray(groups)
    n_splits = max(2, min(n_splits, int(min(np.bincount(y, minlength=2))), len(set(groups))))
    return list(grouped_folds(n_splits, seed).split(np.zeros(len(y)), y, groups))


class SigmoidCalibrated(ClassifierMixin, BaseEstimator):
    """``estimator`` fit on all rows, its decision function mapped to a probability by Platt's sigmoid, fit on
    the out-of-fold decision values of ``cv`` (``cross_val_predict``) against Platt's smoothed targets.

    What ``CalibratedClassifierCV(method="sigmoid", ensemble=False)`` does, with public parts: ``estimator_``
    (the fitted pipeline) and ``calibrator_`` (a one-column unpenalized ``LogisticRegression`` on the decision
    value; each row enters twice, as Overturned weighted by its smoothed target and as Upheld by the rest, which
    is Platt's loss exactly)."""

    def __init__(self, estimator=None, cv=None):
        self.estimator = estimator
        self.cv = cv

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False  # Platt's sigmoid calibrates one decision value: two classes
        return tags

    def _estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def get_metadata_routing(self) -> MetadataRouter:
        """``sample_weight`` weighs the sigmoid's rows (and goes on to ``estimator`` where it asks for it); every
        other fit parameter ``estimator`` asks for (``feature_names``) goes on to its fits."""
        return (MetadataRouter(owner=self).add_self_request(self)
                .add(estimator=self._estimator(), method_mapping=MethodMapping().add(caller="fit", callee="fit")))

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit ``estimator`` on all rows and the sigmoid on its out-of-fold decision values; ``sample_weight``
        weighs the rows in both fits. With metadata routing on, ``fit_params`` and ``sample_weight`` go to
        ``estimator``'s fits as it requests them (``feature_names`` for the shipped pipeline); off, they go to
        its ``fit`` as given (the estimator must accept them)."""
        estimator = self._estimator()
        if not isinstance(X, list):  # feature dicts pass as they are: the pipeline's first step reads them
            X, y = validate_data(self, X, y, accept_sparse=True, reset=True)
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type not in ("binary", "unknown") and not (target_type == "multiclass" and len(np.unique(y)) < 2):
            if target_type == "continuous":
                raise ValueError("Unknown label type: a continuous target; two classes are needed")
            raise ValueError(f"Only binary classification is supported. The type of the target is {target_type}.")
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"two classes are needed, got {len(self.classes_)} class")
        binary = (y == self.classes_[1]).astype(int)
        if sklearn.get_config()["enable_metadata_routing"]:
            estimator_params = process_routing(self, "fit", sample_weight=sample_weight, **fit_params).estimator.fit
        else:
            estimator_params = {**fit_params, **({} if sample_weight is None else {"sample_weight": sample_weight})}
        scores = cross_val_predict(clone(estimator), X, y, cv=self.cv, method="decision_function",
                                   params=estimator_params or None)
        self.estimator_ = clone(estimator).fit(X, y, **estimator_params)
        positives, negatives = int(binary.sum()), int(len(binary) - binary.sum())
        target = np.where(binary == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
        row_weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.calibrator_ = LogisticRegression(C=np.inf).fit(
            np.concatenate([scores, scores]).reshape(-1, 1), np.concatenate([np.ones(len(y)), np.zeros(len(y))]),
            sample_weight=np.concatenate([target * row_weight, (1 - target) * row_weight]))
        return self

    def _scores(self, X) -> np.ndarray:
        check_is_fitted(self)
        if not isinstance(X, list):
            X = validate_data(self, X, accept_sparse=True, reset=False)
        return self.estimator_.decision_function(X).reshape(-1, 1)

    def decision_function(self, X) -> np.ndarray:
        """The calibrated log-odds of the second class (Overturned)."""
        scores = self._scores(X)
        return self.calibrator_.decision_function(scores)

    def predict_proba(self, X) -> np.ndarray:
        """Per row, the calibrated probability of each class."""
        scores = self._scores(X)
        return self.calibrator_.predict_proba(scores)

    def predict(self, X) -> np.ndarray:
        """The class on the side of the calibrated log-odds' zero."""
        log_odds = self.decision_function(X)
        return self.classes_[(log_odds >= 0).astype(int)]


def calibrated_model(vectorize: DictVectorizer, pipeline: Pipeline, splits) -> Pipeline:
    """The shipped estimator: the fitted vectorizer, then the linear pipeline calibrated on out-of-fold scores
    of ``splits`` (call ``fit`` with the feature dicts and, under metadata routing,
    ``feature_names=FeatureNames(vectorize.get_feature_names_out())``)."""
    return Pipeline([("vectorize", vectorize), ("calibrated", SigmoidCalibrated(pipeline, cv=splits))])


@dataclass(frozen=True)
class LinearParts:
    """A fitted model taken apart: calibrated log-odds = -(slope * (coef · transform(rows)) + offset)."""

    vectorize: DictVectorizer
    weights: FamilyWeights
    classifier: LogisticRegression
    slope: float
    offset: float

    @cached_property
    def names(self) -> np.ndarray:
        """Column → feature name."""
        return self.vectorize.get_feature_names_out()

    @property
    def scale(self) -> np.ndarray:
        """Column → its family's weight (the fitted ``FamilyWeights.scale_``)."""
        return self.weights.scale_

    def contributions(self, rows) -> list[dict[int, float]]:
        """Per feature dict, column → its contribution to the calibrated log-odds (toward Overturned):
        -slope × coefficient × weighted value, for the columns the row has, read off the vectorized rows'
        arrays (the same products, in the same order, as the fitted pipeline's own weighted matrix gives)."""
        matrix = self.vectorize.transform(rows).tocsr()
        factor = -self.slope * self.classifier.coef_[0]
        out = []
        for start, end in zip(matrix.indptr[:-1].tolist(), matrix.indptr[1:].tolist()):
            columns = matrix.indices[start:end]
            shares = factor[columns] * (matrix.data[start:end] * self.scale[columns])
            out.append(dict(zip(columns.tolist(), shares.tolist())))
        return out


def linear_parts(model: Pipeline) -> LinearParts:
    """The parts of a model built by :func:`calibrated_model` and fitted."""
    calibrated = model.named_steps["calibrated"]
    pipeline, calibrator = calibrated.estimator_, calibrated.calibrator_
    # p = 1 / (1 + exp(slope * decision + offset)), as LinearParts reads it
    slope, offset = -float(calibrator.coef_[0, 0]), -float(calibrator.intercept_[0])
    return LinearParts(model.named_steps["vectorize"], pipeline.named_steps["weights"],
                       pipeline.named_steps["classify"], slope, offset)
