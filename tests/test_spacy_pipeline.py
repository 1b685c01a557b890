"""The extraction pipeline is a spaCy pipeline like any other: it saves with ``imr pipeline save`` (``nlp.to_disk``)
and ``spacy.load`` in a fresh process gives the same spans as the package's own pipeline."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp_pipeline.app.cli import main
from nlp_pipeline.extraction.pipeline import COMPONENTS, build_nlp
from nlp_pipeline.facts.extract import entities_to_dict, extract_letter
from nlp_pipeline.letter.parse import load_letter
from tests.conftest import EXAMPLE_DRAFT, SEEDS_DIR

# run in a fresh interpreter: nothing of the package imported before spacy.load (the entry point finds the factories)
LOAD_AND_EXTRACT = """
import json, sys
import spacy
nlp = spacy.load(sys.argv[1])
from nlp_pipeline.facts.extract import entities_to_dict, extract_letter
from nlp_pipeline.letter.parse import load_letter
for path in sys.argv[2:]:
    letter = load_letter(path)
    print(json.dumps(entities_to_dict(letter, extract_letter(letter, nlp=nlp)), sort_keys=True))
"""
FACTORIES_FIRST = "import sys, spacy; spacy.load(sys.argv[1]); print(sorted(m for m in sys.modules if m.startswith('nlp_pipeline')) != [])"


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pipeline") / "imr-extraction"
    assert main(["pipeline", "save", str(folder)]) == 0
    return folder


def _loaded_elsewhere(folder: Path, paths: list[Path]) -> list[dict]:
    out = subprocess.run([sys.executable, "-c", LOAD_AND_EXTRACT, str(folder), *map(str, paths)],
                         capture_output=True, text=True, check=True, cwd=folder.parent)
    return [json.loads(line) for line in out.stdout.splitlines()]


def _here(paths: list[Path]) -> list[dict]:
    out = []
    for path in paths:
        letter = load_letter(path)
        out.append(json.loads(json.dumps(entities_to_dict(letter, extract_letter(letter, nlp=build_nlp())),
                                         sort_keys=True)))
    return out


def test_saved_pipeline_holds_every_component_and_its_rules(saved):
    config = (saved / "config.cfg").read_text(encoding="utf-8")
    assert all(f"factory = \"{name}\"" in config for name in COMPONENTS)
    assert (saved / "imr_rulers" / "groups.jsonl").stat().st_size > 10_000
    assert (saved / "imr_verdict" / "patterns.jsonl").stat().st_size > 1_000


def test_spacy_load_finds_the_components_through_the_entry_point(saved):
    """spacy.load imports the package by itself: the factories come from the spacy_factories entry point."""
    out = subprocess.run([sys.executable, "-c", FACTORIES_FIRST, str(saved)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def test_loaded_pipeline_reads_the_example_as_the_package_does(saved):
    found = _loaded_elsewhere(saved, [EXAMPLE_DRAFT])
    assert found == _here([EXAMPLE_DRAFT])
    assert sum(len(item["entities"]) for item in found[0]["items"]) > 10


def test_loaded_pipeline_reads_every_shared_letter_as_the_package_does(saved, letters_dir):
    paths = sorted(letters_dir.glob("*.pdf")) + sorted(SEEDS_DIR.glob("*.txt"))
    assert len(paths) >= 129
    assert _loaded_elsewhere(saved, paths) == _here(paths)


def test_rules_round_trip_through_disk(tmp_path):
    nlp = build_nlp()
    rulers = nlp.get_pipe("imr_rulers")
    rulers.to_disk(tmp_path / "rulers")
    fresh = type(rulers)(nlp)
    assert fresh.groups == {}
    fresh.from_disk(tmp_path / "rulers")
    assert fresh.groups == json.loads(json.dumps(rulers.groups))


def test_the_pipeline_order_checks_out():
    """Every component's requires is assigned by one before it (nlp.analyze_pipes)."""
    problems = build_nlp().analyze_pipes(pretty=False)["problems"]
    assert set(problems) == set(COMPONENTS) and not any(problems.values())
