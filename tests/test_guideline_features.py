"""The guideline features (issue 30, item 3): what the knowledge base says of a request, as features whose signs
the fit holds, worded as reasons a physician can check."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sklearn

from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.facts.recommendations import entry_by_id
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.model.estimator import FeatureNames, linear_pipeline, vectorizer
from nlp_pipeline.model.feature_specs import sign_of
from nlp_pipeline.model.features import item_features
from nlp_pipeline.modes import FACTS

GUIDELINE = dataclasses.replace(FACTS, families=FACTS.families | {"guideline"})


def _request(summary: str, title: str) -> dict:
    return {"case_number": "CM26-0000099", "case_summary": summary,
            "items": [{"request": title, "claims_administrator_guideline": "Decision based on MTUS."}]}


def _features(summary: str, title: str, mode=GUIDELINE):
    letter = read_letter(_request(summary, title))
    facts = extract_letter(letter)
    return item_features(letter, letter.items[0], facts, mode), facts.items[0], letter


def test_a_conditional_requests_documented_and_unmet_conditions_are_shares_of_the_guidelines_conditions():
    # facet injections: failed conservative care documented (met); radicular findings documented, which the
    # guideline words against the request (met the other way round: not met)
    row, item_facts, letter = _features(
        "The patient failed physical therapy and medications. Examination shows radiculopathy in the left leg.",
        "Lumbar facet joint injection at L4-5")
    reading = item_facts.recommendation
    assert reading.entry == "facet_injection" and "radiculopathy_on_examination" in entry_by_id(reading.entry).against
    states = {c.name: c.state for c in reading.conditions}
    assert states == {"failed_first_line_care": "documented", "radiculopathy_on_examination": "documented"}
    assert row.values["guideline=conditional"] == 1.0
    assert row.values["guideline_documented"] == pytest.approx(0.5)
    assert row.values["guideline_contradicted"] == pytest.approx(0.5)
    # the evidence points at the words that decided each condition
    (start, end), = row.evidence["guideline_documented"]
    assert "failed" in letter.text[start:end].lower()
    (start, end), = row.evidence["guideline_contradicted"]
    assert "radiculopathy" in letter.text[start:end].lower()


def test_the_guideline_family_is_computed_only_where_the_mode_asks_for_it():
    summary, title = "The patient failed physical therapy.", "Lumbar facet joint injection at L4-5"
    with_family, _, _ = _features(summary, title)
    without, _, _ = _features(summary, title, dataclasses.replace(GUIDELINE, families=FACTS.families - {"guideline"}))
    assert any(name.startswith("guideline") for name in with_family.values)
    assert not any(name.startswith("guideline") for name in without.values)


def test_the_fit_holds_the_guidelines_signs_against_letters_that_pull_the_other_way():
    # rows where each guideline feature goes with the outcome its sign forbids: the fit must leave it at zero or on
    # the guideline's side
    rng = np.random.default_rng(0)
    rows, y = [], []
    for _ in range(200):
        overturned = int(rng.random() < 0.4)
        row = {"noise": float(rng.normal())}
        if overturned:
            row.update({"guideline=not_recommended": 1.0, "guideline_contradicted": 1.0})
        else:
            row.update({"guideline=recommended": 1.0, "guideline_documented": 1.0})
        rows.append(row)
        y.append(overturned)
    vectorize = vectorizer(rows)
    with sklearn.config_context(enable_metadata_routing=True):  # the signs are found by the columns' names
        fitted = linear_pipeline(C=100.0).fit(vectorize.transform(rows), np.array(y),
                                              feature_names=FeatureNames(vectorize.get_feature_names_out()))
    coefficients = dict(zip(vectorize.get_feature_names_out(), fitted.named_steps["classify"].coef_[0]))
    for name in ("guideline=not_recommended", "guideline_contradicted", "guideline=recommended", "guideline_documented"):
        assert sign_of(name) != 0, name
        assert sign_of(name) * coefficients[name] >= 0, (name, coefficients[name])


def test_a_guideline_reason_names_the_entry_its_source_and_the_conditions():
    from nlp_pipeline.explain.reasons import reason
    from nlp_pipeline.types import Evidence

    row, item_facts, letter = _features("The patient failed physical therapy and medications.",
                                        "Lumbar facet joint injection at L4-5")
    facts = extract_letter(letter)
    reading = item_facts.recommendation
    entry = entry_by_id(reading.entry)
    status = reason(Evidence("guideline=conditional", -0.3, "", ()), item_facts, facts, letter.text)
    assert entry.label in status and reading.source.guideline in status and "toward Upheld" in status
    met = reason(Evidence("guideline_documented", 0.4, "", row.evidence["guideline_documented"]), item_facts, facts,
                 letter.text)
    assert "1 of the 2 conditions" in met and "failed first line care" in met and "toward Overturned" in met
