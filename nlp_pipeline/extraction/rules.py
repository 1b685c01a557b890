"""The rule data: every ``nlp_pipeline/patterns/*.jsonl`` file is read here and nowhere else."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any


def pattern_rows(name: str) -> list[dict[str, Any]]:
    """The rows of ``nlp_pipeline/patterns/NAME.jsonl`` (a fresh list: callers may keep or change it)."""
    text = resources.files("nlp_pipeline").joinpath(f"patterns/{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def pattern_names() -> list[str]:
    """The names of the rule data files (``NAME`` of every ``patterns/NAME.jsonl``), sorted."""
    folder = resources.files("nlp_pipeline").joinpath("patterns")
    return sorted(entry.name[:-len(".jsonl")] for entry in folder.iterdir() if entry.name.endswith(".jsonl"))
