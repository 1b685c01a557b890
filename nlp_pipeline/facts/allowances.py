"""The recurring MTUS visit allowances (``data/allowances.jsonl``) and a request measured against them."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from nlp_pipeline.types import Allowance, Amount

# When several diagnoses are stated, the one with the most generous rule applies.
_DIAGNOSIS_ORDER = ("CRPS", "radiculitis", "myalgia")


@lru_cache(maxsize=1)
def allowance_table() -> tuple[dict[str, Any], ...]:
    """Every allowance row shipped with the package."""
    text = resources.files("nlp_pipeline").joinpath("data/allowances.jsonl").read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def applicable_allowance(category: str | None, diagnoses: set[str], improvement_documented: bool) -> dict | None:
    """The allowance for a treatment category given the letter's diagnoses; None when the table has none."""
    rows = [row for row in allowance_table() if row["category"] == category and "context" not in row]
    if not rows:
        return None
    for diagnosis in _DIAGNOSIS_ORDER:
        if diagnosis in diagnoses:
            match = next((row for row in rows if diagnosis in row.get("diagnoses", ())), None)
            if match:
                return match
    if improvement_documented:
        extended = next((row for row in rows if row.get("requires") == "functional_improvement"), None)
        if extended:
            return extended
    return next(row for row in rows if row.get("default"))


def post_surgical_allowance(category: str | None, procedures: Iterable[str]) -> dict | None:
    """The post-surgical allowance for therapy after one of the letter's ``procedures``; None when the
    table has none for them (the chronic-pain allowances never apply after surgery)."""
    procedures = set(procedures)
    return next((row for row in allowance_table() if row.get("context") == "surgery_related"
                 and row["category"] == category and procedures & set(row["procedures"])), None)


def compare_to_allowance(requested: Amount | None, allowance: dict | None, earlier: int = 0) -> Allowance:
    """The requested amount measured against an allowance row (:class:`~nlp_pipeline.types.Allowance`): an
    allowance covers a whole course, so ``earlier`` visits of the same course (the portion of a modified request
    already authorized) count against it with the requested ones."""
    found = {} if allowance is None else dict(allowed=tuple(allowance["visits"]), condition=allowance["condition"],
                                              citation=allowance["citation"])
    if requested is None or requested.kind != "visits":
        return Allowance(earlier=earlier, **found)
    if allowance is None:
        return Allowance(requested=requested.max, earlier=earlier)
    excess = earlier + requested.max - allowance["visits"][1]
    return Allowance("above" if excess > 0 else "within", requested.max, earlier, excess=max(excess, 0), **found)
