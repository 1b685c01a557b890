"""What each feature is, in one table: its family, the sign its weight must keep, the words a reason gives it,
and whether it is a medical reason or context.

:mod:`nlp_pipeline.model.features` computes the features; the estimator reads the signs
(:func:`sign_of`), the grid search and the layout the families (:func:`family_of`), the explanations the words
(:data:`PLAIN`, :data:`VALUED`) and the context flag (:func:`is_context`), all from here. A row's ``key`` is a
feature's name ("allowance=above", "case_sentences:neutral"), its key (the name up to "=", ">" or ":": "age",
"items_in_letter"), or the key a value follows ("age>" in "age>=40"): each role reads the rows it needs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    """One row of the table."""

    key: str
    family: str | None = None  # the feature family (None: a row about one name of a family keyed elsewhere)
    sign: int = 0  # -1: the weight may never move P(Overturned) toward Overturned; +1: never toward Upheld; 0: free
    words: str | None = None  # the reason's sentence; with "{}", a template the feature's value fills
    context: bool = False  # no medical reason: the review's layout, or the rationale's shape (sentence counts)


SPECS: tuple[FeatureSpec, ...] = (
    # the header: who the patient and the reviewer are (left out of every shipped model by the grid search)
    FeatureSpec("years_since_injury", "header"), FeatureSpec("age", "header"),
    FeatureSpec("age>", words="Patient's age: {}"),
    FeatureSpec("years_since_injury>", words="Years from the injury to the review: {}"),
    FeatureSpec("sex", "header", words="Patient is {}"),
    FeatureSpec("reviewer", "header", words="Reviewer's specialty: {}"),
    FeatureSpec("priority", "header", words="Review priority: {}"),
    # the review's layout: context, not a medical reason
    FeatureSpec("other_items_in_letter", "letter", words="the same review disputes other services too", context=True),
    FeatureSpec("letter_requests_surgery", "letter", words="the same review disputes a surgery (this item or another)",
                context=True),
    FeatureSpec("items_in_letter", "letter", words="services disputed in the same review: {}", context=True),
    FeatureSpec("item_position", "letter", words="item {} of the review", context=True),
    # the request's shape
    FeatureSpec("modified_request", "request", words="The disputed amount is what remains of a modified request"),
    FeatureSpec("retrospective", "request", words="A retrospective request (for a service already given)"),
    FeatureSpec("surgical_item", "request",
                words="A surgical or surgery-related service (pre-op, post-op, assistant, associated service)"),
    FeatureSpec("allowance", "request"),
    FeatureSpec("allowance=above", sign=-1, words="The requested amount exceeds the guideline's allowance"),
    FeatureSpec("allowance_applies", "request", words="A guideline allowance applies to the requested amount"),
    # the service requested
    FeatureSpec("treatment", "service", words="Requested service: {}"),
    FeatureSpec("drug_class", "service", words="Drug class: {}"),
    FeatureSpec("treatment_context", "service", words="Requested in the context of: {}"),
    FeatureSpec("requested_visits", "service", sign=-1, words="The number of visits requested"),
    FeatureSpec("requested_drug_quantity", "service", words="The drug quantity requested"),
    FeatureSpec("prior_visits", "service", words="Earlier visits of the same treatment"),
    FeatureSpec("has_prior_same_treatment", "service",
                words="The case summary reports earlier visits of the same treatment"),
    FeatureSpec("allowance_excess", "service", sign=-1,
                words="The requested amount exceeds the guideline's allowance (the more, the stronger)"),
    # what a region mentions
    FeatureSpec("diagnosis", "entities", words="Diagnosis named in the letter: {}"),
    FeatureSpec("body_part", "entities", words="Body part named in the item: {}"),
    # the rationale's stance; the counts of its sentences are its shape, context
    FeatureSpec("rationale_length", "stance", context=True,
                words="length of the rationale against a typical five sentences (verdict sentences left out)"),
    FeatureSpec("case_sentences", "stance"),
    FeatureSpec("case_sentences:neutral", context=True),
    FeatureSpec("last_case_sentence", "stance"),
    FeatureSpec("no_case_sentences", "stance", context=True,
                words="outside its verdict the rationale never applies the guideline to this case"),
    # what the rationale's sentences about the case state of the conditions the guideline sets for the request (the
    # knowledge base's reading, beside the stance markers): the guideline's logic holds the signs
    FeatureSpec("rationale_condition_met", "conditions", sign=1,
                words="The rationale states that conditions the guideline sets for this treatment are met"),
    FeatureSpec("rationale_condition_unmet", "conditions", sign=-1,
                words="The rationale states that conditions the guideline sets for this treatment are not met"),
    # the case as the summary documents it
    FeatureSpec("objective_findings", "case", words="The case summary documents objective findings (a tear, a "
                                                    "fracture, instability, a positive test, a wound)"),
    FeatureSpec("weeks_to_review", "case", words="Weeks from the injury to the utilization review's denial, against "
                                                 "a typical seven"),
    # the two below restate conditions the guidelines set (first-line care tried and failed before more is given;
    # objective functional improvement before a course continues): documenting either never lowers P(Overturned),
    # the rule the guideline features keep; a sign the letters would turn the other way holds the feature at zero
    FeatureSpec("earlier_treatment_failed", "case", sign=1,
                words="The case summary documents that earlier treatment failed or gave no relief"),
    FeatureSpec("earlier_treatment_helped", "case", sign=1,
                words="The case summary documents that earlier treatment helped"),
    # what the guideline itself says of the request (the knowledge base, nlp_pipeline.facts.recommendations): its
    # status, and the share of its conditions the case summary documents or contradicts; the signs are the
    # guideline's logic, not fitted to letters
    FeatureSpec("guideline", "guideline"),
    FeatureSpec("guideline=not_recommended", sign=-1, words="The guideline does not recommend this treatment"),
    FeatureSpec("guideline=recommended", sign=1, words="The guideline recommends this treatment"),
    FeatureSpec("guideline=conditional", words="The guideline recommends this treatment only when stated conditions "
                                               "are met"),
    FeatureSpec("guideline=not_addressed", words="The guidelines do not address this treatment"),
    FeatureSpec("guideline_documented", "guideline", sign=1,
                words="The case summary documents conditions the guideline sets for this treatment"),
    FeatureSpec("guideline_contradicted", "guideline", sign=-1,
                words="The case summary says conditions the guideline sets for this treatment are not met"),
)

_KEY = re.compile(r"^[a-z_]+")
# a feature's key (its name up to "=", ">" or ":") → its family
FAMILY_OF: dict[str, str] = {s.key: s.family for s in SPECS if s.family is not None}
# the features held to a sign (nlp_pipeline.model.estimator.SignConstrainedLogisticRegression)
SIGNS: dict[str, int] = {s.key: s.sign for s in SPECS if s.sign}
# a feature's name → its reason's sentence; a value's key ("age>", "treatment") → the template its value fills
PLAIN: dict[str, str] = {s.key: s.words for s in SPECS if s.words and "{}" not in s.words}
VALUED: dict[str, str] = {s.key: s.words for s in SPECS if s.words and "{}" in s.words}
_CONTEXT: dict[str, bool] = {s.key: s.context for s in SPECS}


def feature_key(name: str) -> str:
    """A feature's key: its name up to "=", ">" or ":" ("items_in_letter=3" → "items_in_letter")."""
    found = _KEY.match(name)
    return found.group(0) if found else name


def sign_of(name: str) -> int:
    """The direction a feature may move P(Overturned): -1 never toward Overturned, 0 either way."""
    return SIGNS.get(name, 0)


def is_context(name: str) -> bool:
    """Whether a feature is context, not a medical reason (its own row, else its key's)."""
    return _CONTEXT.get(name, _CONTEXT.get(feature_key(name), False))
