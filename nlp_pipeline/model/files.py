"""A model folder's files: where they are, checked without loading anything (neither is a pickle, the model
file's SHA-256 is the one its metadata records, and every file of the folder, ``metadata.json`` included, is the
one its ``manifest.json`` records), and how they are saved and the skops file read. Light to import
(scikit-learn, skops and spaCy are imported only by the functions that need them), so a batch can refuse a bad
model before it starts its worker processes."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import warnings
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp_pipeline.errors import ModelError

if TYPE_CHECKING:
    from nlp_pipeline.model.linear import LinearModel

MODEL_FILE, METADATA_FILE = "model.skops", "metadata.json"
# every other file of a model folder and its SHA-256: written by save_model (and again by training, once its reports
# are beside the model), checked by checked_files; write_manifest rewrites it for a folder edited on purpose
MANIFEST_FILE = "manifest.json"
LINEAR_FILE = "linear.npz"  # the arrays predicting reads (nlp_pipeline.model.linear)
# the shipped models: package data (the checkout's models/ folder, installed as nlp_pipeline.shipped_models)
MODELS_DIR = Path(str(files("nlp_pipeline.shipped_models")))
# a folder laid out as the shipped one (draft/, facts/): the models used when no --model is named
MODELS_ENV = "IMR_MODELS_DIR"
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".jbl", ".sav", ".dill"}


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_model_dir(mode: str) -> Path:
    """The model folder used when none is named: ``$IMR_MODELS_DIR/<mode>`` when that variable is set, else the
    shipped ``<mode>`` model."""
    own = os.environ.get(MODELS_ENV)
    if own:
        folder = Path(own).expanduser()
        if not folder.is_dir():
            raise ModelError(f"{MODELS_ENV}={own}: no such folder (it should hold one model folder per mode: "
                             "draft/, facts/)")
        return folder / mode
    return MODELS_DIR / mode


def _resolve(path: str | Path | None, mode: str) -> tuple[Path, Path]:
    folder = Path(path) if path is not None else default_model_dir(mode)
    if folder.suffix.lower() in _PICKLE_SUFFIXES:
        raise ModelError(f"{folder}: pickle/joblib model files are refused: they can run arbitrary code when "
                         "loaded; use a model folder written by `imr train` (skops format)")
    if folder.is_file():
        folder = folder.parent if folder.name == MODEL_FILE else folder
    if folder.is_file():
        raise ModelError(f"{folder}: not a model folder (expected {MODEL_FILE} and {METADATA_FILE})")
    model_file, metadata_file = folder / MODEL_FILE, folder / METADATA_FILE
    for needed in (model_file, metadata_file):
        if not needed.is_file():
            raise ModelError(f"{folder}: missing {needed.name}")
    return model_file, metadata_file


def checked_linear(model_file: Path, metadata: dict[str, Any]) -> Path | None:
    """The model's ``linear.npz`` (:mod:`nlp_pipeline.model.linear`) once its SHA-256 matches the metadata's; None for a
    model saved without one (its skops file is then read); raises :class:`ModelError` for a missing or altered one."""
    expected = metadata.get("linear_sha256")
    if expected is None:
        return None
    path = model_file.parent / LINEAR_FILE
    if not path.exists():
        raise ModelError(f"{path}: missing (its SHA-256 is in {METADATA_FILE})")
    if sha256(path) != expected:
        raise ModelError(f"{path}: SHA-256 does not match {METADATA_FILE}; the file was altered or mismatched")
    return path


# the keys every model's metadata.json holds: the model file's SHA-256, the mode it reads, the cut it is judged at
REQUIRED_METADATA = ("sha256", "mode", "threshold")


def checked_metadata(metadata_file: Path) -> dict[str, Any]:
    """A model folder's ``metadata.json``, read and checked: a JSON object holding :data:`REQUIRED_METADATA`, its
    mode one of the known modes, its threshold a number strictly between 0 and 1 (0 or 1 would make every item
    one outcome); raises :class:`ModelError` naming the file and what is wrong."""
    from nlp_pipeline.modes import MODE_NAMES

    try:
        metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ModelError(f"{metadata_file}: not UTF-8 text; the model folder is damaged") from None
    except ValueError as err:
        raise ModelError(f"{metadata_file}: not valid JSON ({err}); the model folder is damaged") from None
    except OSError as err:
        raise ModelError(f"{metadata_file}: cannot be read ({err.strerror or err})") from None
    if not isinstance(metadata, dict):
        raise ModelError(f"{metadata_file}: not a JSON object; the model folder is damaged")
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ModelError(f"{metadata_file}: missing {', '.join(missing)}; the model folder is damaged")
    if metadata["mode"] not in MODE_NAMES:
        raise ModelError(f"{metadata_file}: mode {metadata['mode']!r} is not one of {', '.join(MODE_NAMES)}")
    threshold = metadata["threshold"]
    if (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
            or not 0.0 < float(threshold) < 1.0):
        raise ModelError(f"{metadata_file}: threshold {threshold!r} is not a number strictly between 0 and 1")
    return metadata


def folder_files(folder: str | Path) -> list[str]:
    """The names of the files of a model folder that its manifest covers: every entry but the manifest itself,
    hidden ones (``.DS_Store``) and ``__pycache__``, in sorted order (a folder inside counts: it is refused)."""
    return sorted(entry.name for entry in Path(folder).iterdir()
                  if entry.name != MANIFEST_FILE and not entry.name.startswith(".") and entry.name != "__pycache__")


def write_manifest(folder: str | Path) -> str:
    """Write ``manifest.json`` in ``folder``: every file of it (:func:`folder_files`) and its SHA-256. Returns the
    manifest's own SHA-256 (what ``imr --version`` shows). For a folder edited on purpose: the loader refuses any
    file that differs from the manifest, so after a deliberate change (and a look at what changed) it is written
    again (``python -m nlp_pipeline.model.files FOLDER``)."""
    folder = Path(folder)
    listed = {}
    for name in folder_files(folder):
        if not (folder / name).is_file():
            raise ModelError(f"{folder / name}: a model folder holds files only")
        listed[name] = sha256(folder / name)
    target = folder / MANIFEST_FILE
    target.write_text(json.dumps({"files": listed}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return sha256(target)


def checked_manifest(folder: str | Path) -> str:
    """Check every file of a model folder against its ``manifest.json``: each listed file present with its SHA-256,
    no other file beside them. Returns the manifest's own SHA-256; raises :class:`ModelError` naming the file that
    is missing, changed or added (or the manifest, when it is missing or not a manifest)."""
    folder = Path(folder)
    manifest_file = folder / MANIFEST_FILE
    regenerate = f"if it was changed on purpose, write the manifest again: python -m nlp_pipeline.model.files {folder}"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{manifest_file}: missing (every model folder lists its files and their SHA-256 there; "
                         f"{regenerate})") from None
    except (OSError, ValueError) as err:
        raise ModelError(f"{manifest_file}: not a manifest ({err}); the model folder is damaged") from None
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise ModelError(f"{manifest_file}: not a manifest (no \"files\" object of names and SHA-256); the model "
                         "folder is damaged")
    for name, expected in sorted(listed.items()):
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise ModelError(f"{path}: missing (listed in {MANIFEST_FILE})")
        if sha256(path) != expected:
            raise ModelError(f"{path}: SHA-256 does not match {MANIFEST_FILE}; the file was changed after the model "
                             f"was saved ({regenerate})")
    extra = [name for name in folder_files(folder) if name not in listed]
    if extra:
        raise ModelError(f"{folder / extra[0]}: not in {MANIFEST_FILE}" + (f" (nor {len(extra) - 1} more)"
                                                                           if len(extra) > 1 else "")
                         + f"; a file was added to the model folder ({regenerate})")
    return sha256(manifest_file)


def checked_files(path: str | Path | None = None, mode: str = "draft") -> tuple[Path, dict[str, Any]]:
    """The model file and the metadata of a model folder (default: :func:`default_model_dir`), after the
    checks that need no loading: the metadata's content (:func:`checked_metadata`), then every file of the folder
    against its manifest (:func:`checked_manifest`); raises :class:`ModelError` naming what is wrong."""
    model_file, metadata_file = _resolve(path, mode)
    metadata = checked_metadata(metadata_file)
    checked_manifest(model_file.parent)
    with model_file.open("rb") as handle:
        if handle.read(2) in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
            raise ModelError(f"{model_file}: this is a pickle, not a skops file; refused")
    if sha256(model_file) != metadata.get("sha256"):
        raise ModelError(f"{model_file}: SHA-256 does not match {METADATA_FILE}; the file was altered or mismatched")
    return model_file, metadata


TRUSTED_TYPES = [
    "numpy.dtype", "numpy.float64", "numpy.int64", "numpy.ndarray", "builtins.dict", "builtins.list", "builtins.tuple",
    "builtins.float", "builtins.int", "builtins.str", "builtins.bool", "builtins.NoneType",
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression", "sklearn.pipeline.Pipeline",
    "nlp_pipeline.model.estimator.FamilyWeights", "nlp_pipeline.model.estimator.SignConstrainedLogisticRegression",
    "nlp_pipeline.model.estimator.NamedColumns", "nlp_pipeline.model.estimator.SigmoidCalibrated",
]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model file depends on (read from their installed metadata: nothing imported)."""
    import platform
    from importlib.metadata import version

    return {"python": platform.python_version(),
            **{name: version(name) for name in ("scikit-learn", "skops", "numpy", "scipy", "spacy")}}


def load_estimator(model_file: Path, metadata: dict[str, Any]):
    """The fitted scikit-learn pipeline of a model's skops file, its types audited before anything is built."""
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    _warn_on_version_drift(metadata.get("versions", {}))
    try:  # skops audits the file's types against the trusted list before it builds anything
        return skops.io.load(model_file, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as err:
        raise ModelError(f"{model_file}: contains types that are not trusted ({err})") from None


def linear_model_of(estimator) -> LinearModel:
    """The arrays the prediction path reads, taken from a fitted pipeline."""
    from nlp_pipeline.model.linear import LinearModel
    from nlp_pipeline.model.estimator import linear_parts

    return LinearModel.from_parts(linear_parts(estimator))


def _warn_on_version_drift(saved: dict[str, str]) -> None:
    current = library_versions()
    drift = [f"{name} {saved[name]} → {current[name]}" for name in ("scikit-learn", "skops", "numpy")
             if name in saved and saved[name] != current.get(name)]
    if drift:
        warnings.warn("model was saved with other library versions (" + ", ".join(drift) + "); "
                      "predictions may differ: retrain with `imr train`", stacklevel=3)


def save_model(estimator, out_dir: str | Path, metadata: dict[str, Any]) -> Path:
    """Write ``model.skops``, the arrays the prediction path reads (``linear.npz``), ``metadata.json`` (with
    both files' SHA-256 and the library versions) and the folder's ``manifest.json`` (every file in it, these
    included, and its SHA-256: :func:`write_manifest`; a file added to the folder later needs it written again)."""
    import skops.io

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_file = out / MODEL_FILE
    skops.io.dump(estimator, model_file)
    untrusted = [t for t in skops.io.get_untrusted_types(file=model_file) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ModelError(f"the model holds types outside the trusted list: {untrusted}")
    linear = linear_model_of(estimator).save(out)
    full = {**metadata, "sha256": sha256(model_file), "linear_sha256": sha256(linear), "versions": library_versions()}
    (out / METADATA_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_manifest(out)
    return out


def usual_rate_of(model_dir: str | Path) -> float | None:
    """The usual rate of Overturned: the share of Overturned among the labelled items a model was trained on,
    from its folder's metadata (``overturned_rate``) or else its training report (``report.json`` where it is
    kept, else ``report.md``, which a wheel ships); None when the folder holds none of them."""
    folder = Path(model_dir)
    try:
        rate = json.loads((folder / "metadata.json").read_text(encoding="utf-8")).get("overturned_rate")
        if rate is not None:
            return float(rate)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        return report["variants"]["full"]["overturned"] / report["labelled_items"]
    except (OSError, KeyError, ValueError, ZeroDivisionError):
        pass
    try:
        found = re.search(r"\((\d+) items, (\d+) Overturned", (folder / "report.md").read_text(encoding="utf-8"))
    except OSError:
        return None
    return int(found[2]) / int(found[1]) if found and int(found[1]) else None


def main(argv: list[str] | None = None) -> int:
    """``python -m nlp_pipeline.model.files FOLDER...``: write each model folder's manifest again (after a change
    made on purpose), printing each file's SHA-256 and the manifest's."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nlp_pipeline.model.files", description=(
        "Write the manifest.json of model folders changed on purpose: every file of the folder and its SHA-256, "
        "which the loader checks (it refuses a folder with a file changed, missing or added). Look at what "
        "changed first: the manifest then vouches for it."))
    parser.add_argument("folders", nargs="+", type=Path, metavar="FOLDER")
    args = parser.parse_args(argv)
    for folder in args.folders:
        try:
            checked_metadata(folder / METADATA_FILE)
            digest = write_manifest(folder)
        except (ModelError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        listed = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["files"]
        print(f"{folder / MANIFEST_FILE}: sha256 {digest}")
        print("".join(f"  {digest}  {name}\n" for name, digest in listed.items()), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
