"""A fitted model as the prediction path needs it: four arrays, read with numpy alone.

Every shipped model is a calibrated linear model (``nlp_pipeline.model.estimator``): its calibrated log-odds are
``intercept + sum(factor[j] * value[j] * scale[j])`` over the columns a feature dict has. Training saves those
arrays beside the skops file (``linear.npz``, its SHA-256 in ``metadata.json``) so that predicting needs neither
scikit-learn nor skops, whose imports were most of a batch's start-up; the skops file stays the model of record
(``OutcomeModel.estimator`` loads it when asked). ``tests/test_model.py`` checks the two give the same
contributions and probabilities.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from nlp_pipeline.model.files import LINEAR_FILE

SEPARATOR = "="  # a text value's column is "name=value", as scikit-learn's DictVectorizer names it


@dataclass(frozen=True, eq=False)
class LinearModel:
    """Column names, each column's family weight (``scale``) and its factor (``-slope × coefficient``), and the
    calibrated intercept (``-(slope × intercept + offset)``)."""

    names: np.ndarray
    scale: np.ndarray
    factor: np.ndarray
    intercept: float

    @classmethod
    def from_parts(cls, parts: Any) -> LinearModel:
        """From an :class:`nlp_pipeline.model.estimator.LinearParts` (the fitted pipeline taken apart)."""
        return cls(np.asarray(parts.names, dtype=str), np.asarray(parts.scale, dtype=np.float64),
                   -parts.slope * parts.classifier.coef_[0],
                   float(-(parts.slope * parts.classifier.intercept_[0] + parts.offset)))

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Feature name → column."""
        return {name: column for column, name in enumerate(self.names.tolist())}

    def contributions(self, rows: list[dict[str, Any]]) -> list[dict[int, float]]:
        """Per feature dict, column → its contribution to the calibrated log-odds (toward Overturned), columns in
        ascending order; a name not among the columns is ignored, a text value counts 1 in its ``name=value``
        column, as when the model was fitted."""
        out = []
        for row in rows:
            found: dict[int, float] = {}
            for name, value in row.items():
                if isinstance(value, str):
                    name, value = f"{name}{SEPARATOR}{value}", 1.0
                column = self.vocabulary.get(name)
                if column is not None:
                    found[column] = float(value)
            columns = np.array(sorted(found), dtype=np.int64)
            values = np.array([found[c] for c in columns.tolist()], dtype=np.float64)
            shares = self.factor[columns] * (values * self.scale[columns])
            out.append(dict(zip(columns.tolist(), shares.tolist())))
        return out

    def save(self, folder: str | Path) -> Path:
        """Write ``linear.npz`` into ``folder``."""
        path = Path(folder) / LINEAR_FILE
        with path.open("wb") as handle:
            np.savez_compressed(handle, names=self.names, scale=self.scale, factor=self.factor,
                                intercept=np.array([self.intercept]))
        return path

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        """Read a ``linear.npz``: plain arrays only, so nothing in it can run code (an array of Python objects is
        refused with :class:`nlp_pipeline.errors.ModelError`, as is a file missing one of the arrays)."""
        from nlp_pipeline.errors import ModelError

        try:
            with np.load(path, allow_pickle=False) as saved:
                return cls(saved["names"], saved["scale"], saved["factor"], float(saved["intercept"][0]))
        except (ValueError, KeyError, OSError) as err:
            raise ModelError(f"{path}: not a model's arrays file ({err})") from None
