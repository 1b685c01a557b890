"""Parsing letters into items: every shared letter, seeds, drafts, modified requests, bad input."""
from __future__ import annotations

import re

import pytest

from conftest import shared_letter_params
from nlp_pipeline.errors import LetterError
from nlp_pipeline.letter.dates import iso_date
from nlp_pipeline.letter.parse import load_letter, parse_letter
from nlp_pipeline.io.reading import read_letter_text

DECISION_LINE = re.compile(r":\s*(Upheld|Overturned)\s*$", re.MULTILINE)
CA_BLOCK = re.compile(r"^Claims Administrator guideline:", re.MULTILINE)


@pytest.mark.parametrize("path", shared_letter_params())
def test_every_shared_letter_parses(path):
    letter = load_letter(path)
    assert len(letter.items) == len(CA_BLOCK.findall(letter.text))
    assert [item.stated_decision for item in letter.items] == DECISION_LINE.findall(letter.text)
    assert [item.index for item in letter.items] == list(range(len(letter.items)))
    for item in letter.items:
        assert item.title and item.rationale is not None and item.claims_administrator_guideline is not None
        for part in (item.heading, item.claims_administrator_guideline, item.maximus_guideline, item.rationale):
            assert letter.text[part.start:part.end] == part.text
        if item.is_modified_request:
            assert item.remaining_portion is not None
            assert "was the original request" in item.title
    assert letter.summary is not None and len(letter.summary.text) > 100


def test_header_fields(letters_dir):
    letter = load_letter(letters_dir / "CM16-0213037.pdf")
    assert letter.case_number == "CM16-0213037"
    assert (letter.date_assigned, letter.date_of_injury, letter.decision_date) == (
        "2016-11-09", "2016-10-13", "2016-12-09")
    assert (letter.ur_denial_date, letter.application_received, letter.priority) == (
        "2016-11-03", "2016-11-03", "Standard")
    assert letter.reviewer.licensure == ("California", "North Carolina")
    assert letter.reviewer.specialties == ("Family Practice",)
    assert (letter.patient_age, letter.patient_sex) == (48, "male")
    assert [item.title for item in letter.items] == [
        "MRI of the right shoulder without contrast", "MRI of the cervical spine without contrast"]


def test_modified_request_keeps_whole_title(letters_dir):
    letter = load_letter(letters_dir / "CM16-0241231.pdf")
    item = letter.items[0]
    assert item.title.startswith("Nine sessions of physical therapy of the right knee was the original request.")
    assert item.title.endswith("Three sessions of physical therapy of the right knee is")
    assert item.original_request.text == "Nine sessions of physical therapy of the right knee"
    assert item.authorized_portion.text.startswith("Six sessions of")
    assert " ".join(item.remaining_portion.text.split()) == "Three sessions of physical therapy of the right knee"


@pytest.mark.parametrize(
    ("prefix", "licensure", "specialty", "age", "sex"),
    [
        ("000", ("California",), ("psychiatry",), 51, "male"),
        ("001", ("Texas",), ("Physical Medicine & Rehabilitation", "Pain Medicine"), 38, "male"),
        ("002", ("California", "Arizona", "Maryland"), ("Psychiatry",), 55, "female"),
        ("004", ("Massachusetts",), ("Physical Medicine & Rehabilitation", "Pain Management"), 53, "female"),
    ],
)
def test_seed_reviewer_styles(seeds_dir, prefix, licensure, specialty, age, sex):
    letter = load_letter(next(seeds_dir.glob(f"{prefix}_*.txt")))
    assert letter.reviewer.licensure == licensure
    assert letter.reviewer.specialties == specialty
    assert (letter.patient_age, letter.patient_sex) == (age, sex)
    assert letter.case_number is None and letter.decision_date is None


def test_seed_cut_off_mid_sentence_still_parses(seeds_dir):
    letter = load_letter(next(seeds_dir.glob("000_*.txt")))
    assert [item.stated_decision for item in letter.items] == ["Upheld", "Overturned"]
    assert letter.items[1].rationale.text.rstrip().endswith("Given the great s")


@pytest.mark.parametrize("replacement", ["", "[decision pending]", "TBD", "Pending", "Overturned"])
def test_decision_words_change_nothing_else(letters_dir, replacement):
    original = load_letter(letters_dir / "CM16-0230651.pdf")
    text = DECISION_LINE.sub(f": {replacement}", original.text)
    changed = parse_letter(text, source=original.source)
    expected = None if replacement in ("", "[decision pending]", "TBD", "Pending") else replacement
    assert [item.stated_decision for item in changed.items] == [expected] * len(original.items)

    def texts(letter):
        return [
            (item.title, item.claims_administrator_guideline.text, item.maximus_guideline.text, item.rationale.text,
             getattr(item.remaining_portion, "text", None))
            for item in letter.items
        ]

    assert texts(changed) == texts(original)
    assert changed.summary.text == original.summary.text
    assert changed.to_dict()["reviewer"] == original.to_dict()["reviewer"]
    assert changed.case_number == original.case_number and changed.patient_age == original.patient_age


def test_draft_without_decisions(example_draft):
    letter = load_letter(example_draft)
    assert [item.stated_decision for item in letter.items] == [None, None, None]
    assert [item.decision.text for item in letter.items] == ["[decision pending]"] * 3
    assert letter.items[2].title == "Acupuncture for the lumbar spine, 6 sessions"
    assert letter.case_number == "CM26-0000001" and letter.date_of_injury == "2025-03-14"


def test_to_dict_round_trip_is_json_ready(example_draft):
    import json

    letter = load_letter(example_draft)
    data = json.loads(json.dumps(letter.to_dict(include_text=True)))
    assert data["items"][0]["heading"]["text"] == letter.items[0].heading.text
    assert data["text"] == letter.text


@pytest.mark.parametrize(
    "text",
    [
        "Dear Sir, thank you for your letter of last week. Kind regards.",
        "IMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination was based on decisions",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" * 50,
    ],
)
def test_non_letters_are_refused(text):
    with pytest.raises(LetterError, match="not a recognized IMR letter"):
        parse_letter(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("5/27/11", "2011-05-27"), ("04/17/2009", "2009-04-17"), ("10-13-16", "2016-10-13"),
     ("2/19/96", "1996-02-19"), ("13/45/2016", None), ("", None)],
)
def test_iso_date(raw, expected):
    assert iso_date(raw) == expected


def test_windows_line_endings_parse_the_same(example_draft, tmp_path):
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(example_draft.read_bytes().replace(b"\n", b"\r\n"))
    assert read_letter_text(crlf) == read_letter_text(example_draft)


def _letter_with_items(count: int, rationale_missing: set[int]) -> str:
    items = "".join(
        f"Item number {i} MRI of the knee: Upheld\nClaims Administrator guideline: Decision based on MTUS.\n"
        + ("" if i in rationale_missing else "Decision rationale: The request is not medically necessary.\n")
        for i in range(count)
    )
    return ("Case Number: CM16-0000009\nCLINICAL CASE SUMMARY\nKnee pain after a fall.\n"
            "IMR ISSUES, DECISIONS AND RATIONALES\n" + items)


def test_warnings_name_their_item_and_part():
    letter = parse_letter(_letter_with_items(12, rationale_missing={10}))
    assert len(letter.items) == 12
    [warning] = letter.warnings
    assert (warning.item, warning.part) == (10, "rationale") and str(warning).startswith("item 10:")
    assert letter.item_warnings(1) == () and letter.item_warnings(10) == (warning.message,)
    assert letter.item_warnings(10, unread=("rationale",)) == ()
    assert letter.to_dict()["warnings"] == [warning.message]


def test_prediction_warnings_belong_to_their_own_item(draft_model, facts_model):
    """Item 1 does not inherit item 10's warning (their numbers share a prefix); facts mode reads no rationale."""
    text = _letter_with_items(12, rationale_missing={10})
    draft = draft_model.predict(text)
    assert draft[1].warnings == () and draft[10].warnings == ("item 10: no 'Decision rationale:' block",)
    assert all(p.warnings == () for p in facts_model.predict(text))
