"""A letter's facts: the extraction pipeline over every part of the letter, then each item's facts derived."""
from __future__ import annotations

from typing import Any

from spacy.language import Language

from nlp_pipeline.extraction.pipeline import (build_nlp, doc_entities, item_verdict, letter_regions,
                                              process_regions, span_entity)
from nlp_pipeline.extraction.extensions import SENTENCES_KEY
from nlp_pipeline.facts.derive import (derive_item_facts, injury_to_review_spans, letter_procedures,
                                       weeks_injury_to_review, years_since_injury)
from nlp_pipeline.types import Entity, Letter, LetterFacts, TextSpan, Verdict


def extract_letter(letter: Letter, nlp: Language | None = None, docs: dict | None = None) -> LetterFacts:
    """Run the pipeline over every part of a letter and derive each item's facts.

    ``docs``, when given, keeps each processed part by its region and text, and a part found there is not
    processed again: the pipeline reads each part on its own, so an edited letter re-read with the ``docs``
    of the original gives what reading it from scratch gives (:mod:`nlp_pipeline.predict.what_if`)."""
    nlp = nlp or build_nlp()
    regions = letter_regions(letter)
    processed = process_regions(nlp, regions, docs)
    by_item: dict[int, list[Entity]] = {item.index: [] for item in letter.items}
    verdicts: dict[int, tuple[Verdict, tuple[TextSpan, ...]]] = {}
    sentences: dict[int, list[Entity]] = {item.index: [] for item in letter.items}
    summary: list[Entity] = []
    for (region, index, span), doc in zip(regions, processed):
        entities = doc_entities(doc, span, region)
        if index is None:
            summary.extend(entities)
            continue
        by_item[index].extend(entities)
        if region == "rationale":
            verdicts[index] = item_verdict(doc, span.start, letter.text)
            sentences[index].extend(span_entity(s, span, region) for s in doc.spans.get(SENTENCES_KEY, []))
    procedures = letter_procedures([*summary, *(e for found in by_item.values() for e in found)])
    items = tuple(
        derive_item_facts(letter, item, tuple(by_item[item.index]), tuple(summary),
                          *verdicts.get(item.index, (Verdict(), ())), tuple(sentences[item.index]), procedures)
        for item in letter.items
    )
    return LetterFacts(summary_entities=tuple(summary), items=items, years_since_injury=years_since_injury(letter),
                       weeks_injury_to_review=weeks_injury_to_review(letter, tuple(summary)),
                       injury_to_review_spans=injury_to_review_spans(letter, tuple(summary)))


def entities_to_dict(letter: Letter, facts: LetterFacts) -> dict[str, Any]:
    """JSON-ready extraction results: ``summary_entities`` and, per item, ``entities`` and derived facts."""
    out = facts.to_dict()
    for item in out["items"]:
        item.pop("index", None)
    return out
