"""The extraction pipeline: ``spacy.blank("en")`` + rule data + ``imr_*`` components, run per letter part; the
spans of a processed part as :class:`~nlp_pipeline.types.Entity` records in letter offsets. The facts derived from
them are :mod:`nlp_pipeline.facts.extract`'s."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

import nlp_pipeline.extraction.components  # noqa: F401  (registers the imr_* factories)
from nlp_pipeline.extraction.extensions import REPORTED_KEYS, made_from
from nlp_pipeline.extraction.components.verdict import doc_verdict
from nlp_pipeline.errors import TooLarge
from nlp_pipeline.types import HEADING, ITEM_PARTS, SUMMARY, Entity, Letter, TextSpan, Verdict

COMPONENTS = ("imr_sentences", "imr_rulers", "imr_quantities", "imr_dates", "imr_citations", "imr_roles",
              "imr_assertions", "imr_stance", "imr_verdict")


def new_nlp() -> Language:
    """A new extraction pipeline: ``spacy.blank("en")``, the ``imr_*`` components in order, initialized with the
    package's rule data. ``nlp.to_disk(DIR)`` saves it and ``spacy.load(DIR)`` loads it back (the factories are
    registered through the ``spacy_factories`` entry point)."""
    nlp = spacy.blank("en")
    for component in COMPONENTS:
        nlp.add_pipe(component)
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def build_nlp() -> Language:
    """The extraction pipeline, built once per process (:func:`new_nlp`)."""
    return new_nlp()


def letter_regions(letter: Letter) -> list[tuple[str, int | None, TextSpan]]:
    """The parts of a letter the pipeline reads: (region, item index or None, span of letter text).

    An item's heading stops before its stated decision, so decision words never reach the facts.
    """
    regions: list[tuple[str, int | None, TextSpan]] = []
    if letter.summary is not None:
        regions.append((SUMMARY.region, None, letter.summary))
    for item in letter.items:
        for part in ITEM_PARTS:
            span = getattr(item, part.attribute)
            if span is None:
                continue
            if part is HEADING:
                span = TextSpan(span.start, item.title_end, letter.text[span.start:item.title_end])
            regions.append((part.region, item.index, span))
    return regions


def process_regions(nlp: Language, regions: list[tuple[str, int | None, TextSpan]],
                    docs: dict | None = None) -> Iterable[Doc]:
    """Each region of :func:`letter_regions` processed by ``nlp``, in order. ``docs``, when given, keeps each
    processed part by its region and text, and a part found there is not processed again. A part longer than
    ``nlp.max_length`` is refused (:class:`~nlp_pipeline.errors.TooLarge` naming it) before any is read."""
    for region, _, span in regions:
        if len(span.text) > nlp.max_length:
            raise TooLarge(f"the letter's {region} part is too long: {len(span.text):,} characters, the limit is "
                           f"{nlp.max_length:,} in one part")
    return _processed(nlp, regions) if docs is None else _processed_once(nlp, regions, docs)


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
