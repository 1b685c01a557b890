"""The negation vocabulary, in one place: which words negate, and what a phrase's own negations mean.

``patterns/negation.jsonl`` lists the words: ``negation`` words ("not", "n't", "never", "no",
"neither"), the ``prefix`` "non" ("non-certified": it negates the word it is part of) and
``negative_predicate`` words that carry their negation inside them ("unnecessary", "unwarranted",
"denied"). A phrase's polarity is the parity of the two
inside the phrase itself: "is not medically necessary" and "is medically unnecessary" are negative,
"non-certification is not recommended" positive again. Words outside the phrase never count.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Iterable


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, frozenset[str]]:
    """``{"negation": words, "prefix": words, "negative_predicate": words}`` from ``patterns/negation.jsonl``."""
    text = resources.files("nlp_pipeline").joinpath("patterns/negation.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    kinds: dict[str, set[str]] = {"negation": set(), "prefix": set(), "negative_predicate": set()}
    for row in rows:
        kinds[row["kind"]].add(row["word"].lower())
    return {kind: frozenset(words) for kind, words in kinds.items()}


def negation_words() -> frozenset[str]:
    """Words that negate what follows them ("not", "never", "no", ...)."""
    return vocabulary()["negation"]


def negations_in(words: Iterable[str], kinds: tuple[str, ...] = ("negation", "prefix", "negative_predicate")) -> int:
    """How many negations of ``kinds`` the lower-cased ``words`` of one phrase hold."""
    vocab = vocabulary()
    wanted = frozenset().union(*(vocab[kind] for kind in kinds))
    return sum(1 for w in words if w in wanted)


def is_negated(words: Iterable[str], kinds: tuple[str, ...] = ("negation", "prefix", "negative_predicate")) -> bool:
    """Whether a phrase reads negatively: an odd number of negations of ``kinds`` inside it."""
    return negations_in(words, kinds) % 2 == 1
