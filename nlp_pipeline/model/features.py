"""The pure ``(letter, item, facts) → dict of features`` function both modes and every model share.

Modes decide which parts of a letter a feature may read:

- ``draft``: header, case summary, item title, both guideline lines and the rationale;
- ``facts``: header, case summary, item title and the claims administrator guideline only.

Stated decisions are never read: an item's title stops before its decision and the decision words
are masked wherever else they occur. Nor are the rationale's verdict sentences ("... is not medically
necessary."): ``imr_verdict`` reads those and the verdict decides on its own
(:mod:`nlp_pipeline.predict.outcome`); the draft model reads the reasoning around them, so it scores a
finished letter and a draft not yet concluded alike.

Each mode also picks feature families (:attr:`nlp_pipeline.modes.Mode.families`). The facts model learns from a few dozen
Overturned items, so it keeps the request's shape (surgical context, modified or retrospective
request, amount against the allowance, how many items the letter disputes and whether one is a
surgery) and two facts of the case (objective findings the summary documents, weeks from the injury
to the denial): adding the service category, header, case-summary cue, diagnosis, guideline-source or
word features lowered its grouped-CV ROC-AUC.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from nlp_pipeline.facts.recommendations import argues_for, entry_by_id
from nlp_pipeline.model.feature_specs import FAMILY_OF, feature_key
from nlp_pipeline.modes import Mode, mode_of
from nlp_pipeline.types import (PARTS, RATIONALE, ConditionState, Entity, Item, ItemFacts, Letter, LetterFacts,
                                Recommendation, TextSpan)

# feature prefix → the part of the letter its words come from
TEXT_PARTS = {
    **{part.prefix: part.attribute for part in PARTS},
    # two views of the rationale: its last sentences ("end") and its sentences about the case ("case")
    "end": RATIONALE.attribute,
    "case": RATIONALE.attribute,
}
POLARITIES = ("for", "against", "neutral")
TYPICAL_RATIONALE_SENTENCES = 5  # the corpus median, verdict sentences left out
AGE_BANDS = (30, 40, 50, 60)  # header features read the age and the years since the injury in bands
INJURY_YEAR_BANDS = (1, 2, 5, 10)
TYPICAL_WEEKS_TO_REVIEW = 7  # the corpus median from injury to the utilization review
# the corpus requests were denied 1-15 weeks after the injury: later ones are read as this, not extrapolated
MAX_WEEKS_TO_REVIEW = 26
SURGICAL = {"surgery", "surgery_related"}
MAX_ITEMS_IN_LETTER, MAX_ITEM_POSITION = 5, 4  # the letter family's size and position buckets
END_SENTENCES = 3
# what the case summary says of earlier treatment (its cues, affirmed): conservative care tried and failed, or helped
_EARLIER_TREATMENT = {"treatment_failed": "earlier_treatment_failed", "treatment_helped": "earlier_treatment_helped"}
_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]|\d+(?:\.\d+)?")
_MASKED = {"upheld", "overturned", "uphold", "overturn"}
# every number reads as this one word: a count's value is read by the request's features, against the
# allowance; as a word of its own a number is a name whose weight could make fewer visits look worse
NUMBER = "#"
# every word naming a person's sex reads as this one word (shown as "[person]"): the patient's sex is no reason a
# reviewer gives, and the letters say "she" and "her" of half the patients (the facts model had weighed them
# toward Upheld); the age-and-sex phrase itself is cut out of the words (Letter.patient_phrase)
PERSON = "@"
SEXED_WORDS = frozenset({"he", "she", "his", "her", "hers", "him", "himself", "herself", "male", "female", "males",
                         "females", "man", "woman", "men", "women", "gentleman", "lady"})


@dataclass(frozen=True)
class ItemFeatures:
    """One item's features, and for each structured feature the letter spans behind it."""

    values: dict[str, float]
    evidence: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)


def family_of(name: str) -> str:
    """The family a feature belongs to (its key's row of :mod:`nlp_pipeline.model.feature_specs`; else ``words``
    for text n-grams, ``entities`` for what a region mentions)."""
    key = feature_key(name)
    if key in FAMILY_OF:
        return FAMILY_OF[key]
    return "words" if key in TEXT_PARTS and name[len(key):].startswith(":") else "entities"


def words(text: str, keep_numbers: bool = False) -> list[str]:
    """Lower-cased word tokens with the decision words masked out, every number read as ``NUMBER`` and every word
    naming a person's sex as ``PERSON`` (``keep_numbers``: as written, for the TF-IDF baseline, a plain bag of
    words)."""
    found = [w for w in _WORD.findall(text.lower()) if w not in _MASKED]
    if keep_numbers:
        return found
    return [NUMBER if w[0].isdigit() else PERSON if w in SEXED_WORDS else w for w in found]


def part_spans(letter: Letter, item: Item, prefix: str, item_facts: ItemFacts | None = None,
               drop: tuple[TextSpan, ...] = ()) -> list[TextSpan]:
    """The letter spans a text prefix reads, minus the ``drop`` spans (verdict sentences). ``end`` and
    ``case`` read the rationale's sentences as the pipeline split them (``item_facts``)."""
    if prefix in ("end", "case"):
        kept = [s for s in (item_facts.sentences if item_facts else ())
                if not any(cut.start <= s.start < cut.end for cut in drop)]
        if prefix == "case":
            kept = [s for s in kept if s.value["role"] == "case"]
        else:
            kept = kept[-END_SENTENCES:]
        return [TextSpan(s.start, s.end, s.text) for s in kept]
    if prefix == "sum":
        spans = [letter.summary] if letter.summary else []
    elif prefix == "title":
        spans = [TextSpan(item.heading.start, item.title_end, letter.text[item.heading.start:item.title_end])]
    else:
        part = getattr(item, TEXT_PARTS[prefix])
        spans = [part] if part else []
    for cut in drop:
        spans = [piece for span in spans for piece in _subtract(letter.text, span, cut)]
    return spans


def _subtract(text: str, span: TextSpan, cut: TextSpan) -> list[TextSpan]:
    if cut.end <= span.start or cut.start >= span.end:
        return [span]
    pieces = [(span.start, max(span.start, cut.start)), (min(span.end, cut.end), span.end)]
    return [TextSpan(s, e, text[s:e]) for s, e in pieces if e > s]


def item_features(letter: Letter, item: Item, facts: LetterFacts, mode: str | Mode = "draft") -> ItemFeatures:
    """All features of one item in ``mode``, its verdict sentences left out; a pure function of its arguments."""
    spec = mode_of(mode)
    item_facts = facts.items[item.index]
    drop = item_facts.verdict_sentences
    counts: dict[str, float] = {}
    evidence: dict[str, list[tuple[int, int]]] = {}

    def add(name: str, value: float = 1.0, span: tuple[int, int] | None = None) -> None:
        counts[name] = counts.get(name, 0.0) + value
        if span is not None:
            evidence.setdefault(name, []).append(span)

    families = spec.families
    if "header" in families:
        _add_header(add, letter, facts)
    _add_request(add, letter, item, facts)
    if "letter" in families:
        _add_letter(add, letter, item, facts)
    if "service" in families:
        _add_service(add, letter, item, facts)
    if "entities" in families:
        end = part_spans(letter, item, "end", item_facts, drop) if "rationale" in spec.regions else []
        _add_entities(add, facts, item_facts, spec.regions, drop, end)
    # counts and amounts enter on a log scale: repeated mentions and large requests with diminishing weight
    values = {name: round(math.log1p(value), 6) if value >= 1 else value for name, value in counts.items()}
    if "conditions" in families:
        values.update(_condition_features(item_facts, evidence))
    if "stance" in families:
        # with conditions_first, a sentence the knowledge base reads (a condition stated met or unmet) is read by its
        # condition alone, not by the stance markers (measured worse, not shipped: nlp_pipeline.modes)
        read = item_facts.rationale_conditions if "conditions" in families and spec.conditions_first else ()
        values.update(_stance_features(item_facts, evidence, read))
    if "case" in families:
        values.update(_case_features(facts, evidence))
    if "guideline" in families:
        values.update(_guideline_features(item, item_facts, evidence))
    # the patient's age and sex are no reason a reviewer gives: their phrase is cut out of the words as the verdicts are
    unsaid = (*drop, letter.patient_phrase) if letter.patient_phrase else drop
    for prefix in spec.text_parts if "words" in families else ():
        for span in part_spans(letter, item, prefix, item_facts, unsaid):
            tokens = words(span.text)
            for gram in {*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))}:
                values[f"{prefix}:{gram}"] = 1.0
    return ItemFeatures(values, {k: tuple(v) for k, v in evidence.items()})


def _add_header(add, letter: Letter, facts: LetterFacts) -> None:
    if facts.years_since_injury is not None:
        add(f"years_since_injury>={_bucket(facts.years_since_injury, INJURY_YEAR_BANDS)}")
    if letter.patient_age is not None:
        add(f"age>={_bucket(letter.patient_age, AGE_BANDS)}")
    if letter.patient_sex:
        add(f"sex={letter.patient_sex}")
    for specialty in letter.reviewer.specialties:
        add(f"reviewer={specialty.lower()}")
    if letter.priority:
        add(f"priority={letter.priority.lower()}")


def _add_letter(add, letter: Letter, item: Item, facts: LetterFacts) -> None:
    """The review around the item: how many services it disputes, the item's place, whether one is a surgery."""
    if len(letter.items) > 1:
        first_other = next(other for other in letter.items if other.index != item.index)
        add("other_items_in_letter", len(letter.items) - 1, span=_title_span(first_other))
    surgery = next((other for other in facts.items if other.treatment and other.treatment.category == "surgery"), None)
    if surgery is not None:
        add("letter_requests_surgery", span=_title_span(letter.items[surgery.index]))
    add(f"items_in_letter={min(len(letter.items), MAX_ITEMS_IN_LETTER)}")
    add(f"item_position={min(item.index, MAX_ITEM_POSITION)}")


def _add_request(add, letter: Letter, item: Item, facts: LetterFacts) -> None:
    """The request's shape: surgical context, modified or retrospective, amount against the allowance."""
    item_facts = facts.items[item.index]
    title = _title_span(item)
    if item.is_modified_request:
        add("modified_request", span=(item.heading.start, item.heading.end))
    if any(w in item.title.lower() for w in ("retrospective", "retro ")):
        add("retrospective", span=title)
    treatment = item_facts.treatment
    if treatment and (treatment.category in SURGICAL or treatment.context in SURGICAL):
        add("surgical_item", span=title)
    status = item_facts.allowance.status if item_facts.allowance else "unknown"
    if status in ("within", "above"):
        add("allowance_applies", span=title)
    if status == "above":
        add("allowance=above", span=title)


def _add_service(add, letter: Letter, item: Item, facts: LetterFacts) -> None:
    """The requested service itself: category, drug class, amounts, prior courses."""
    item_facts = facts.items[item.index]
    title = _title_span(item)
    treatment = item_facts.treatment
    add(f"treatment={treatment.category if treatment else 'none'}", span=title)
    if treatment and treatment.drug_class is not None:
        add(f"drug_class={treatment.drug_class}", span=title)
    if treatment and treatment.context is not None:
        add(f"treatment_context={treatment.context}", span=title)
    requested = item_facts.requested
    if requested and requested.kind == "visits":
        add("requested_visits", requested.max, span=title)
    elif requested and requested.kind == "drug":
        add("requested_drug_quantity", requested.quantity, span=title)
    if item_facts.prior:
        add("prior_visits", item_facts.prior_visits)
        add("has_prior_same_treatment")
    allowance = item_facts.allowance
    if allowance and allowance.excess:
        add("allowance_excess", allowance.excess, span=title)


def _title_span(item: Item) -> tuple[int, int]:
    """The heading up to its decision, without the ": " that introduces the decision."""
    title = item.heading.text[:item.title_end - item.heading.start]
    return item.heading.start, item.heading.start + len(title.rstrip(": \n"))


def _add_entities(add, facts: LetterFacts, item_facts: ItemFacts, allowed: frozenset[str], drop: tuple[TextSpan, ...],
                  end: list[TextSpan]) -> None:
    entities: list[Entity] = [*facts.summary_entities, *item_facts.entities]
    for entity in entities:
        if entity.region not in allowed or any(cut.start <= entity.start < cut.end for cut in drop):
            continue
        where = (entity.start, entity.end)
        region = entity.region
        if entity.label == "CUE":
            name = f"cue:{entity.value['cue']}={entity.assertion or 'affirmed'}"
            add(f"{region}:{name}", span=where)
            if any(s.start <= entity.start < s.end for s in end):
                add(f"rationale_end:{name}", span=where)
        elif entity.label == "GUIDELINE" and region in ("ca_guideline", "maximus_guideline"):
            add(f"{region}:source={entity.value['source']}", span=where)
            if entity.value.get("chapter"):
                add(f"{region}:chapter={entity.value['chapter']}", span=where)
        elif entity.label == "TREATMENT" and region == "summary":
            add(f"summary:treatment={entity.value['category']}={entity.assertion}", 0.2, span=where)
        elif entity.label == "DIAGNOSIS" and region in ("summary", "heading"):
            add(f"diagnosis={entity.value['name']}", span=where)
        elif entity.label == "BODY_PART" and region == "heading":
            add(f"body_part={entity.value['name']}", span=where)


def _stance_features(item_facts: ItemFacts, evidence: dict[str, list[tuple[int, int]]],
                     read: tuple[ConditionState, ...] = ()) -> dict[str, float]:
    """How the rationale's case sentences lean by the stance markers, verdict sentences left out (so the same with or
    without them), and the sentences holding a ``read`` condition left out too (the knowledge base read them)."""
    kept = [s for s in item_facts.sentences if not item_facts.in_verdict(s.start)]
    case = [s for s in kept if s.value["role"] == "case"
            and not any(s.start <= state.start < s.end for state in read)]
    # length against a typical rationale, so a usual one contributes nothing
    values = {"rationale_length": math.log1p(len(kept)) - math.log1p(TYPICAL_RATIONALE_SENTENCES)}
    for polarity in POLARITIES:
        mine = [s for s in case if s.value["polarity"] == polarity]
        if mine:
            values[f"case_sentences:{polarity}"] = math.log1p(len(mine))
            evidence[f"case_sentences:{polarity}"] = [(s.start, s.end) for s in mine]
    if case:
        last = case[-1]
        values[f"last_case_sentence={last.value['polarity']}"] = 1.0
        evidence[f"last_case_sentence={last.value['polarity']}"] = [(last.start, last.end)]
        lean = sum(s.value["polarity"] == "for" for s in case) - sum(s.value["polarity"] == "against" for s in case)
        values["case_sentences:balance"] = lean / len(case)
        evidence["case_sentences:balance"] = [(s.start, s.end) for s in case if s.value["polarity"] != "neutral"]
    else:
        values["no_case_sentences"] = 1.0
    return {name: round(value, 6) for name, value in values.items()}


def _case_features(facts: LetterFacts, evidence: dict[str, list[tuple[int, int]]]) -> dict[str, float]:
    """What the case summary documents: objective findings (a tear, instability, a positive test), whether
    earlier treatment failed or helped, and how long after the injury the request was denied (acute-phase
    guidelines turn on weeks of care)."""
    values: dict[str, float] = {}
    found = [e for e in facts.summary_entities if e.label == "FINDING" and e.assertion == "affirmed"]
    if found:
        values["objective_findings"] = math.log1p(len(found))
        evidence["objective_findings"] = [(e.start, e.end) for e in found]
    for cue, name in _EARLIER_TREATMENT.items():
        said = [e for e in facts.summary_entities
                if e.label == "CUE" and e.value["cue"] == cue and e.assertion == "affirmed"]
        if said:
            values[name] = 1.0
            evidence[name] = [(e.start, e.end) for e in said]
    weeks = facts.weeks_injury_to_review
    if weeks is not None:
        weeks = min(weeks, MAX_WEEKS_TO_REVIEW)
        values["weeks_to_review"] = round(math.log1p(weeks) - math.log1p(TYPICAL_WEEKS_TO_REVIEW), 6)
        evidence["weeks_to_review"] = list(facts.injury_to_review_spans)
    return values


def _guideline_features(item: Item, item_facts: ItemFacts, evidence: dict[str, list[tuple[int, int]]]
                        ) -> dict[str, float]:
    """What the guideline says of the request (its knowledge-base reading, ``ItemFacts.recommendation``,
    :mod:`nlp_pipeline.facts.recommendations`): its status (``guideline=not_recommended`` ...), and the share of the
    conditions the guideline sets for it that the case summary documents (``guideline_documented``) or says are
    not met (``guideline_contradicted``). A condition the guideline words against the request (the entry's
    ``against``: long-term use of a class it limits to short courses) counts the other way round: documented, it is
    a condition not met. Nothing when no entry matches. Written from the guideline's logic, its signs held by
    :mod:`nlp_pipeline.model.feature_specs`."""
    reading = item_facts.recommendation
    if reading is None:
        return {}
    status = f"guideline={reading.status}"
    values, title = {status: 1.0}, _title_span(item)
    evidence[status] = [title]
    values.update(_condition_shares(reading, reading.conditions, ("guideline_documented", "guideline_contradicted"),
                                    evidence))
    return values


def _condition_features(item_facts: ItemFacts, evidence: dict[str, list[tuple[int, int]]]
                        ) -> dict[str, float]:
    """What the rationale's sentences about the case state of the conditions the guideline sets for the request
    (``ItemFacts.rationale_conditions``, read through the knowledge base): the share of the entry's conditions stated
    met (``rationale_condition_met``) and unmet (``rationale_condition_unmet``), a condition the guideline words
    against the request counting the other way round (as :func:`_guideline_features`). Signs held by
    :mod:`nlp_pipeline.model.feature_specs`: a condition stated met never lowers P(Overturned), unmet never raises it."""
    reading = item_facts.recommendation
    if reading is None:
        return {}
    return _condition_shares(reading, item_facts.rationale_conditions,
                             ("rationale_condition_met", "rationale_condition_unmet"), evidence)


def _condition_shares(reading: Recommendation, states: tuple[ConditionState, ...], names: tuple[str, str],
                      evidence: dict[str, list[tuple[int, int]]]) -> dict[str, float]:
    """The share of the entry's conditions whose ``states`` argue for the request and against it
    (:func:`~nlp_pipeline.facts.recommendations.argues_for`; a condition stated in several places counts once),
    as the two features ``names``, with the words that state each as evidence."""
    entry = entry_by_id(reading.entry)
    sides: dict[bool, dict[str, list[tuple[int, int]]]] = {True: {}, False: {}}
    for state in states:
        side = argues_for(state, entry)
        if side is not None:
            spans = sides[side].setdefault(state.name, [])
            if state.start is not None:
                spans.append((state.start, state.end))
    values = {}
    for name, found in zip(names, (sides[True], sides[False])):
        if found:
            values[name] = round(len(found) / len(reading.conditions), 6)
            evidence[name] = [span for spans in found.values() for span in spans]
    return values


def _bucket(value: float, edges: tuple[float, ...]) -> float:
    return max([0, *(e for e in edges if value >= e)])
