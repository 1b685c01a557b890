"""Explanations: the letter words behind each feature's exact contribution to an item's calibrated log-odds
(:meth:`nlp_pipeline.model.estimator.LinearParts.contributions` computes it; :mod:`nlp_pipeline.explain.reasons` words it)."""
from __future__ import annotations

import re

from nlp_pipeline.model.features import NUMBER, ItemFeatures, part_spans
from nlp_pipeline.types import Evidence, Item, ItemFacts, Letter

_NUMBER = r"\d+(?:\.\d+)?"  # what a NUMBER word of an n-gram stands for in the text


def evidence_for(feature: str, contribution: float, features: ItemFeatures, letter: Letter, item: Item,
                 item_facts: ItemFacts | None = None) -> Evidence:
    """The contribution of one feature with the letter spans that produced it (the first quoted); a word
    n-gram is found in the part it was read from, its verdict sentences left out as the features leave them."""
    spans = features.evidence.get(feature)
    if not spans and ":" in feature:
        prefix, gram = feature.split(":", 1)
        spans = _locate(letter, item, prefix, gram, item_facts)
    if spans:
        start, end = spans[0]
        return Evidence(feature, round(contribution, 6), letter.text[start:end], start, end, tuple(spans))
    return Evidence(feature, round(contribution, 6))


def _locate(letter: Letter, item: Item, prefix: str, gram: str, item_facts: ItemFacts | None
            ) -> tuple[tuple[int, int], ...]:
    drop = item_facts.verdict_sentences if item_facts else ()
    try:
        spans = part_spans(letter, item, prefix, item_facts, drop)
    except (KeyError, AttributeError):
        return ()
    pattern = re.compile(r"\b" + r"\W+".join(_NUMBER if w == NUMBER else re.escape(w) for w in gram.split()) + r"\b",
                         re.IGNORECASE)
    for span in spans:
        match = pattern.search(span.text)
        if match:
            return ((span.start + match.start(), span.start + match.end()),)
    return ()


__all__ = ["evidence_for"]
