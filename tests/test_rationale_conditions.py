"""The rationale read through the knowledge base's conditions (issue 30, item 4): which case sentences state a
condition of the item's own guideline entry met or unmet, how the draft model's ``conditions`` family reads them,
and that the stance markers then read only the other sentences."""
from __future__ import annotations

import dataclasses
import math

import pytest

from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.facts.recommendations import read_condition
from nlp_pipeline.letter.parse import parse_letter
from nlp_pipeline.model.feature_specs import sign_of
from nlp_pipeline.model.features import PERSON, SEXED_WORDS, item_features, words
from nlp_pipeline.modes import DRAFT
from tests.conftest import ROOT

CONDITIONS = dataclasses.replace(DRAFT, families=DRAFT.families | {"conditions"})
MARKERS = dataclasses.replace(DRAFT, families=DRAFT.families - {"conditions"})
FIRST = dataclasses.replace(CONDITIONS, conditions_first=True)  # measured, not shipped
HEAD = (ROOT / "examples" / "draft_letter.txt").read_text(encoding="utf-8").split("IMR ISSUES, DECISIONS")[0]


def _letter(title: str, rationale: str):
    text = (f"{HEAD}IMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination was based on decisions for the "
            f"disputed items/services set forth below:\n{title}: [decision pending]\n"
            "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines.\n"
            "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines.\n"
            f"Decision rationale: {rationale}\n")
    letter = parse_letter(text)
    facts = extract_letter(letter)
    return letter, facts, facts.items[0]


def _stated(letter, item_facts) -> dict[str, str]:
    return {letter.text[c.start:c.end].lower(): c.state for c in item_facts.rationale_conditions}


def test_a_case_sentence_stating_a_condition_unmet_is_read_by_that_condition():
    letter, facts, item_facts = _letter(
        "Lumbar facet joint injection at L4-5",
        "Facet joint injections are recommended when the patient has failed conservative care. "
        "In this case, there was no evidence the patient has tried and failed a course of conservative care. "
        "The examination on 9-2-26 showed radiculopathy in the left leg.")
    assert item_facts.recommendation.entry == "facet_injection"
    states = {c.name: c.state for c in item_facts.rationale_conditions}
    # "no evidence" reaches past six words; the guideline's quotation is not the case
    assert states == {"failed_first_line_care": "contradicted", "radiculopathy_on_examination": "documented"}
    # each state points at the cue that decided it, inside the rationale
    rationale = letter.items[0].rationale
    assert all(rationale.start <= c.start < c.end <= rationale.end for c in item_facts.rationale_conditions)
    # radicular findings argue against a facet injection (the entry's "against"): documented, a condition unmet
    row = item_features(letter, letter.items[0], facts, CONDITIONS).values
    assert row["rationale_condition_unmet"] == pytest.approx(1.0) and "rationale_condition_met" not in row


def test_a_condition_stated_met_raises_and_unmet_lowers_through_held_signs():
    assert sign_of("rationale_condition_met") == 1 and sign_of("rationale_condition_unmet") == -1
    _, _, met = _letter("Cyclobenzaprine 7.5mg #60",
                        "The patient has failed NSAIDs and physical therapy, and muscle spasm is documented on exam.")
    letter, facts, unmet = _letter("Cyclobenzaprine 7.5mg #60",
                                   "There is no documentation of muscle spasm on the recent examination.")
    assert {c.state for c in met.rationale_conditions} == {"documented"}
    assert {c.state for c in unmet.rationale_conditions} == {"contradicted"}
    row = item_features(letter, letter.items[0], facts, CONDITIONS)
    assert "rationale_condition_unmet" in row.values and "rationale_condition_met" not in row.values
    entry_conditions = len(unmet.recommendation.conditions)
    assert row.values["rationale_condition_unmet"] == pytest.approx(1 / entry_conditions)
    (start, end), = row.evidence["rationale_condition_unmet"]
    assert letter.text[start:end].lower() in ("spasm", "muscle spasm")


def test_guideline_quotations_and_verdict_sentences_are_not_read():
    letter, _, item_facts = _letter(
        "Cyclobenzaprine 7.5mg #60",
        "Guidelines recommend muscle relaxants when the patient has failed first-line care. "
        "Without muscle spasm on examination, the request is not medically necessary.")
    assert item_facts.rationale_conditions == ()


def test_the_shipped_draft_reads_the_conditions_beside_the_markers_and_conditions_first_holds_them_back():
    letter, facts, item_facts = _letter(
        "Cyclobenzaprine 7.5mg #60",
        "There is no documentation of muscle spasm on the recent examination. "
        "The request for 60 tablets is excessive.")
    assert len(item_facts.rationale_conditions) == 1
    markers = item_features(letter, letter.items[0], facts, MARKERS).values
    shipped = item_features(letter, letter.items[0], facts, DRAFT).values
    first = item_features(letter, letter.items[0], facts, FIRST).values
    assert "conditions" in DRAFT.families and not DRAFT.conditions_first
    # beside: every case sentence read by the markers, the condition read as well
    assert shipped["case_sentences:against"] == markers["case_sentences:against"] == pytest.approx(math.log1p(2))
    assert "rationale_condition_unmet" in shipped and "rationale_condition_unmet" not in markers
    # first: the sentence the knowledge base reads is left out of the markers' counts
    assert first["case_sentences:against"] == pytest.approx(math.log1p(1))
    assert first["rationale_condition_unmet"] == shipped["rationale_condition_unmet"]


@pytest.mark.parametrize("text, state", [
    ("There was no evidence the patient has trialed and failed a proper conservative treatment course.",
     "contradicted"),
    ("It is unclear what recent conservative care the patient has tried and failed.", "contradicted"),
    ("There is no evidence of red flags; the patient has failed physical therapy.", "documented"),
    ("There is no evidence of red flags, but the patient has failed physical therapy.", "documented"),
    ("The patient has failed physical therapy.", "documented"),
    # a verb's negation inside the unshown clause turns it back; "cannot" is "can not"
    ("There is no evidence the patient has not failed physical therapy.", "documented"),
    ("The patient cannot be considered as having failed conservative treatment.", "contradicted"),
])
def test_unshown_phrases_negate_to_the_end_of_their_clause_only(text, state):
    assert read_condition("failed_first_line_care", text).state == state


def test_the_patients_age_and_sex_are_never_word_features():
    letter, facts, _ = _letter("Cyclobenzaprine 7.5mg #60", "The request is reasonable.")
    assert letter.patient_phrase is not None and letter.patient_phrase.text == "47 year old female"
    assert (letter.patient_age, letter.patient_sex) == (47, "female")
    names = set(item_features(letter, letter.items[0], facts, "facts").values)
    assert not any(word in name.split(":", 1)[-1].split() for name in names for word in ("female", "old", "year"))
    # and no word naming a person's sex anywhere in the words: each reads as PERSON
    assert not any(set(name.split(":", 1)[-1].split()) & SEXED_WORDS for name in names if ":" in name)
    # the words around the phrase are still read
    assert "sum:warehouse" in names or "sum:warehouse clerk" in names


def test_a_double_negation_in_an_unshown_clause_documents_the_condition():
    from nlp_pipeline.facts.recommendations import read_condition as read
    said = "There is no documentation of why the injured worker cannot continue with the home exercise program."
    assert read("home_exercise_program", said).state == "documented"
    assert read("home_exercise_program", "There is no evidence of a home exercise program.").state == "contradicted"
    # a negative determiner only coordinates: both stay negated
    assert read("red_flags_or_progressive_neurologic_deficit",
                "There was no evidence of instability and no progressive neurologic deficit.").state == "contradicted"


def test_a_rationale_condition_reason_names_the_conditions_it_counts():
    from nlp_pipeline.explain.reasons import _guideline_sentence

    _, _, item_facts = _letter(
        "Lumbar facet joint injection at L4-5",
        "In this case, there was no evidence the patient has tried and failed a course of conservative care. "
        "The examination on 9-2-26 showed radiculopathy in the left leg.")
    said = _guideline_sentence("rationale_condition_unmet", item_facts)
    assert said.startswith("The rationale states 2 of the 2 conditions the guideline sets for")
    assert "are not met" in said and "failed first line care" in said
    # the one the guideline words against the request says which way it was read
    assert "radiculopathy on examination (documented; the guideline advises against it)" in said
    assert _guideline_sentence("rationale_condition_met", item_facts).startswith("The rationale states 0 of the 2")


def test_words_naming_a_persons_sex_read_as_one_word_and_numbers_as_another():
    assert words("She reports her pain; he had 12 visits with his therapist.") == [
        PERSON, "reports", PERSON, "pain", PERSON, "had", "#", "visits", "with", PERSON, "therapist"]
    # a word that merely starts like one is left alone; the TF-IDF peer's plain bag of words keeps them all
    assert words("sheer heroes") == ["sheer", "heroes"]
    assert words("She had 12 visits.", keep_numbers=True) == ["she", "had", "12", "visits"]
