"""Plain reasons: the sentence each piece of evidence gets in a prediction."""
from __future__ import annotations

import pytest

from nlp_pipeline.explain.reasons import reason
from nlp_pipeline.types import Evidence, ItemFacts, LetterFacts

_PT = {"category": "physical_therapy", "name": "physical therapy"}


@pytest.mark.parametrize(
    ("evidence", "allowance", "expected"),
    [
        (Evidence("allowance=above", -0.8), {"status": "above", "requested": 12, "allowed": [9, 10],
                                             "condition": "myalgia", "citation": "MTUS pages 98-99"},
         "12 physical therapy visits requested; the guideline allows 9-10 (myalgia; MTUS pages 98-99) "
         "→ toward Upheld (-0.80)."),
        (Evidence("allowance_applies", 1.03), {"status": "within", "requested": 12, "allowed": [24, 24]},
         "12 physical therapy visits requested, within the 24 the guideline allows → toward Overturned (+1.03)."),
        (Evidence("allowance_applies", 0.7), {"status": "above", "requested": 12, "allowed": [9, 10],
                                              "condition": "myalgia", "citation": "MTUS pages 98-99"},
         "A guideline allowance applies to the request: 9-10 (myalgia; MTUS pages 98-99) → toward Overturned (+0.70)."),
        (Evidence("allowance=above", -1.2), {"status": "above", "requested": 2, "earlier": 6, "allowed": [3, 6],
                                             "condition": "trial", "citation": "MTUS"},
         "2 physical therapy visits requested after 6 authorized; the guideline allows 3-6 (trial; MTUS) "
         "→ toward Upheld (-1.20)."),
    ],
)
def test_allowance_reasons(evidence, allowance, expected):
    assert reason(evidence, ItemFacts(index=0, treatment=_PT, allowance=allowance)) == expected


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [(14.6, "Denied 14.6 weeks after the injury (the training letters' median is 7) → toward Upheld (-0.40)."),
     (312.0, "Denied 312 weeks after the injury, read as 26 (the training letters' median is 7) → toward Upheld "
             "(-0.40).")],
)
def test_weeks_reason_gives_the_number(weeks, expected):
    evidence = Evidence("weeks_to_review", -0.4)
    assert reason(evidence, ItemFacts(index=0), LetterFacts(weeks_injury_to_review=weeks)) == expected


def test_findings_reason_quotes_the_finding():
    evidence = Evidence("objective_findings", 0.49, "tear", 10, 14)
    assert reason(evidence, ItemFacts(index=0)).startswith("The case summary documents objective findings")
    assert '("tear") → toward Overturned (+0.49).' in reason(evidence, ItemFacts(index=0))


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("age>=40", "Patient's age: 40-49"),
        ("age>=0", "Patient's age: under 30"),
        ("years_since_injury>=10", "Years from the injury to the review: 10 or more"),
        ("item_position=4", "Context, not a medical reason: item 5 or more of the review"),
        ("drug_class=nsaid", "Drug class: NSAID"),
        ("allowance_applies", "A guideline allowance applies to the requested amount"),
        ("summary:treatment=physical_therapy=negated", "The case summary mentions physical therapy as not given"),
        ("rationale:cue:documentation=negated", "The rationale notes missing documentation"),
        ("rationale:cue:red_flags=affirmed", "The rationale states red flags"),
        ("maximus_guideline:source=none", "The MAXIMUS guideline line cites no guideline"),
    ],
)
def test_feature_sentences(feature, expected):
    assert reason(Evidence(feature, 0.3), ItemFacts(index=0)) == f"{expected} → toward Overturned (+0.30)."


def test_requested_amounts_are_given_in_numbers():
    facts = ItemFacts(index=0, treatment=_PT, requested={"kind": "visits", "min": 12, "max": 12},
                      prior=({"kind": "visits", "min": 6, "max": 6},))
    assert reason(Evidence("requested_visits", -0.2), facts).startswith("12 physical therapy visits requested →")
    assert reason(Evidence("prior_visits", -0.2), facts).startswith("6 earlier visits of the same treatment →")


@pytest.mark.parametrize("mode", ["draft", "facts"])
def test_every_structured_feature_of_the_shipped_models_reads_as_a_sentence(mode, draft_model, facts_model):
    from nlp_pipeline.model.estimator import linear_parts
    from nlp_pipeline.model.features import TEXT_PARTS

    names = linear_parts((draft_model if mode == "draft" else facts_model).estimator).names
    structured = [n for n in names if n.split(":", 1)[0] not in TEXT_PARTS]
    assert structured
    for name in structured:
        sentence = reason(Evidence(name, 1.0), ItemFacts(index=0))
        assert "_" not in sentence and ">=" not in sentence and not sentence.startswith(name), (name, sentence)
