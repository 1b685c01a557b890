"""A letter's facts: the extraction pipeline over every part of the letter, then each item's facts derived."""
from __future__ import annotations

from typing import Any

from spacy.language import Language

from nlp_pipeline.extraction.pipeline import (build_nlp, doc_entities, item_verdict, letter_regions,
                                              process_regions, span_entity)
from nlp_pipeline.extraction.extensions import SENTENCES_KEY
from nlp_pipeline.facts.derive import (derive_item_facts, injury_to_review_spans, letter_procedures,
                                       weeks_injury_to_review, years_since_injury)
from nlp_pipeline.types import Entity, ItemFacts, Letter, LetterFacts, TextSpan, Verdict


def extract_letter(letter: Letter, nlp: Language | None = None, docs: dict | None = None) -> LetterFacts:
    """Run the pipeline over every part of a letter and derive each item's facts.

    ``docs``, when given, keeps each processed part by its region and text, and a part found there is not
    processed again: the pipeline reads each part on its own, so an edited letter re-read with the ``docs``
    of the original gives what reading it from scratch gives (:mod:`nlp_pipeline.predict.what_if`)."""
    regions = letter_regions(letter)
    summary, by_item, verdicts, sentences = _read_regions(letter, regions, nlp, docs)
    procedures = letter_procedures([*summary, *(e for found in by_item.values() for e in found)])
    items = tuple(
        derive_item_facts(letter, item, tuple(by_item.get(item.index, ())), tuple(summary),
                          *verdicts.get(item.index, (Verdict(), ())), tuple(sentences.get(item.index, ())), procedures)
        for item in letter.items
    )
    return _letter_facts(letter, summary, items)


def extract_item(letter: Letter, index: int, reading: LetterFacts, nlp: Language | None = None,
                 docs: dict | None = None) -> LetterFacts:
    """The facts an edited letter gives item ``index``, the case summary and the letter, reading only those parts:
    for an edit (:mod:`nlp_pipeline.predict.what_if`) that leaves every other item's parts as they were in the letter
    ``reading`` was extracted from, so that predicting item ``index`` costs the same however many items the letter
    has.

    The other items keep their facts from ``reading`` (their offsets those of the unedited letter): item ``index``'s
    facts and features read of them only what their own parts decide (their treatment, the procedures their headings
    name), never their offsets, so predicting item ``index`` from these facts gives what :func:`extract_letter` of
    the edited letter gives. Not for anything else: every other item's facts are the unedited letter's."""
    regions = [region for region in letter_regions(letter) if region[1] in (None, index)]
    summary, by_item, verdicts, sentences = _read_regions(letter, regions, nlp, docs)
    item = letter.items[index]
    # the procedures in the letter's order: the summary's, then each item's (this one's as edited)
    entities = [e for other in reading.items
                for e in (by_item.get(index, ()) if other.index == index else other.entities)]
    procedures = letter_procedures([*summary, *entities])
    edited = derive_item_facts(letter, item, tuple(by_item.get(index, ())), tuple(summary),
                               *verdicts.get(index, (Verdict(), ())), tuple(sentences.get(index, ())), procedures)
    items = tuple(edited if other.index == index else other for other in reading.items)
    return _letter_facts(letter, summary, items)


def _read_regions(letter: Letter, regions, nlp: Language | None, docs: dict | None):
    """``regions`` processed (``docs``: see :func:`extract_letter`): the summary's entities, and per item its
    entities, its verdict and verdict sentences, its rationale's sentences."""
    processed = process_regions(nlp or build_nlp(), regions, docs)
    indices = dict.fromkeys(index for _, index, _ in regions if index is not None)
    by_item: dict[int, list[Entity]] = {index: [] for index in indices}
    verdicts: dict[int, tuple[Verdict, tuple[TextSpan, ...]]] = {}
    sentences: dict[int, list[Entity]] = {index: [] for index in indices}
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
    return summary, by_item, verdicts, sentences


def _letter_facts(letter: Letter, summary: list[Entity], items: tuple[ItemFacts, ...]) -> LetterFacts:
    return LetterFacts(summary_entities=tuple(summary), items=items, years_since_injury=years_since_injury(letter),
                       weeks_injury_to_review=weeks_injury_to_review(letter, tuple(summary)),
                       injury_to_review_spans=injury_to_review_spans(letter, tuple(summary)))


def entities_to_dict(letter: Letter, facts: LetterFacts) -> dict[str, Any]:
    """JSON-ready extraction results: ``summary_entities`` and, per item, ``entities`` and derived facts."""
    out = facts.to_dict()
    for item in out["items"]:
        item.pop("index", None)
    return out
