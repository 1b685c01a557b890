"""The direction of rationale sentences about a contraindication, a risk or a weaning plan (issue 29).

``tests/data/stance_direction_invented.jsonl`` holds 44 invented sentences with the polarity each has toward its
request, written and committed before their first run (``stance_direction_invented.md`` records the first
reading, 6/44, and the current one). ``imr_stance`` reads them by the shape of the statement with
``read_harms``, on in the shipped pipeline (turning it on moved no stance feature of a shared letter, so the
shipped models read what they were trained on); a sentence that quotes a guideline's rule is not read for harms.
"""
from __future__ import annotations

import json

import pytest
import spacy

from nlp_pipeline.extraction.pipeline import COMPONENTS
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.letter.parse import parse_letter
from tests.conftest import ROOT

SET = [json.loads(line) for line in
       (ROOT / "tests" / "data" / "stance_direction_invented.jsonl").read_text().splitlines() if line.strip()]
# the sentence's opening → the polarity read now instead of the expected one: a risk the request protects
# against (a proton pump inhibitor for GI risk) reads as a harm of the request; the sentence alone cannot tell
KNOWN_MISSES = {
    "The patient is over 65 and takes aspirin": "against",
    "The patient is not at risk for gastrointestinal": "for",
}
FIRST_READING_RIGHT = 6  # the shipped reading (read_harms off), as first recorded


def _known(text: str) -> str | None:
    return next((polarity for opening, polarity in KNOWN_MISSES.items() if text.startswith(opening)), None)


@pytest.fixture(scope="module")
def harms_nlp():
    nlp = spacy.blank("en")
    for name in COMPONENTS:
        nlp.add_pipe(name, config={"read_harms": True} if name == "imr_stance" else {})
    nlp.initialize()
    return nlp


def _read(row: dict, nlp=None) -> list[dict]:
    letter = parse_letter("Case Number: CM16-0000009\nCLINICAL CASE SUMMARY\nChronic pain.\n"
                          "IMR ISSUES, DECISIONS AND RATIONALES\n" + row["request"] + ": Upheld\n"
                          "Claims Administrator guideline: Decision based on MTUS.\nDecision rationale: "
                          + row["text"] + "\n")
    return [s.value for s in extract_letter(letter, nlp=nlp).items[0].sentences]


def test_the_set_is_large_enough_and_covers_each_kind():
    assert len(SET) >= 40
    kinds = {row["kind"] for row in SET}
    assert kinds == {"contraindication", "risk", "weaning"}
    for kind in kinds:
        assert {row["polarity"] for row in SET if row["kind"] == kind} >= {"for", "against"}


@pytest.mark.parametrize("row", SET, ids=[r["text"][:40] for r in SET])
def test_a_sentence_about_a_harm_or_weaning_reads_as_what_it_says_of_the_request(harms_nlp, row):
    [value] = _read(row, harms_nlp)
    assert value["polarity"] == (_known(row["text"]) or row["polarity"])


def test_the_shipped_pipeline_reads_harms():
    """read_harms is on in the shipped pipeline: it reads the set as the harms reading does, far above the first
    reading (which had it off)."""
    right = sum(_read(row)[0]["polarity"] == row["polarity"] for row in SET)
    assert right == len(SET) - len(KNOWN_MISSES) > FIRST_READING_RIGHT


@pytest.mark.parametrize(("text", "polarity"), [
    # a harm to record or watch for decides nothing: the usual reading stays
    ("There is no documentation of side effects or functional improvement.", "against"),
    ("The provider should monitor analgesia, activity, adverse effects and aberrant behavior.", "neutral"),
    # contraindicated alternatives leave the request
    ("Oral anti-inflammatories are contraindicated given the patient's ulcer.", "for"),
    # a contraindication and another fault: the fault still counts
    ("There are no contraindications, but no functional improvement is documented.", "against"),
])
def test_harm_statements_by_shape(harms_nlp, text, polarity):
    [value] = _read({"request": "Lidocaine patch", "text": text}, harms_nlp)
    assert value["polarity"] == polarity
