"""A model folder's files, checked without loading anything: where they are, that neither is a pickle, and that
the model file's SHA-256 is the one its metadata records. Light to import (no scikit-learn, no spaCy), so a
batch can refuse a bad model before it starts its worker processes."""
from __future__ import annotations

import hashlib
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

from nlp_pipeline.errors import ModelError

MODEL_FILE, METADATA_FILE = "model.skops", "metadata.json"
LINEAR_FILE = "linear.npz"  # the arrays predicting reads (nlp_pipeline.linear)
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
    """The model's ``linear.npz`` (:mod:`nlp_pipeline.linear`) once its SHA-256 matches the metadata's; None for a
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


def checked_files(path: str | Path | None = None, mode: str = "draft") -> tuple[Path, dict[str, Any]]:
    """The model file and the metadata of a model folder (default: :func:`default_model_dir`), after the
    checks that need no loading; raises :class:`ModelError` naming what is wrong."""
    model_file, metadata_file = _resolve(path, mode)
    metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    with model_file.open("rb") as handle:
        if handle.read(2) in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
            raise ModelError(f"{model_file}: this is a pickle, not a skops file; refused")
    if sha256(model_file) != metadata.get("sha256"):
        raise ModelError(f"{model_file}: SHA-256 does not match {METADATA_FILE}; the file was altered or mismatched")
    return model_file, metadata
