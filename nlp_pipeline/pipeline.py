"""The extraction pipeline: ``spacy.blank("en")`` + rule data + ``imr_*`` components, run per letter part."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

import nlp_pipeline.components  # noqa: F401  (registers the imr_* factories)
from nlp_pipeline.extensions import (CUES_KEY, FINDINGS_KEY, REPORTED_KEYS, SENTENCES_KEY, SPANS_KEY, STANCE_KEY,
                                     TRIGGERS_KEY, made_from)
from nlp_pipeline.negation import AFTER_KINDS, FINDING_KINDS, trigger_patterns
from nlp_pipeline.rules import pattern_rows
from nlp_pipeline.facts import (derive_item_facts, injury_to_review_spans, letter_procedures, weeks_injury_to_review,
                                years_since_injury)
from nlp_pipeline.components.verdict import doc_verdict
from nlp_pipeline.types import Entity, Letter, LetterFacts, TextSpan, Verdict

# span group → the pattern files imr_rulers fills it from; the negation words join the triggers and the stance
# words from the one vocabulary (nlp_pipeline.negation)
RULES = {
    SPANS_KEY: ("treatments", "guidelines", "anatomy"),
    CUES_KEY: ("cues",),
    FINDINGS_KEY: ("findings",),
    TRIGGERS_KEY: ("assertion_triggers", "roles"),
    STANCE_KEY: ("stance",),
}
# span groups that keep overlapping matches (the components resolve them); the others keep the first longest
_OVERLAPPING = {TRIGGERS_KEY, STANCE_KEY}
ITEM_PARTS = ("heading", "claims_administrator_guideline", "maximus_guideline", "rationale")
REGION_NAMES = {"heading": "heading", "claims_administrator_guideline": "ca_guideline",
                "maximus_guideline": "maximus_guideline", "rationale": "rationale"}
_NEGATIONS = {
    TRIGGERS_KEY: trigger_patterns("NEGATED_BEFORE", FINDING_KINDS) + trigger_patterns("NEGATED_AFTER", AFTER_KINDS),
    STANCE_KEY: trigger_patterns("STANCE_AGAINST"),
}


@lru_cache(maxsize=1)
def build_nlp() -> Language:
    """The extraction pipeline (built once per process)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("imr_sentences")
    rulers = nlp.add_pipe("imr_rulers")
    for key, files in RULES.items():
        rulers.add(key, [row for f in files for row in pattern_rows(f)] + _NEGATIONS.get(key, []),
                   keep_overlaps=key in _OVERLAPPING)
    for component in ("imr_quantities", "imr_dates", "imr_citations", "imr_roles", "imr_assertions", "imr_stance",
                      "imr_verdict"):
        nlp.add_pipe(component)
    return nlp


def letter_regions(letter: Letter) -> list[tuple[str, int | None, TextSpan]]:
    """The parts of a letter the pipeline reads: (region, item index or None, span of letter text).

    An item's heading stops before its stated decision, so decision words never reach the facts.
    """
    regions: list[tuple[str, int | None, TextSpan]] = []
    if letter.summary is not None:
        regions.append(("summary", None, letter.summary))
    for item in letter.items:
        for part in ITEM_PARTS:
            span = getattr(item, part)
            if span is None:
                continue
            if part == "heading":
                span = TextSpan(span.start, item.title_end, letter.text[span.start:item.title_end])
            regions.append((REGION_NAMES[part], item.index, span))
    return regions


def extract_letter(letter: Letter, nlp: Language | None = None, docs: dict | None = None) -> LetterFacts:
    """Run the pipeline over every part of a letter and derive each item's facts.

    ``docs``, when given, keeps each processed part by its region and text, and a part found there is not
    processed again: the pipeline reads each part on its own, so an edited letter re-read with the ``docs``
    of the original gives what reading it from scratch gives (:mod:`nlp_pipeline.what_if`)."""
    nlp = nlp or build_nlp()
    regions = letter_regions(letter)
    processed = _processed(nlp, regions) if docs is None else _processed_once(nlp, regions, docs)
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


def _processed(nlp: Language, regions: list[tuple[str, int | None, TextSpan]]) -> Iterable[Doc]:
    return nlp.pipe(_prepared(nlp, regions))


def _processed_once(nlp: Language, regions: list[tuple[str, int | None, TextSpan]], kept: dict) -> list[Doc]:
    keys = [(region, span.text) for region, _, span in regions]
    missing = [(key, part) for key, part in zip(keys, regions) if key not in kept]
    for (key, _), doc in zip(missing, _processed(nlp, [part for _, part in missing])):
        kept[key] = doc
    return [kept[key] for key in keys]


def _prepared(nlp: Language, regions: list[tuple[str, int | None, TextSpan]]) -> Iterable[Doc]:
    for region, _, span in regions:
        # one-for-one replacement keeps offsets and lets phrases match across PDF line breaks
        text = span.text.replace("\n", " ")
        doc = made_from(nlp.make_doc(text), text)
        doc._.imr_region = region
        yield doc


def doc_entities(doc: Doc, part: TextSpan, region: str) -> list[Entity]:
    """The reported spans of a processed doc as :class:`Entity` records with letter offsets."""
    spans = [span for key in REPORTED_KEYS for span in doc.spans.get(key, [])]
    spans.sort(key=lambda s: (s.start_char, -s.end_char))
    return [span_entity(span, part, region) for span in spans]


def span_entity(span: Span, part: TextSpan, region: str) -> Entity:
    """One span as an :class:`Entity` (the pattern id becomes part of the normalized value)."""
    extra, label, start, end = span._, span.label_, span.start_char, span.end_char  # each read once: spaCy
    value = dict(extra.imr_value or {})                                          # builds them on every access
    if label == "TREATMENT":
        category, _, name = span.id_.partition("|")
        family, _, drug_class = category.partition("/")
        value = {"category": family, "name": name, **({"drug_class": drug_class} if drug_class else {})}
    elif label in ("BODY_PART", "DIAGNOSIS", "FINDING"):
        value = {"name": span.id_}
    elif label == "CUE":
        value = {"cue": span.id_}
    elif label == "COUNT" and extra.imr_treatment:
        value["treatment"] = extra.imr_treatment.partition("|")[0].split("/")[0]
    return Entity(label=label, text=part.text[start:end], start=part.start + start, end=part.start + end,
                  value=value or None, role=extra.imr_role, assertion=extra.imr_assertion, region=region)


def item_verdict(doc: Doc, offset: int, text: str) -> tuple[Verdict, tuple[TextSpan, ...]]:
    """A processed rationale's verdict (``imr_verdict``'s reading) and its verdict sentences, in letter offsets."""
    reading = doc_verdict(doc)

    def letter_span(span: Span) -> TextSpan:
        start, end = offset + span.start_char, offset + span.end_char
        return TextSpan(start, end, text[start:end])

    sentences = tuple(letter_span(s) for s in reading.sentences)
    if reading.phrase is None:
        return Verdict(), sentences
    return (Verdict(reading.verdict, letter_span(reading.phrase), letter_span(reading.phrase.sent),
                    reading.phrase._.imr_value["kind"]), sentences)


def entities_to_dict(letter: Letter, facts: LetterFacts) -> dict[str, Any]:
    """JSON-ready extraction results: ``summary_entities`` and, per item, ``entities`` and derived facts."""
    out = facts.to_dict()
    for item in out["items"]:
        item.pop("index", None)
    return out
