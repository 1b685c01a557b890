"""How much a facts-mode probability can be trusted, read at prediction time with numpy alone.

Two things, both written by training (``nlp_pipeline.model.resampling``) and read here:

- **an interval per probability** (``p_interval``): the fitting procedure
  (:func:`nlp_pipeline.model.training.fit_model`: its cut and calibration, with C and the family weights held at the
  shipped model's choice) was run again on ``B`` resamples of the training letters (letters drawn with replacement,
  each with all its items). Each refit is a calibrated linear model, kept as its weight per
  column of the shipped model and its intercept (``bootstrap.npz``: the nonzero weights, column by column). An item's
  interval is the 2.5th to the 97.5th percentile of the ``B`` refits' probabilities for it: how far the
  probability moves when the letters it was learned from change;
- **a plain statement** (``uncertainty``) of what a pre-review estimate can say, built from the model's own
  metadata: how often, on letters it was not trained on (nested cross-validation), it ranked an Overturned item
  above an Upheld one; the independent check on unseen letters (``data/independent_check.json``, an external figure
  typed from the issue that reported it); and, where in nested cross-validation the model did not beat the
  Overturned rate of the item's own treatment category, that it did not, and that rate.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

BOOTSTRAP_FILE = "bootstrap.npz"
INTERVAL = (2.5, 97.5)  # the percentiles of the refits' probabilities an interval spans


@dataclass(frozen=True, eq=False)
class BootstrapSet:
    """The ``B`` refits as weights on the shipped model's columns: ``log-odds_b = intercepts[b] + sum_j W[b, j] x_j``,
    ``W`` stored column by column (for column ``j``, the refits ``refits[indptr[j]:indptr[j + 1]]`` and their
    ``weights``; a refit that leaves the column out, or never saw it, weighs 0), so a row's log-odds read only the
    columns it has, with numpy alone."""

    indptr: np.ndarray
    refits: np.ndarray
    weights: np.ndarray
    intercepts: np.ndarray

    @property
    def size(self) -> int:
        """How many refits."""
        return len(self.intercepts)

    @classmethod
    def from_rows(cls, rows: list[dict[int, float]], intercepts: list[float], columns: int) -> BootstrapSet:
        """From each refit's nonzero weights (column → weight) and intercept."""
        per_column: list[list[tuple[int, float]]] = [[] for _ in range(columns)]
        for refit, row in enumerate(rows):
            for column, weight in row.items():
                per_column[column].append((refit, weight))
        indptr = np.cumsum([0, *(len(found) for found in per_column)]).astype(np.int64)
        pairs = [pair for found in per_column for pair in found]
        return cls(indptr, np.array([r for r, _ in pairs], dtype=np.int32),
                   np.array([w for _, w in pairs], dtype=np.float32), np.asarray(intercepts, dtype=np.float64))

    def log_odds(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Each refit's calibrated log-odds for one row given by its column indices and values."""
        out = self.intercepts.copy()
        for column, value in zip(np.asarray(columns).tolist(), np.asarray(values, dtype=float).tolist()):
            start, end = self.indptr[column], self.indptr[column + 1]
            if end > start:
                np.add.at(out, self.refits[start:end], self.weights[start:end] * value)
        return out

    def interval(self, columns: np.ndarray, values: np.ndarray) -> tuple[float, float]:
        """The 2.5th-97.5th percentile of the refits' probabilities for one row."""
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-self.log_odds(columns, values)))
        low, high = np.percentile(p, INTERVAL)
        return round(float(low), 6), round(float(high), 6)

    def save(self, folder: str | Path) -> Path:
        """Write ``bootstrap.npz`` into ``folder``."""
        path = Path(folder) / BOOTSTRAP_FILE
        with path.open("wb") as handle:
            np.savez_compressed(handle, indptr=self.indptr, refits=self.refits, weights=self.weights,
                                intercepts=self.intercepts)
        return path

    @classmethod
    def load(cls, path: str | Path) -> BootstrapSet:
        """Read a ``bootstrap.npz`` (plain arrays only: an array of objects is refused with
        :class:`nlp_pipeline.errors.ModelError`, as is a file missing one)."""
        from nlp_pipeline.errors import ModelError

        try:
            with np.load(path, allow_pickle=False) as saved:
                return cls(saved["indptr"], saved["refits"], saved["weights"], saved["intercepts"])
        except (ValueError, KeyError, OSError) as err:
            raise ModelError(f"{path}: not a bootstrap file ({err})") from None


@lru_cache(maxsize=1)
def independent_check() -> dict[str, Any]:
    """The independent check on unseen letters (``data/independent_check.json``): external figures, per mode."""
    text = resources.files("nlp_pipeline").joinpath("data/independent_check.json").read_text(encoding="utf-8")
    return json.loads(text)


def _in_ten(auc: float) -> int:
    return int(round(auc * 10))


_CATEGORY_PART = " For "  # where the item's category's sentence starts in a statement


def split_statement(text: str) -> tuple[str, str]:
    """A :func:`statement` as (what it says of the mode, the same for every item; what it says of the item's
    category, or "")."""
    general, found, category = text.partition("." + _CATEGORY_PART)
    return (general + ".", found[1:].lstrip() + category) if found else (text, "")


def statement(metadata: dict[str, Any], category: str | None = None) -> str | None:
    """What a pre-review estimate can say, in plain words, from the model's metadata (None when it holds no nested
    figure): the nested ROC-AUC as "about N times in 10", the independent check's, and the item's category where the
    model did not beat that category's own Overturned rate in nested cross-validation."""
    nested = ((metadata.get("metrics") or {}).get("full") or {}).get("metrics", {}).get("roc_auc")
    if nested is None:
        return None
    text = (f"A pre-review estimate ranks, it does not decide: on letters it was not trained on, this mode ranked an "
            f"Overturned item above an Upheld one about {_in_ten(nested)} times in 10 (nested cross-validation, "
            f"ROC-AUC {nested:.2f})")
    check = independent_check().get(metadata.get("mode", ""))
    if check:
        text += (f"; on {check['letters']} unseen letters checked independently, an earlier version of it about "
                 f"{_in_ten(check['roc_auc'])} in 10 (ROC-AUC {check['roc_auc']:.2f})")
    text += "."
    compared = (metadata.get("category_comparison") or {}).get(category or "none")
    if compared and not compared["beats_category_rate"]:
        name = (category or "unrecognized").replace("_", " ")
        text += (f"{_CATEGORY_PART}{name} requests it did not beat their own Overturned rate in nested cross-validation "
                 f"(Brier {compared['model_brier']:.3f} against {compared['category_rate_brier']:.3f}): that rate is "
                 f"{compared['rate']:.0%} ({compared['overturned']} of {compared['items']} training items).")
    return text


def checked_bootstrap(folder: str | Path, metadata: dict[str, Any]) -> BootstrapSet | None:
    """A model folder's refits once their SHA-256 matches the metadata's (``bootstrap_sha256``); None for a model
    trained without them; raises :class:`nlp_pipeline.errors.ModelError` for a missing or altered file."""
    from nlp_pipeline.errors import ModelError
    from nlp_pipeline.model.files import METADATA_FILE, sha256

    expected = metadata.get("bootstrap_sha256")
    if expected is None:
        return None
    path = Path(folder) / BOOTSTRAP_FILE
    if not path.exists():
        raise ModelError(f"{path}: missing (its SHA-256 is in {METADATA_FILE})")
    if sha256(path) != expected:
        raise ModelError(f"{path}: SHA-256 does not match {METADATA_FILE}; the file was altered or mismatched")
    return BootstrapSet.load(path)
