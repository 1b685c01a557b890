"""Per-item facts derived from the extracted spans: the requested service and amount, prior amounts,
cited guidelines, and the request measured against the guideline allowance."""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any
from nlp_pipeline.facts.recommendations import rationale_conditions, recommendation
from nlp_pipeline.facts.allowances import applicable_allowance, compare_to_allowance, post_surgical_allowance
from nlp_pipeline.letter.dates import days_between, years_between
from nlp_pipeline.letter.parse import header_span
from nlp_pipeline.extraction.amounts import NUMBER
from nlp_pipeline.extraction.rules import pattern_rows
from nlp_pipeline.types import (Amount, Entity, GuidelineCitation, Item, ItemFacts, Letter, PageCitation, TextSpan,
                                Treatment, Verdict)

_CONTEXT_CATEGORIES = {"surgery_related", "office_visit"}
_WORKUP = {"testing", "imaging", "electrodiagnostics"}  # one a surgical service names is the surgery's workup
_MODIFIER = re.compile(r"-[a-z]", re.IGNORECASE)  # "wheelchair-accessible van": the first word of a compound adjective
_GENERIC_SURGERY = {"surgery", "surgeries", "surgical"}  # words that name no procedure


def years_since_injury(letter: Letter) -> float | None:
    """Years from the date of injury to the decision (or assignment) date."""
    return years_between(letter.date_of_injury, letter.decision_date or letter.date_assigned)


def weeks_injury_to_review(letter: Letter, summary: tuple[Entity, ...]) -> float | None:
    """Weeks from the injury to the utilization review's denial: from the header, else from the case
    summary's dates of those roles ("injured on 11-8-16", "utilization review (12-1-16) denied")."""
    (injury, _), (review, _) = _injury_and_review(letter, summary)
    days = days_between(injury, review)
    return None if days is None or days < 0 else round(days / 7, 1)


def injury_to_review_spans(letter: Letter, summary: tuple[Entity, ...]) -> tuple[tuple[int, int], ...]:
    """Where the letter gives the two dates :func:`weeks_injury_to_review` reads (injury first)."""
    return tuple(span for _, span in _injury_and_review(letter, summary) if span)


def _injury_and_review(letter: Letter, summary: tuple[Entity, ...]):
    """((injury date, its offsets), (denial date, its offsets)); a header field wins over a summary date."""
    def dated(field: str, role: str) -> tuple[str | None, tuple[int, int] | None]:
        if getattr(letter, field):
            return getattr(letter, field), header_span(letter.text, field)
        entity = next((e for e in summary if e.label == "DATE" and e.role == role and e.value), None)
        return (entity.value["date"], (entity.start, entity.end)) if entity else (None, None)

    return dated("date_of_injury", "injury"), dated("ur_denial_date", "utilization_review")


@lru_cache(maxsize=1)
def _medication_shapes() -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((row["kind"], re.compile(row["regex"], re.IGNORECASE)) for row in pattern_rows("medication_shape"))


@lru_cache(maxsize=1)
def _heads() -> tuple[tuple[re.Pattern, dict[str, str]], ...]:
    return tuple((re.compile(rf"\b(?:{row['head']})\b", re.IGNORECASE), {"category": row["category"], "name": row["name"]})
                 for row in pattern_rows("heads"))


def head_treatment(title: str) -> Treatment | None:
    """The kind of service a title names by its head word alone (``patterns/heads.jsonl``: "Speech *therapy*",
    "Wound care *supplies*", "Stellate ganglion *block*"), for a title that names no known treatment: the head
    word found first in the title decides; None when there is none."""
    found = [(match, value) for pattern, value in _heads() for match in [pattern.search(title)] if match]
    if not found:
        return None
    match, value = min(found, key=lambda pair: pair[0].start())
    return Treatment(**value, head=match.group(0))


def medication_shape(text: str) -> tuple[str, ...]:
    """What in ``text`` has the shape of a medication order (``patterns/medication_shape.jsonl``): a
    ``strength`` ("750mg", "5%"), a dosage ``form`` ("cream", "capsules"), a ``route`` ("by mouth"), a
    ``dispense`` quantity ("#45", "QTY: 60")."""
    return tuple(kind for kind, pattern in _medication_shapes() if pattern.search(text))


def requested_treatment(heading: list[Entity], rest: list[Entity], title: str = "", text: str = ""
                        ) -> Treatment | None:
    """The service an item requests, read from its heading, never from what the IMR wrote (its guideline line
    and rationale), so the request reads the same before review as after:

    - the first treatment the heading names, where a surgical-context word ("Associated surgical service",
      "evaluation") yields to the service it qualifies, a treatment word that begins a compound adjective in
      ``text`` (the letter) qualifies the noun after it ("wheelchair-accessible van transportation"), and a
      test, image or electrodiagnostic study a surgical service names is that surgery's workup ("Pre-operative
      EKG");
    - else, when the title has the shape of a medication order (a strength or a dosage form,
      :func:`medication_shape`), a medication whose name and class stay unknown;
    - else the service its head word names (:func:`head_treatment`);
    - else the first treatment the claims administrator's guideline line names."""
    named = [e for e in heading if e.label == "TREATMENT"]
    named = [e for e in named if not _MODIFIER.match(text, e.end)] or named
    if not named:
        shape = medication_shape(title)
        if "strength" in shape or "form" in shape:
            return Treatment("medication", "unknown", shape=shape)
        head = head_treatment(title)
        if head is not None:
            return head
        named = [e for e in rest if e.label == "TREATMENT" and e.region == "ca_guideline"][:1]
    if not named:
        return None
    main = next((e for e in named if e.value["category"] not in _CONTEXT_CATEGORIES), named[0])
    if main.value["category"] == "surgery":  # "arthroscopic rotator cuff repair": the named procedure
        main = next((e for e in named if e.value["category"] == "surgery" and e.value["name"] != "surgery"), main)
    treatment = Treatment(**main.value)
    context = [e.value["category"] for e in named if e.value["category"] in _CONTEXT_CATEGORIES]
    visit = next((e for e in named if e.value["category"] == "office_visit"), None)
    generic = main.value["category"] == "surgery" and main.text.lower().split()[-1] in _GENERIC_SURGERY
    if visit is not None and generic:  # "Spine surgery evaluation": a visit to a surgeon, no procedure named
        return Treatment(**visit.value, context="surgery")
    surgical = next((e for e in named if e.value["category"] == "surgery_related"), None)
    if surgical is not None and treatment.category in _WORKUP:  # "Pre-operative EKG": the surgery's workup
        return Treatment(**surgical.value)
    if context and context[0] != treatment.category:
        return replace(treatment, context=context[0])
    return treatment


def requested_amount(item: Item, heading: list[Entity], summary: list[Entity], category: str | None) -> Amount | None:
    """The disputed amount (the value of :func:`requested_entity`)."""
    entity = requested_entity(item, heading, summary, category)
    return count_amount(entity.value) if entity is not None else None


def requested_entity(item: Item, heading: list[Entity], summary: list[Entity], category: str | None) -> Entity | None:
    """The COUNT that states the disputed amount: in the remaining portion of a modified request, else the
    heading, else the case summary's request for the same treatment."""
    counts = [e for e in heading if e.label == "COUNT"]
    if item.remaining_portion is not None:  # "(unspecified quantity)": never the authorized portion's amount
        counts = _within(counts, item.remaining_portion)
    if counts:
        return counts[-1] if item.remaining_portion is not None else counts[0]
    for entity in summary:
        if (entity.label == "COUNT" and entity.role == "requested" and entity.value
                and entity.value.get("treatment") == category):
            return entity
    return None


def count_amount(value: dict[str, Any]) -> Amount:
    """A COUNT entity's value as an :class:`~nlp_pipeline.types.Amount` (its lists as tuples)."""
    return Amount(**{key: tuple(v) if isinstance(v, list) else v for key, v in value.items()})


def earlier_amount(prior: tuple[Amount, ...]) -> int | None:
    """Visits of the requested treatment the case had before (``prior``: the letter's COUNTs with the prior role),
    None when the letter states none (:attr:`ItemFacts.prior_visits`). A course is its amount and when it happened:
    the summary and the rationale often state the same course ("has completed 12 sessions"), which counts once,
    while courses of other years add up ("8 sessions in 2013 and 12 sessions in 2015")."""
    courses = {(p.max, p.year, p.date) for p in prior}
    return sum(amount for amount, _, _ in courses) if courses else None


def earlier_visits(item: Item, heading: list[Entity]) -> int:
    """Visits of the same request already authorized: the claims administrator's portion of a modified
    request ("Acupuncture for 6 sessions was authorized"), which the remaining portion adds to. (Courses the
    case summary reports as done were measured too, and lowered grouped-CV ROC-AUC in both modes: they mix
    body parts and years.)"""
    if item.authorized_portion is None:
        return 0
    visits = [e for e in heading if e.label == "COUNT" and e.value and e.value.get("kind") == "visits"]
    inside = _within(visits, item.authorized_portion)
    return inside[0].value["max"] if inside else 0


def _within(entities: list[Entity], part: TextSpan) -> list[Entity]:
    """The entities that start inside ``part`` of the heading (a portion of a modified request)."""
    return [e for e in entities if part.start <= e.start < part.end]


def derive_item_facts(letter: Letter, item: Item, entities: tuple[Entity, ...], summary: tuple[Entity, ...],
                      verdict: Verdict, verdicts: tuple[TextSpan, ...], sentences: tuple[Entity, ...] = (),
                      procedures: tuple[str, ...] = ()) -> ItemFacts:
    """Everything the model and the explanations need to know about one item."""
    heading = [e for e in entities if e.region == "heading"]
    rest = [e for e in entities if e.region != "heading"]
    treatment = requested_treatment(heading, rest, item.title, letter.text)
    category = treatment.category if treatment else None
    requested = requested_amount(item, heading, list(summary), category)
    prior = tuple(
        count_amount(e.value) for e in (*summary, *rest)
        if e.label == "COUNT" and e.role == "prior" and e.value and e.value.get("treatment") == category
        and e.value.get("kind") == "visits"
    )
    # the rationale quotes guideline rules for every diagnosis: only the case's own words count here
    diagnoses = {e.value["name"] for e in (*summary, *heading) if e.label == "DIAGNOSIS"}
    improvement = any(
        e.label == "CUE" and e.value["cue"] == "functional_improvement" and e.assertion == "affirmed"
        for e in summary
    )
    # therapy after surgery follows the post-surgical allowances of the letter's procedure, never the chronic ones
    earlier = earlier_visits(item, heading)
    if treatment and treatment.context == "surgery_related":
        rule = post_surgical_allowance(category, procedures)
    else:
        rule = applicable_allowance(category, diagnoses, improvement)
    allowance = compare_to_allowance(requested, rule, earlier)
    summary_span = letter.summary
    guideline = recommendation(treatment, summary_span.text if summary_span else "", item.title,
                               offset=summary_span.start if summary_span else 0)
    return ItemFacts(
        index=item.index,
        entities=entities,
        treatment=treatment,
        requested=requested,
        prior=prior,
        prior_visits=earlier_amount(prior),
        guidelines=cited_guidelines(entities),
        allowance=allowance,
        verdict=verdict,
        verdict_sentences=verdicts,
        sentences=sentences,
        recommendation=guideline,
        rationale_conditions=rationale_conditions(guideline, sentences, verdicts),
        warnings=unread_warnings(item.title, treatment, requested),
    )


# an amount the title states: "#30", "QTY: 8", "x 6", "12 sessions", "six visits", "30 tablets"
_STATED_AMOUNT = re.compile(
    rf"#\s*\d|\b(?:qty|quantity)\b|\bx\s*\d|\b{NUMBER}"
    r"\s+(?:additional\s+)?(?:sessions?|visits?|treatments?|units?|tablets?|capsules?|patches|trips?|pills?|count)\b",
    re.IGNORECASE)


NO_CATEGORY = "not understood: no treatment category recognized in the item's title"
AMOUNT_NOT_READ = "not understood: the title states an amount that was not read"


def unread_warnings(title: str, treatment: Treatment | None, requested: Amount | None) -> tuple[str, ...]:
    """What the extraction did not understand in an item's title, given the ``treatment`` and ``requested`` amount
    read from it, as warnings naming it (:attr:`ItemFacts.warnings`): no treatment category (:data:`NO_CATEGORY`),
    or an amount the title states that no count or drug amount was read from (:data:`AMOUNT_NOT_READ`)."""
    warnings = []
    if treatment is None:
        warnings.append(NO_CATEGORY)
    if requested is None and _STATED_AMOUNT.search(title):
        warnings.append(AMOUNT_NOT_READ)
    return tuple(warnings)


def letter_procedures(entities: list[Entity]) -> tuple[str, ...]:
    """The named surgical procedures among a letter's item headings and case summary."""
    names = [e.value["name"] for e in entities if e.label == "TREATMENT" and e.value.get("category") == "surgery"
             and e.region in ("heading", "summary") and e.value.get("name") != "surgery"]
    return tuple(dict.fromkeys(names))


def cited_guidelines(entities: tuple[Entity, ...]) -> tuple[GuidelineCitation | PageCitation, ...]:
    """The guideline sources, chapters and pages cited in the two guideline lines."""
    cited: list[GuidelineCitation | PageCitation] = []
    for entity in entities:
        if entity.region not in ("ca_guideline", "maximus_guideline"):
            continue
        if entity.label == "GUIDELINE":
            cited.append(GuidelineCitation(entity.region, entity.text, **(entity.value or {})))
        elif entity.label == "CITATION" and "pages" in (entity.value or {}):
            value = entity.value
            cited.append(PageCitation(entity.region, entity.text, tuple(value["pages"]), value.get("source"),
                                      value.get("section")))
    return tuple(cited)
