"""Plain sentences for evidence: what each feature says about the item, in words a claims professional
can check against the letter, ending with the direction it pushes and its log-odds.

Two kinds of evidence are no medical reason and are worded apart (:func:`is_context`): the review's layout
(the ``letter`` family: how many services it disputes, their order) and the stance features that only count
(the rationale's length, its neutral or missing sentences about the case). Each such sentence opens with
:data:`CONTEXT_PREFIX`. The text model's word n-grams are worded together, as one line about the wording
(:func:`wording_reason`), never as reasons of their own.
"""
from __future__ import annotations

from nlp_pipeline.facts.recommendations import argues_for, entry_by_id
from nlp_pipeline.model.features import (AGE_BANDS, INJURY_YEAR_BANDS, MAX_ITEM_POSITION, MAX_ITEMS_IN_LETTER,
                                   MAX_WEEKS_TO_REVIEW, TYPICAL_RATIONALE_SENTENCES,
                                   TYPICAL_WEEKS_TO_REVIEW, family_of)
from nlp_pipeline.model.feature_specs import PLAIN, VALUED, is_context
from nlp_pipeline.types import PARTS, RATIONALE, Evidence, ItemFacts, LetterFacts

CONTEXT_PREFIX = "Context, not a medical reason: "
QUOTE_LIMIT = 90  # characters of a quote, cut at a word boundary
_DATED = {"weeks_to_review"}  # its sentence names the dates it was read from: no quote after it


def is_wording(feature: str) -> bool:
    """Whether a feature is a word n-gram of the text model (worded together by :func:`wording_reason`)."""
    return family_of(feature) == "words"

_CUE_WORDS = {
    "functional_improvement": "functional improvement",
    "treatment_failed": "prior treatment failed",
    "treatment_helped": "prior treatment helped",
    "exceeds_guideline": "the request exceeds the guideline",
    "fits_guideline": "the request fits the guideline",
    "not_supported": "the guideline does not support it",
    "new_injury": "a new injury or flare-up",
    "red_flags": "red flags",
    "home_exercise": "a home exercise program",
    "medication_reduced": "reduced medication use",
    "medication_not_tolerated": "medication intolerance",
    "documentation": "documentation",
    "prior_treatment": "prior treatment",
    "trial": "a trial",
    "surgery_planned": "certified surgery",
    "long_term_use": "long-term use",
    "monitoring": "drug monitoring",
    "recent_imaging": "prior imaging",
    "unclear_request": "an unclear request",
    "verdict_necessary": "the request is medically necessary",
    "verdict_not_necessary": "the request is not medically necessary",
}
_STANCE_WORDS = {
    "for": "support the request", "against": "argue against it (missing support, excess, duplication)",
    "neutral": "state facts without taking a side",
}
_LAST_WORDS = {"for": "supports the request", "against": "argues against it", "neutral": "takes no side"}
_BANDS = {"age>": AGE_BANDS, "years_since_injury>": INJURY_YEAR_BANDS}
_TOP_BUCKET = {"items_in_letter": MAX_ITEMS_IN_LETTER, "item_position": MAX_ITEM_POSITION}
_VALUE_WORDS = {"nsaid": "NSAID", "gi_protectant": "GI protectant", "dme": "durable medical equipment",
                "wrist_hand": "wrist/hand", "ankle_foot": "ankle/foot", "none": "not recognized"}
# a negated cue read as what the letter notes is missing ("no documentation of functional improvement")
_NEGATED_CUE_WORDS = {
    "functional_improvement": "no functional improvement",
    "documentation": "missing documentation",
    "red_flags": "no red flags",
    "new_injury": "no new injury or flare-up",
    "prior_treatment": "no prior treatment",
    "home_exercise": "no home exercise program",
    "recent_imaging": "no prior imaging",
    "trial": "no trial",
    "treatment_helped": "that prior treatment did not help",
    "treatment_failed": "no failed prior treatment",
}
_ASSERTION_WORDS = {"affirmed": "states", "negated": "denies", "possible": "raises the possibility of"}
_MENTION_WORDS = {"affirmed": "mentions {}", "negated": "mentions {} as not given",
                  "possible": "mentions {} as possible"}
_REGION_WORDS = {**{part.region: part.words for part in PARTS}, "rationale_end": "The rationale's conclusion"}
_SOURCE_WORDS = {"none": "no guideline", "other": "a source other than MTUS, ACOEM or ODG"}


def reason(evidence: Evidence, facts: ItemFacts, letter_facts: LetterFacts | None = None,
           letter_text: str | None = None) -> str:
    """A plain sentence for one piece of evidence, ending with the direction it pushes (``letter_facts``
    gives the letter-wide numbers, such as the weeks from the injury to the denial; ``letter_text`` the dates
    they were read from). Context opens with :data:`CONTEXT_PREFIX`; a word n-gram reads as the wording line."""
    name = evidence.feature
    if is_wording(name):
        return wording_reason([name.split(":", 1)[1]], evidence.contribution, [wording_part(name)])
    direction = "toward Overturned" if evidence.contribution > 0 else "toward Upheld"
    quoted = f' ("{short_quote(evidence.text)}")' if evidence.text and name not in _DATED else ""
    text = (_amount_sentence(name, facts) or _guideline_sentence(name, facts)
            or _letter_sentence(name, letter_facts, evidence, letter_text)
            or _length_sentence(name, facts) or _stance_sentence(name, evidence) or _region_sentence(name)
            or PLAIN.get(name) or _valued_sentence(name) or name.replace("_", " ").replace("=", ": "))
    if is_context(name):
        text = CONTEXT_PREFIX + text[:1].lower() + text[1:]
    else:
        text = text[:1].upper() + text[1:]
    return f"{text}{quoted} → {direction} ({evidence.contribution:+.2f})."


def wording_part(feature: str) -> str:
    """The part of the letter a word n-gram was read from, as a reader calls it ("the case summary", "the
    rationale"): the prefix of its name (:data:`nlp_pipeline.model.features.TEXT_PARTS`)."""
    prefix = feature.split(":", 1)[0]
    if prefix in ("end", "case"):  # two views of the rationale
        return RATIONALE.words.lower()
    return next((part.words.lower() for part in PARTS if part.prefix == prefix), "the letter")


def wording_reason(phrases: list[str], contribution: float, parts: list[str] | tuple[str, ...] = ()) -> str:
    """One line for what the text model's word n-grams add together, with the parts of the letter they were read
    from (:func:`wording_part`, most weighed first) and the phrases it weighs most."""
    direction = "toward Overturned" if contribution > 0 else "toward Upheld"
    weighed = (f"phrases it weighs: {', '.join(f'{chr(34)}{phrase}{chr(34)}' for phrase in phrases)}" if phrases
               else "common words only")
    parts = list(dict.fromkeys(parts)) or ["the letter"]
    where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"The wording of {where} ({weighed}) → {direction} ({contribution:+.2f})."


def short_quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, cut at a word boundary before ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _amount_sentence(name: str, facts: ItemFacts) -> str | None:
    """The request's amount in numbers: against the allowance, or as requested and done before."""
    allowance = facts.allowance
    if name in ("allowance=above", "allowance_excess", "allowance_applies") and allowance and allowance.allowed:
        requested = f"{allowance.requested} {_category(facts)} visits requested"
        if allowance.earlier:
            requested += f" after {allowance.earlier} authorized"
        if name == "allowance_applies" and allowance.status == "above":
            return (f"A guideline allowance applies to the request: {_range(allowance.allowed)} "
                    f"({allowance.condition}; {allowance.citation})")
        if allowance.status == "within":
            return f"{requested}, within the {_range(allowance.allowed)} the guideline allows"
        return (f"{requested}; the guideline allows {_range(allowance.allowed)} ({allowance.condition}; "
                f"{allowance.citation})")
    asked = facts.requested
    if name == "requested_visits" and asked and asked.max:
        return f"{_range((asked.min, asked.max))} {_category(facts)} visits requested"
    if name == "requested_drug_quantity" and asked and asked.quantity:
        return f"Quantity requested: {asked.quantity:g}"
    if name == "prior_visits" and facts.prior_visits is not None:
        return f"{facts.prior_visits:g} earlier visits of the same treatment"
    return None


# a guideline feature's name → whether the conditions it counts argue for the request
# (facts.recommendations.argues_for): read in the case summary (facts mode's guideline family) or stated in the
# rationale (draft mode's conditions family)
_SUMMARY_SIDES = {"guideline_documented": True, "guideline_contradicted": False}
_RATIONALE_SIDES = {"rationale_condition_met": True, "rationale_condition_unmet": False}


def _guideline_sentence(name: str, facts: ItemFacts) -> str | None:
    """What the guideline says of the request, with the entry and the source a physician can look up, and the
    conditions the case summary documents or says are not met (the guideline features'
    :func:`nlp_pipeline.model.features._guideline_features` reading), or that the rationale states met or not met
    (:func:`nlp_pipeline.model.features._condition_features`)."""
    reading = facts.recommendation
    if reading is None or not (name.startswith("guideline=") or name in (*_SUMMARY_SIDES, *_RATIONALE_SIDES)):
        return None
    entry = entry_by_id(reading.entry)
    source = reading.source
    cited = "; ".join(part for part in (source.guideline, source.section,
                                         f"page {source.pages}" if source.pages else None) if part)
    if name.startswith("guideline="):
        return f"{PLAIN.get(name, name)}: {entry.label} ({cited})"
    against = set(entry.against)
    for_request = _SUMMARY_SIDES.get(name, _RATIONALE_SIDES.get(name))
    stated = reading.conditions if name in _SUMMARY_SIDES else facts.rationale_conditions
    named = list(dict.fromkeys((c.name, c.state) for c in stated if argues_for(c, entry) is for_request))
    words = ", ".join(_condition_words(condition, state, condition in against) for condition, state in named)
    total = len(reading.conditions)
    if name in _RATIONALE_SIDES:
        count = len({condition for condition, _ in named})
        return (f"The rationale states {count} of the {total} condition{'s' * (total != 1)} the guideline sets for "
                f"{entry.label} {'is' if count == 1 else 'are'} {'met' if for_request else 'not met'} "
                f"({cited}): {words}")
    if for_request:
        return (f"The case summary documents {len(named)} of the {total} condition{'s' * (total != 1)} the guideline "
                f"sets for {entry.label} ({cited}): {words}")
    return (f"The case summary says {len(named)} of the {total} condition{'s' * (total != 1)} the guideline sets for "
            f"{entry.label} {'is' if len(named) == 1 else 'are'} not met ({cited}): {words}")


def _condition_words(name: str, state: str, against: bool) -> str:
    """A condition in plain words; one the guideline words against the request says which way it was read."""
    words = name.replace("_", " ")
    if not against:
        return words
    return f"{words} ({'documented' if state == 'documented' else 'denied'}; the guideline advises against it)"


def _letter_sentence(name: str, letter_facts: LetterFacts | None, evidence: Evidence | None = None,
                     letter_text: str | None = None) -> str | None:
    """Letter-wide numbers: the weeks from the injury to the denial (with the dates they were read from and the
    cap the model reads them at), the other items disputed."""
    if name == "other_items_in_letter" and letter_facts is not None and len(letter_facts.items) > 1:
        others = len(letter_facts.items) - 1
        return (f"the same review disputes {others} other service{'s' if others > 1 else ''}"
                " (reviews of many services overturn fewer of them)")
    if name != "weeks_to_review" or letter_facts is None or letter_facts.weeks_injury_to_review is None:
        return None
    weeks = letter_facts.weeks_injury_to_review
    spans = evidence.spans if evidence is not None else ()
    dates = ""
    if letter_text and len(spans) == 2:
        injury, denial = (" ".join(letter_text[a:b].split()) for a, b in spans)
        dates = f"injured {injury}, denied {denial}; "
    held = (f", read as {MAX_WEEKS_TO_REVIEW}: the model caps the weeks at {MAX_WEEKS_TO_REVIEW}, as its training "
            f"requests were all denied sooner" if weeks > MAX_WEEKS_TO_REVIEW else "")
    return (f"Denied {weeks:g} weeks after the injury{held} ({dates}the training letters' median is "
            f"{TYPICAL_WEEKS_TO_REVIEW} weeks)")


def _length_sentence(name: str, facts: ItemFacts) -> str | None:
    """The rationale's length in sentences, against a typical one."""
    if name != "rationale_length" or not facts.sentences:
        return None
    kept = sum(not facts.in_verdict(s.start) for s in facts.sentences)
    return (f"the rationale runs {kept} sentence{'s' * (kept != 1)} outside its verdict, against a typical "
            f"{TYPICAL_RATIONALE_SENTENCES}")


def _stance_sentence(name: str, evidence: Evidence) -> str | None:
    if name == "case_sentences:balance":
        lean = "for" if evidence.contribution > 0 else "against"
        return f"On balance the rationale's sentences about this case lean {lean} the request"
    if name.startswith("case_sentences:"):
        return f"Sentences applying the guideline to this case {_STANCE_WORDS[name.split(':', 1)[1]]}"
    if name.startswith("last_case_sentence="):
        return f"The rationale's last sentence about this case (verdict sentences left out) {_LAST_WORDS[name.split('=', 1)[1]]}"
    return None


def _region_sentence(name: str) -> str | None:
    """Cues, verdicts, citations and treatments found in one part of the letter."""
    region, _, rest = name.partition(":")
    if not rest or region not in _REGION_WORDS:
        return None
    where = _REGION_WORDS[region]
    kind, _, value = rest.partition(":") if rest.startswith(("cue:", "verdict:")) else rest.partition("=")
    if kind in ("cue", "verdict"):
        cue, _, assertion = value.partition("=")
        if assertion == "negated" and cue in _NEGATED_CUE_WORDS:
            return f"{where} notes {_NEGATED_CUE_WORDS[cue]}"
        return f"{where} {_ASSERTION_WORDS.get(assertion, 'mentions')} {_CUE_WORDS.get(cue, _words(cue))}"
    if kind == "source":
        return f"{where} cites {_SOURCE_WORDS.get(value, value)}"
    if kind == "chapter":
        return f"{where} cites {value}"
    if kind == "treatment":
        category, _, assertion = value.partition("=")
        return f"{where} {_MENTION_WORDS.get(assertion, 'mentions {}').format(_words(category))}"
    return None


def _valued_sentence(name: str) -> str | None:
    key, _, value = name.partition("=")
    if key not in VALUED or not value:
        return None
    if key in _BANDS:
        value = _band(float(value), _BANDS[key])
    elif key in _TOP_BUCKET:
        number = int(value) + (key == "item_position")  # positions are 0-based
        value = f"{number}{' or more' if int(value) >= _TOP_BUCKET[key] else ''}"
    else:
        value = _words(value)
    return VALUED[key].format(value)


def _band(low: float, edges: tuple[float, ...]) -> str:
    """``age>=40`` with edges (30, 40, 50, 60) → "40-49"; the lowest band reads "under 30"."""
    if low < edges[0]:
        return f"under {edges[0]:g}"
    higher = [e for e in edges if e > low]
    return f"{low:g} or more" if not higher else _range((low, higher[0] - 1))


def _words(value: str) -> str:
    return _VALUE_WORDS.get(value, value.replace("_", " "))


def _range(allowed) -> str:
    low, high = allowed
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def _category(facts: ItemFacts) -> str:
    return (facts.treatment.category if facts.treatment else "requested").replace("_", " ")


__all__ = ["CONTEXT_PREFIX", "is_context", "is_wording", "reason", "short_quote",
           "wording_part", "wording_reason"]
