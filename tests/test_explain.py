"""Plain reasons: the sentence each piece of evidence gets in a prediction."""
from __future__ import annotations

import pytest

from nlp_pipeline.explain import reason
from nlp_pipeline.types import Evidence, ItemFacts, LetterFacts

_PT = {"category": "physical_therapy", "name": "physical therapy"}


@pytest.mark.parametrize(
    ("evidence", "allowance", "expected"),
    [
        (Evidence("allowance=above", -0.8), {"status": "above", "requested": 12, "allowed": [9, 10],
                                             "condition": "myalgia", "citation": "MTUS pages 98-99"},
         "12 physical therapy visits requested; the guideline allows 9-10 (myalgia; MTUS pages 98-99) "
         "→ toward Upheld (-0.80)."),
        (Evidence("allowance=within", 1.03), {"status": "within", "requested": 12, "allowed": [24, 24]},
         "12 physical therapy visits requested, within the 24 the guideline allows → toward Overturned (+1.03)."),
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
