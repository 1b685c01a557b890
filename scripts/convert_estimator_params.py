"""One-off conversion (issue 28, item 4), kept for the record: the shipped models re-saved for the estimators whose
constructor parameters are hyperparameters only.

    python scripts/convert_estimator_params.py [MODEL_FOLDER ...]    (default: models/draft models/facts)

Before, ``FamilyWeights(families=..., weights=...)`` and ``SignConstrainedLogisticRegression(signs=...)`` took
column-aligned arrays; now each finds its columns' families and signs by name inside ``fit`` and keeps them as
fitted attributes (``scale_``, ``signs_``). A saved model's state still holds the old arrays, which the new classes
load as plain attributes; this script turns them into the new fitted attributes, computed exactly as the old
``FamilyWeights.scale()`` and the old ``fit`` computed them (nothing is refit), drops the old parameters, and
writes the folder through :func:`nlp_pipeline.model.files.save_model` (the skops file, ``linear.npz`` and
``metadata.json`` with their new hashes). It refuses to write unless the arrays the prediction path reads are
identical to the old ``linear.npz``'s, and says whether the old arrays are also what the new ``fit`` would find by
name. A folder already converted is left alone.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# what save_model computes again: the files' hashes and the library versions
_RECOMPUTED = ("sha256", "linear_sha256", "versions")


def old_scale(families: np.ndarray, weights: dict[str, float] | None, n_columns: int) -> np.ndarray:
    """The old ``FamilyWeights.scale()``, word for word: every column 1, then each weighted family's columns."""
    families = np.asarray(families, dtype=str)
    if not len(families):
        return np.ones(n_columns)
    scale = np.ones(len(families))
    for family, weight in (weights or {}).items():
        scale[families == family] = weight
    return scale


def old_signs(signs, n_columns: int) -> np.ndarray:
    """The signs the old ``fit`` held the columns to (none given: every column free), as an int8 array."""
    return np.asarray(signs, dtype=np.int8) if len(signs) else np.zeros(n_columns, dtype=np.int8)


def convert_steps(pipeline, fitted: bool) -> list[str]:
    """Turn the old parameters of a linear pipeline's two steps into the new state, in place; what was done."""
    from nlp_pipeline.model.estimator import FamilyWeights, SignConstrainedLogisticRegression

    weights, classify = pipeline.named_steps["weights"], pipeline.named_steps["classify"]
    assert isinstance(weights, FamilyWeights) and isinstance(classify, SignConstrainedLogisticRegression)
    families, signs = vars(weights).pop("families"), vars(classify).pop("signs")
    classify.constrain_signs = True  # the old classifier held every sign it was given
    if not fitted:
        return [f"template: dropped families ({len(families)}) and signs ({len(signs)})"]
    weights.scale_ = old_scale(families, weights.weights, weights.n_features_in_)
    classify.signs_ = old_signs(signs, classify.n_features_in_)
    return [f"fitted: scale_ from {len(families)} families ({int((weights.scale_ != 1).sum())} columns weighted "
            f"other than 1), signs_ from {len(signs)} signs ({int(np.count_nonzero(classify.signs_))} held)"]


def convert(folder: Path) -> bool:
    """Convert one model folder; False when it was already converted."""
    from nlp_pipeline.model.estimator import FeatureNames
    from nlp_pipeline.model.files import (LINEAR_FILE, checked_files, checked_linear, linear_model_of, load_estimator,
                                          save_model)
    from nlp_pipeline.model.linear import LinearModel

    model_file, metadata = checked_files(folder, metadata_mode(folder))
    old_linear = LinearModel.load(checked_linear(model_file, metadata) or folder / LINEAR_FILE)
    estimator = load_estimator(model_file, metadata)
    calibrated = estimator.named_steps["calibrated"]
    if "families" not in vars(calibrated.estimator_.named_steps["weights"]):
        print(f"{folder}: already converted")
        return False
    done = convert_steps(calibrated.estimator, fitted=False) + convert_steps(calibrated.estimator_, fitted=True)
    fitted_weights = calibrated.estimator_.named_steps["weights"]
    fitted_classify = calibrated.estimator_.named_steps["classify"]
    new_linear = linear_model_of(estimator)
    for name in ("names", "scale", "factor"):
        if not np.array_equal(getattr(new_linear, name), getattr(old_linear, name)):
            raise SystemExit(f"{folder}: the converted model's {name} differs from {LINEAR_FILE}'s; nothing written")
    if new_linear.intercept != old_linear.intercept:
        raise SystemExit(f"{folder}: the converted model's intercept differs from {LINEAR_FILE}'s; nothing written")
    names = FeatureNames(estimator.named_steps["vectorize"].get_feature_names_out())
    by_name = old_scale(names.families, fitted_weights.weights, names.names.size)
    print(f"{folder}: " + "; ".join(done))
    print(f"  scale_ {'equals' if np.array_equal(by_name, fitted_weights.scale_) else 'DIFFERS FROM'} what fit finds "
          f"by name today; signs_ {'equals' if np.array_equal(names.signs, fitted_classify.signs_) else 'DIFFERS FROM'}"
          " it")
    save_model(estimator, folder, {key: value for key, value in metadata.items() if key not in _RECOMPUTED})
    print(f"  written; linear.npz arrays identical to the old ones ({new_linear.names.size} columns)")
    return True


def metadata_mode(folder: Path) -> str:
    """The mode a folder's metadata names (checked_files needs one for its default folder only)."""
    import json

    return json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["mode"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, default=[ROOT / "models" / "draft", ROOT / "models" / "facts"])
    args = parser.parse_args(argv)
    for folder in args.folders:
        convert(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
