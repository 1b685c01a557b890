"""Explanations: each feature's exact contribution to an item's calibrated log-odds, the letter words
behind it, and a plain sentence a claims professional can check."""
from __future__ import annotations

import re

import numpy as np

from nlp_pipeline.features import MAX_WEEKS_TO_REVIEW, TEXT_WEIGHT, TYPICAL_WEEKS_TO_REVIEW, ItemFeatures, part_spans
from nlp_pipeline.types import Evidence, Item, ItemFacts, Letter, LetterFacts

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
_PLAIN = {
    "no_case_sentences": "Outside its verdict the rationale never applies the guideline to this case",
    "rationale_length": "Length of the rationale against a typical five sentences (verdict sentences left out)",
    "surgical_item": "A surgical or surgery-related service (pre-op, post-op, assistant, associated service)",
    "letter_requests_surgery": "The letter disputes a surgery (this item or another)",
    "other_items_in_letter": "The letter disputes other items too (the more, the stronger)",
    "modified_request": "The disputed amount is what remains of a modified request",
    "objective_findings": "The case summary documents objective findings (a tear, a fracture, instability, a positive test, a wound)",
    "weeks_to_review": "Weeks from the injury to the utilization review's denial, against a typical seven",
}
_ASSERTION_WORDS = {"affirmed": "states", "negated": "denies", "possible": "raises the possibility of"}
_REGION_WORDS = {"rationale": "The rationale", "rationale_end": "The rationale's conclusion",
                 "summary": "The case summary", "maximus_guideline": "The MAXIMUS guideline line",
                 "ca_guideline": "The claims administrator guideline line", "heading": "The item title"}


def contributions(vector, coef: np.ndarray, slope: float) -> dict[int, float]:
    """Column → contribution to the calibrated log-odds (toward Overturned) for one row."""
    row = vector.tocsr()
    return {int(j): float(-slope * coef[j] * x) for j, x in zip(row.indices, row.data)}


def evidence_for(feature: str, contribution: float, features: ItemFeatures, letter: Letter, item: Item,
                 drop=()) -> Evidence:
    """The contribution of one feature with the first letter span that produced it."""
    spans = features.evidence.get(feature)
    if not spans and ":" in feature:
        prefix, gram = feature.split(":", 1)
        spans = _locate(letter, item, prefix, gram, drop)
    if spans:
        start, end = spans[0]
        return Evidence(feature, round(contribution, 6), letter.text[start:end], start, end)
    return Evidence(feature, round(contribution, 6))


def _locate(letter: Letter, item: Item, prefix: str, gram: str, drop) -> tuple[tuple[int, int], ...]:
    try:
        spans = part_spans(letter, item, prefix, drop)
    except (KeyError, AttributeError):
        return ()
    pattern = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in gram.split()) + r"\b", re.IGNORECASE)
    for span in spans:
        match = pattern.search(span.text)
        if match:
            return ((span.start + match.start(), span.start + match.end()),)
    return ()


def reason(evidence: Evidence, facts: ItemFacts, letter_facts: LetterFacts | None = None) -> str:
    """A plain sentence for one piece of evidence, ending with the direction it pushes (``letter_facts``
    gives the letter-wide numbers, such as the weeks from the injury to the denial)."""
    direction = "toward Overturned" if evidence.contribution > 0 else "toward Upheld"
    name = evidence.feature
    quoted = f' ("{_short(evidence.text)}")' if evidence.text else ""
    allowance = facts.allowance or {}
    requested = f"{allowance.get('requested')} {_category(facts)} visits requested"
    if allowance.get("earlier"):
        requested += f" after {allowance['earlier']} authorized"
    if name in ("allowance=above", "allowance_excess") and allowance.get("allowed"):
        text = (f"{requested}; the guideline allows {_range(allowance['allowed'])} ({allowance['condition']}; "
                f"{allowance['citation']})")
    elif name == "allowance=within" and allowance.get("allowed"):
        text = f"{requested}, within the {_range(allowance['allowed'])} the guideline allows"
    elif name == "weeks_to_review" and letter_facts and letter_facts.weeks_injury_to_review is not None:
        weeks = letter_facts.weeks_injury_to_review
        held = f", read as {MAX_WEEKS_TO_REVIEW}" if weeks > MAX_WEEKS_TO_REVIEW else ""
        text = (f"Denied {weeks:g} weeks after the injury{held} (the training letters' median is "
                f"{TYPICAL_WEEKS_TO_REVIEW})")
    elif name in _PLAIN:
        text = _PLAIN[name]
    elif name == "case_sentences:balance":
        lean = "for" if evidence.contribution > 0 else "against"
        text = f"On balance the rationale's sentences about this case lean {lean} the request"
    elif name.startswith("case_sentences:"):
        text = f"Sentences applying the guideline to this case {_STANCE_WORDS[name.split(':', 1)[1]]}"
    elif name.startswith("last_case_sentence="):
        text = f"The last sentence about this case before the verdict {_LAST_WORDS[name.split('=', 1)[1]]}"
    elif name.startswith("treatment="):
        text = f"Requested service: {_category(facts)}"
    elif ":cue:" in name or ":verdict:" in name:
        region, rest = name.split(":", 1)
        cue, _, assertion = rest.split(":", 1)[1].partition("=")
        text = (f"{_REGION_WORDS.get(region, region)} {_ASSERTION_WORDS.get(assertion, 'mentions')} "
                f"{_CUE_WORDS.get(cue, cue.replace('_', ' '))}")
    elif ":source=" in name or ":chapter=" in name:
        region, value = name.split(":", 1)
        text = f"{_REGION_WORDS.get(region, region)} cites {value.split('=', 1)[1]}"
    elif ":" in name and evidence.feature.split(":", 1)[0] in ("title", "end", "sum", "ca", "mx", "rat"):
        text = f'The words "{name.split(":", 1)[1]}"'
        quoted = ""
    else:
        text = name.replace("_", " ").replace("=", ": ")
    return f"{text}{quoted} → {direction} ({evidence.contribution:+.2f})."


def _range(allowed) -> str:
    low, high = allowed
    return f"{low}" if low == high else f"{low}-{high}"


def _category(facts: ItemFacts) -> str:
    return ((facts.treatment or {}).get("category") or "requested").replace("_", " ")


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


__all__ = ["contributions", "evidence_for", "reason", "TEXT_WEIGHT"]
