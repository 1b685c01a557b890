"""The verdict: read from its own phrase, the last one about the case wins, and it decides draft predictions."""
from __future__ import annotations

import json
import re

import pytest

from nlp_pipeline.extraction.components.verdict import doc_verdict
from nlp_pipeline.letter.parse import load_letter, parse_letter
from nlp_pipeline.extraction.pipeline import build_nlp
from tests.conftest import EXAMPLE_DRAFT, ROOT, shared_letter_params
from nlp_pipeline.model.gold import verdict as gold_verdict

SUITE = [json.loads(line) for line in (ROOT / "tests" / "data" / "verdict_suite.jsonl").read_text().splitlines()
         if line.strip()]


def read_verdict(text: str) -> str:
    """The verdict of ``text`` read as a rationale by the extraction pipeline."""
    nlp = build_nlp()
    doc = nlp.make_doc(text)
    doc._.imr_region = "rationale"
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc_verdict(doc).verdict


def test_the_invented_suite_is_large_and_varied():
    """At least 150 sentences, both verdicts and none, in many forms."""
    assert len(SUITE) >= 150
    counts = {value: sum(row["verdict"] == value for row in SUITE) for value in ("necessary", "not_necessary", "none")}
    assert min(counts.values()) >= 30
    assert len({row["form"] for row in SUITE}) >= 80


@pytest.mark.parametrize("row", SUITE, ids=[f"{i}-{row['form']}" for i, row in enumerate(SUITE)])
def test_invented_verdict_sentences(row):
    assert read_verdict(row["text"]) == row["verdict"]


# the mechanisms the independent check found, each in its own words
REPRODUCERS = [
    ("In the absence of red flags, the request is medically necessary.", "necessary"),
    ("As the patient has not responded to rest, the request is medically necessary.", "necessary"),
    ("Because the patient could return to full duty with it, the request is medically necessary.", "necessary"),
    ("The request is medically necessary, as a prior course was not documented.", "necessary"),
    ("Therefore, the request for the lumbar brace is warranted.", "necessary"),
    ("I am reversing the prior utilization review decision.", "necessary"),
    ("I uphold the prior non-certification.", "not_necessary"),
    ("ODG states therapy is medically necessary only when objective functional improvement is documented.", "none"),
    ("Utilization review non-certified the request on 11/14/2016.", "none"),
    ("The request is not seen as medically necessary.", "not_necessary"),
    ("The request was determined not to be medically necessary.", "not_necessary"),
]


@pytest.mark.parametrize(("text", "expected"), REPRODUCERS)
def test_reproducers_of_the_unseen_letters(text, expected):
    assert read_verdict(text) == expected


def test_negation_outside_the_phrase_never_flips_it():
    """Any clause before or after the verdict phrase, negated or not, leaves its polarity alone."""
    clauses = ["There is no evidence of abuse, and", "Although no imaging was provided,", "Without question,"]
    tails = ["", ", as a prior course was not documented", ", since there is no contraindication"]
    for clause in clauses:
        for tail in tails:
            assert read_verdict(f"{clause} the request is medically necessary{tail}.") == "necessary"
            assert read_verdict(f"{clause} the request is not medically necessary{tail}.") == "not_necessary"


@pytest.mark.parametrize("text", [
    "Medical necessity for this request without a prior trial has been established.",
    "The prior denial without a review of the records is overturned.",
])
def test_a_negation_word_between_a_phrases_subject_and_its_verb_never_flips_it(text):
    # the words a phrase's gap may not hold are the negation vocabulary's: "without" inside the gap once made
    # these read not_necessary (better unread than read backwards)
    assert read_verdict(text) != "not_necessary"


def test_the_last_verdict_about_the_case_wins():
    first, second = "The request is not medically necessary.", "On reconsideration, the request is medically necessary."
    assert read_verdict(f"{first} {second}") == "necessary"
    assert read_verdict(f"{second} {first}") == "not_necessary"
    assert read_verdict(f"{first} Utilization review certified a different request on 10/1/2016.") == "not_necessary"


def test_the_pipeline_order_is_checked_by_spacy():
    """The components declare what they require and assign; spaCy finds nothing missing."""
    analysis = build_nlp().analyze_pipes()
    assert "imr_verdict" in analysis["summary"]
    assert not any(analysis["problems"].values())


# --- the verdict against the stated decisions of the shared letters

# items whose rationale states no verdict the component can read, and why
KNOWN_EXCEPTIONS = {
    ("000_bb4913a5b984f6c8.txt", 1): "the seed letter is cut off mid-sentence before its verdict",
}


@pytest.fixture(scope="module")
def verdict_rows(letters_dir, seeds_dir):
    return gold_verdict.verdict_rows([letters_dir, seeds_dir])


def test_study_letters_verdict_agrees_with_every_stated_decision(verdict_rows):
    """On the study letters every item's verdict is its stated decision, but the listed exceptions."""
    study = [r for r in verdict_rows if not r["sealed"]]
    assert len(study) >= 150
    misses = {(r["source"], r["item_index"]) for r in study if r["outcome"] != r["stated"]}
    assert misses <= set(KNOWN_EXCEPTIONS)


def test_sealed_letters_verdict_agreement_in_aggregate(verdict_rows):
    """The sealed letters (never read while writing the patterns) agree on at least 98% of their items."""
    figures = gold_verdict.summary([r for r in verdict_rows if r["sealed"]])
    assert figures["items"] >= 60
    assert figures["agree"] / figures["items"] >= 0.98


# --- verdict-first predictions and the two QA flags

def _decided(text: str, decisions: list[str]) -> str:
    """The example draft with its pending decisions filled in, in order."""
    parts = text.split("[decision pending]")
    assert len(parts) == len(decisions) + 1
    return "".join(part + decision for part, decision in zip(parts, [*decisions, ""]))


def _swap(text: str) -> str:
    """Every stated decision reversed (only the decision lines: ``<item>: Upheld`` and the modified form)."""
    return re.sub(r"(?m)(:\s*)(Upheld|Overturned)(\s*$)",
                  lambda m: m.group(1) + {"Upheld": "Overturned", "Overturned": "Upheld"}[m.group(2)] + m.group(3), text)


def test_a_verdict_decides_and_a_rationale_without_one_is_scored(draft_model):
    predictions = draft_model.predict(EXAMPLE_DRAFT)
    assert [p.basis for p in predictions] == ["rationale", "rationale", "verdict"]
    with_verdict = predictions[2]
    assert with_verdict.verdict.value == "necessary" and with_verdict.predicted == "Overturned"
    assert with_verdict.p_overturned == pytest.approx(draft_model.verdict_probability("necessary"), abs=1e-6)
    for prediction in predictions:
        assert prediction.p_rationale is not None
    for prediction in predictions[:2]:  # no verdict: the rationale model decides at its own cut
        assert prediction.p_overturned == prediction.p_rationale
        assert (prediction.predicted == "Overturned") == (prediction.p_rationale >= prediction.threshold)


def test_verdict_probabilities_come_from_measured_agreement(draft_model):
    calibration = draft_model.metadata["verdict_calibration"]
    for value, expected_side in (("necessary", 1), ("not_necessary", 0)):
        row = calibration[value]
        assert row["items"] >= 20
        assert row["p_overturned"] == pytest.approx((row["overturned"] + 0.5) / (row["items"] + 1))
        assert (row["p_overturned"] > 0.5) == bool(expected_side)


def test_the_stated_decision_never_changes_a_prediction(draft_model):
    text = EXAMPLE_DRAFT.read_text(encoding="utf-8")
    runs = [draft_model.predict(parse_letter(_decided(text, d)))
            for d in (["Upheld"] * 3, ["Overturned"] * 3, ["Upheld", "Overturned", "Upheld"])]
    runs.append(draft_model.predict(parse_letter(text)))
    keys = [[(p.predicted, p.p_overturned, p.p_rationale, p.basis) for p in run] for run in runs]
    assert all(k == keys[0] for k in keys[1:])


def test_contradiction_and_question_are_worded_apart(draft_model):
    text = EXAMPLE_DRAFT.read_text(encoding="utf-8")
    consistent = draft_model.predict(parse_letter(_decided(text, ["Upheld", "Upheld", "Overturned"])))
    contradicted = draft_model.predict(parse_letter(_decided(text, ["Upheld", "Upheld", "Upheld"])))
    assert contradicted[2].agrees_with_stated is False
    assert contradicted[2].qa.startswith("CONTRADICTION in the letter")
    assert consistent[2].agrees_with_stated is True
    assert consistent[2].qa is None or consistent[2].qa.startswith("QUESTION for the reviewer")
    # no verdict in the rationale: nothing to contradict
    assert consistent[0].agrees_with_stated is None and contradicted[0].agrees_with_stated is None


def test_rationale_leans_when_the_reasoning_argues_the_other_way(draft_model):
    rationale_against = ("Decision rationale: The injured worker has completed 24 sessions without documented "
                         "functional improvement, and the request exceeds the guideline recommendation. There is no "
                         "documentation of a home exercise program. The request is medically necessary.")
    text = re.sub(r"Decision rationale: The MTUS Acupuncture.*\Z", rationale_against,
                  EXAMPLE_DRAFT.read_text(encoding="utf-8"), flags=re.S)
    prediction = draft_model.predict(parse_letter(_decided(text, ["Upheld", "Upheld", "Overturned"])))[2]
    assert prediction.basis == "verdict" and prediction.predicted == "Overturned"
    assert prediction.p_rationale < prediction.threshold
    assert prediction.rationale_leans is True and prediction.agrees_with_stated is True
    assert prediction.qa.startswith("QUESTION for the reviewer")


@pytest.mark.parametrize("path", shared_letter_params(("CM16-0213037.pdf", "CM17-0005589.pdf", "CM16-0240524.pdf")))
def test_a_finished_letter_with_every_decision_reversed_is_flagged_on_every_item(path, draft_model):
    letter = load_letter(path)
    honest = draft_model.predict_letter(letter)
    reversed_letter = parse_letter(_swap(letter.text), source=letter.source, normalized=True)
    assert [i.stated_decision for i in reversed_letter.items] != [i.stated_decision for i in letter.items]
    flagged = draft_model.predict_letter(reversed_letter)
    assert all(p.agrees_with_stated is True for p in honest)
    assert all(p.agrees_with_stated is False and p.qa.startswith("CONTRADICTION") for p in flagged)
    assert [p.predicted for p in flagged] == [p.predicted for p in honest]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Therefore, the requested Diclofenac ER 100mg #60 is not seen as medically necessary.", "not_necessary"),
        ("The request is determined to not be medically necessary.", "not_necessary"),
        ("The request is medically necessary and appropriate.", "necessary"),
        ("There is no evidence of failure, so the request is not medically necessary.", "not_necessary"),
        ("As such, the medical necessity of the request is not established.", "not_necessary"),
        ("Medical necessity and efficacy have not been established.", "not_necessary"),
        ("Therefore, medical necessity cannot be established at this time.", "not_necessary"),
        ("The medical necessity of the requested MRI has been established.", "necessary"),
        ("At present, the request is not medically reasonable.", "not_necessary"),
        ("The requested therapy is not medically reasonable or necessary.", "not_necessary"),
        ("The request is medically reasonable and necessary.", "necessary"),
        ("Thus, the request cannot be recommended as medically necessary.", "not_necessary"),
        ("Therefore, the request for diazepam is not-medically necessary.", "not_necessary"),
        ("Once a stable dose of opioid has been established, patients should be seen.", "none"),
        ("The diagnosis is established by electrodiagnostic studies.", "none"),
    ],
)
def test_verdict_wordings_of_the_letters(text, expected):
    assert read_verdict(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("This reviewer cannot recommend the requested lumbar fusion as medically necessary.", "not_necessary"),
    ("I do not consider the requested MRI as medically necessary.", "not_necessary"),
    ("The reviewer does not find the requested surgery to be medically necessary.", "not_necessary"),
    ("I find the requested surgery to be medically necessary.", "necessary"),
    ("Utilization review found the request not to be medically necessary.", "none"),  # restated history stays none
])
def test_a_judged_verdict_takes_the_judging_verbs_negation(text, expected):
    assert read_verdict(text) == expected
