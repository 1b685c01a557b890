"""The shipped models travel with the package (package data, not a checkout's folder), and one's own models are
named by --model or IMR_MODELS_DIR."""
from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from nlp_pipeline.errors import ModelError
from nlp_pipeline.predict.outcome import load_model
from nlp_pipeline.model.files import MODELS_DIR, MODELS_ENV, default_model_dir, write_manifest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parents[1]
NEEDED = ("model.skops", "metadata.json", "linear.npz")


def test_shipped_models_are_found_through_the_package_not_the_checkout():
    shipped = files("nlp_pipeline.shipped_models")
    for mode in ("draft", "facts"):
        for name in NEEDED:
            assert shipped.joinpath(mode, name).is_file(), (mode, name)
    assert MODELS_DIR == Path(str(shipped))


def test_the_wheel_declares_every_file_a_prediction_reads():
    """The package-data globs name each file load_model reads, for both modes (a missing glob is a wheel without
    models: `imr predict` then fails outside a checkout)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"]["nlp_pipeline.shipped_models"] == "models"
    for mode in ("draft", "facts"):
        package = f"nlp_pipeline.shipped_models.{mode}"
        assert package in config["packages"]
        assert set(NEEDED) <= set(config["package-data"][package])
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".") for p in (ROOT / "nlp_pipeline").rglob("__init__.py")}
    assert found <= set(config["packages"]), "a subpackage is missing from pyproject's packages list"


def test_imr_models_dir_names_ones_own_models(tmp_path, monkeypatch):
    own = tmp_path / "our-models"
    shutil.copytree(MODELS_DIR / "draft", own / "draft")
    metadata = (own / "draft" / "metadata.json")
    metadata.write_text(metadata.read_text(encoding="utf-8").replace('"seed": 0', '"seed": 41'), encoding="utf-8")
    write_manifest(own / "draft")  # changed on purpose: its manifest written again
    monkeypatch.setenv(MODELS_ENV, str(own))
    assert default_model_dir("draft") == own / "draft"
    assert load_model(mode="draft").metadata["seed"] == 41
    monkeypatch.delenv(MODELS_ENV)
    assert load_model(mode="draft").metadata["seed"] == 0


def test_imr_models_dir_naming_no_folder_is_an_error_that_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="nowhere: no such folder"):
        load_model(mode="draft")
