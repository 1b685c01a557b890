"""Request titles read by their shape: unknown drugs, devices, transport, visits, every count form."""
from __future__ import annotations

import pytest

from nlp_pipeline.io.requests import request_text
from nlp_pipeline.facts.derive import medication_shape
from nlp_pipeline.letter.parse import parse_letter
from nlp_pipeline.facts.extract import extract_letter
from tests.conftest import ROOT
from nlp_pipeline.model.gold import amounts as gold_amounts
from nlp_pipeline.model.gold import titles as gold_titles
from nlp_pipeline.model.gold import unknowns as gold_unknowns

GOLD = [__import__("json").loads(line) for line in (ROOT / "tests" / "data" / "title_gold.jsonl").read_text()
        .splitlines() if line.strip()]


def _read(title: str):
    letter = parse_letter(request_text({"case_summary": "The injured worker has chronic pain.",
                                        "items": [{"request": title}]}))
    return letter, extract_letter(letter).items[0]


def test_the_title_gold_set_covers_the_kinds():
    assert len(GOLD) >= 60
    assert {"medication", "dme", "transportation", "office_visit", "home_health"} <= {r["category"] for r in GOLD}


@pytest.mark.parametrize("row", GOLD, ids=[r["title"][:40] for r in GOLD])
def test_invented_titles(row):
    found = gold_titles.read_titles([row])[0]
    assert found == {"category": row["category"], "count": row["count"]}


def test_an_unknown_drug_is_a_medication_of_unknown_class():
    _, facts = _read("Zelmora 750mg one by mouth three times a day #45")
    assert facts.treatment.category == "medication" and facts.treatment.drug_class is None
    assert facts.treatment.name == "unknown" and "strength" in facts.treatment.shape
    assert "drug_class" not in facts.treatment.to_dict() and facts.treatment.to_dict()["shape"] == list(facts.treatment.shape)


@pytest.mark.parametrize(("text", "kinds"), [
    ("Zelmora 750mg one by mouth #45", {"strength", "route", "dispense"}),
    ("Dermaflex cream (unknown quantity)", {"form"}),
    ("Heat pad for the lumbar spine", set()),
    ("MRI of the L4-5 spine", set()),
])
def test_medication_shape(text, kinds):
    assert set(medication_shape(text)) == kinds


def test_what_was_not_understood_is_said():
    _, facts = _read("Frobnication of the widget")
    assert facts.warnings == ("not understood: no treatment category recognized in the item's title",)
    _, facts = _read("MRI of the lumbar spine")
    assert facts.warnings == ()


def test_predictions_carry_the_warnings(facts_model):
    predictions = facts_model.predict({"case_summary": "Chronic pain.", "items": [{"request": "Frobnication"}]})
    assert any(w.startswith("not understood: no treatment category") for w in predictions[0].warnings)


def test_parse_entities_ends_with_the_count_of_items_not_understood(tmp_path, capsys):
    from nlp_pipeline.app.cli import main

    letter = tmp_path / "request.json"
    letter.write_text('{"case_summary": "Chronic pain.", "items": [{"request": "Frobnication"}, '
                      '{"request": "MRI of the knee"}]}')
    assert main(["parse", str(letter), "--entities", "--format", "jsonl", "-q"]) == 0
    captured = capsys.readouterr()
    assert "not understood: 1 of 2 items without a treatment category" in captured.err
    record = __import__("json").loads(captured.out.splitlines()[0])
    assert record["items"][0]["warnings"] and not record["items"][1]["warnings"]


def test_at_most_one_percent_of_shared_items_without_a_category(letters_dir, seeds_dir):
    rows = gold_unknowns.unknown_rows([letters_dir, seeds_dir])
    assert len(rows) >= 290
    assert sum(not r["category"] for r in rows) / len(rows) <= 0.01


EARLIER, REQUESTED = ([__import__("json").loads(line) for line in (ROOT / "tests" / "data" / name).read_text()
                       .splitlines() if line.strip()] for name in ("earlier_gold.jsonl", "requested_gold.jsonl"))


@pytest.mark.parametrize("row", EARLIER, ids=[(r.get("rationale") or r["summary"])[:40] for r in EARLIER])
def test_invented_earlier_amounts(row):
    # how many visits of the requested treatment came before, from a case summary or rationale sentence
    assert gold_amounts.read_earlier([row]) == [row["earlier"]]


def test_one_course_stated_twice_counts_once_and_courses_of_two_years_add_up():
    twice = next(r for r in EARLIER if r.get("rationale", "").startswith("The injured worker has already completed 12"))
    years = next(r for r in EARLIER if "in 2013 and 12 sessions" in r["summary"])
    assert gold_amounts.read_earlier([twice, years]) == [12, 20]


@pytest.mark.parametrize("row", REQUESTED, ids=[r["summary"][:40] for r in REQUESTED])
def test_invented_requested_amounts(row):
    # how much is requested, from the case summary, when the title states no amount
    assert gold_amounts.read_requested([row]) == [row["requested"]]


def test_a_physicians_recommendation_in_the_summary_is_a_request_and_a_guidelines_is_not():
    rows = [{"title": "Acupuncture", "summary": "The treating physician recommended 6 additional acupuncture sessions."},
            {"title": "Acupuncture", "summary": "The guidelines recommend 3 to 6 acupuncture treatments."}]
    assert gold_amounts.read_requested(rows) == [6, None]


@pytest.mark.parametrize(("title", "category"), [
    ("Wheelchair-accessible van transportation", "transportation"),  # a treatment word inside a compound adjective
    ("Ultrasound-guided injection of the right knee", "injection"),
    ("Pre-operative EKG", "surgery_related"),  # a test before surgery is part of the surgery's workup
    ("Pre-op chest x-ray", "surgery_related"),
    ("Post-operative sling", "dme"),  # after surgery a device stays a device
    ("Ultrasound of the right shoulder", "imaging"),
    ("P.T. 2x/wk x 6wks", "physical_therapy"),  # an abbreviation written with its periods
])
def test_the_head_of_a_title_decides_its_category(title, category):
    _, facts = _read(title)
    assert facts.treatment.category == category


@pytest.mark.parametrize(("summary", "earlier", "requested"), [
    ("She completed a trial of 6 acupuncture sessions.", 6, None),
    ("The records document completion of an initial trial of six acupuncture sessions.", 6, None),
    ("The physician recommended a trial of 6 acupuncture sessions.", None, 6),
])
def test_a_plan_word_after_a_word_of_the_past_is_a_course_had(summary, earlier, requested):
    row = {"title": "Acupuncture", "summary": summary}
    amounts = gold_amounts
    assert amounts.read_earlier([row]) == [earlier] and amounts.read_requested([row]) == [requested]


def test_a_title_naming_no_known_treatment_is_read_by_its_head_word():
    _, facts = _read("Speech therapy, 8 sessions")
    assert facts.treatment.to_dict() == {"category": "physical_therapy", "name": "therapy", "head": "therapy"}
    _, facts = _read("Acupuncture therapy sessions")  # a known treatment named in the title comes first
    assert facts.treatment.category == "acupuncture" and facts.treatment.head is None
    _, facts = _read("Frobnication of the widget")
    assert facts.treatment is None


def test_a_head_word_is_never_a_treatment_name_too():
    # a head word only decides a title that names no treatment: one listed as a treatment too would never decide
    from nlp_pipeline.extraction.rules import pattern_rows

    names = {r["pattern"].lower() for r in pattern_rows("treatments") if isinstance(r["pattern"], str)}
    heads = {word for row in pattern_rows("heads") for word in row["head"].lower().split("|")}
    assert heads and not heads & names


@pytest.mark.parametrize(("summary", "requested"), [
    ("He was referred for physical therapy, twice weekly for 4 weeks.", 8),  # a referral for a course requests it
    ("The RFA dated 10/1/16 requests PT x 12 for the low back.", 12),
    ("Per the 9/1/16 RFA, the requested treatment included physical therapy 3x4.", 12),
])
def test_a_request_stated_in_the_summary_in_other_words(summary, requested):
    assert gold_amounts.read_requested([{"title": "Physical therapy", "summary": summary}]) == [requested]
