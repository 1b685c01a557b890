"""Issue 30, item 2: each item's guideline reading (``ItemFacts.recommendation``) in the facts, in ``imr parse
--entities`` and in each prediction record; item 4: what a draft's rationale states of the same conditions
(``rationale_conditions``) in its predictions, the table and the CSV."""
from __future__ import annotations

import json

from nlp_pipeline.app.cli import main
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.types import ItemFacts, Prediction, Recommendation

SUMMARY = ("The injured worker is a 44 year old warehouse clerk (invented) with chronic low back pain. "
           "She has failed NSAIDs and physical therapy. There were no red flags.")


def _request(summary: str = SUMMARY) -> dict:
    return {"case_number": "CM26-9999999", "date_of_injury": "2025-01-10", "ur_denial_date": "2026-03-02",
            "case_summary": summary,
            "items": [{"request": "Lumbar epidural steroid injection at L5-S1"}]}


def test_the_example_letters_items_carry_a_recommendation(example_draft):
    letter = read_letter(example_draft)
    facts = extract_letter(letter)
    assert facts.items
    for item in facts.items:
        found = item.recommendation
        assert isinstance(found, Recommendation)
        assert found.status in ("recommended", "conditional", "not_recommended", "not_addressed")
        assert found.source.guideline and found.entry
        for condition in found.conditions:
            if condition.start is not None:  # the condition's words stand in the letter's case summary
                assert letter.summary.start <= condition.start < condition.end <= letter.summary.end


def test_a_documented_condition_reads_documented_at_its_letter_offsets():
    letter = read_letter(_request())
    reading = extract_letter(letter).items[0].recommendation
    assert reading is not None and reading.entry == "epidural_steroid_injection"
    states = {c.name: c for c in reading.conditions}
    failed = states["failed_first_line_care"]
    assert failed.state == "documented"
    assert letter.text[failed.start:failed.end].lower() == "failed"
    assert letter.text.index("She has failed NSAIDs") + len("She has ") == failed.start  # the summary's own words


def test_an_item_facts_dict_holds_the_reading():
    as_dict = extract_letter(read_letter(_request())).items[0].to_dict()
    reading = as_dict["recommendation"]
    assert set(reading) >= {"status", "entry", "source", "conditions"}
    assert all(set(c) == {"name", "state", "start", "end"} for c in reading["conditions"])
    assert ItemFacts(index=0).to_dict()["recommendation"] is None
    json.dumps(as_dict)


def test_parse_entities_shows_the_reading(example_draft, capsys):
    assert main(["parse", "--entities", str(example_draft), "--format", "jsonl", "-q"]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    assert all(item["recommendation"]["status"] and item["recommendation"]["source"] for item in record["items"])


def test_each_jsonl_prediction_carries_the_items_reading(example_draft, capsys):
    letter = read_letter(example_draft)
    facts = extract_letter(letter)
    for mode in ("draft", "facts"):
        assert main(["predict", "--mode", mode, str(example_draft), "--format", "jsonl", "-q"]) == 0
        records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [r["recommendation"] for r in records] == [i.recommendation.to_dict() for i in facts.items]


def test_the_reading_is_a_facts_feature_and_no_draft_one(facts_model):
    """The same letter with and without its reading (taken away from the facts, so the summary's words stay): the
    draft features are the same, the facts features differ exactly by the guideline family (issue 30, item 3)."""
    import dataclasses

    from nlp_pipeline.model.features import family_of, item_features

    letter = read_letter(_request())
    facts = extract_letter(letter)
    bare = dataclasses.replace(facts, items=tuple(dataclasses.replace(i, recommendation=None) for i in facts.items))
    for item in letter.items:
        assert item_features(letter, item, facts, "draft").values == item_features(letter, item, bare, "draft").values
        read = item_features(letter, item, facts, "facts").values
        unread = item_features(letter, item, bare, "facts").values
        assert {n for n in read if family_of(n) != "guideline"} == set(unread)
        assert any(family_of(n) == "guideline" for n in read)
    prediction = facts_model.predict_letter(letter)[0]
    assert isinstance(prediction, Prediction) and prediction.recommendation == facts.items[0].recommendation


def rationale_letter_text() -> str:
    """An invented draft (the example's header and headings): the summary documents failed first-line care; the
    facet injection's rationale says it is not shown, the MRI's that it is (issue 30, item 4)."""
    from conftest import EXAMPLE_DRAFT

    draft = EXAMPLE_DRAFT.read_text(encoding="utf-8")
    header = draft[:draft.index("The injured worker is a 47")]
    headings = draft[draft.index("IMR ISSUES, DECISIONS AND RATIONALES"):draft.index("Physical therapy 2 times")]
    guideline = "Claims Administrator guideline: Decision based on MTUS Low Back Complaints 2004.\n"
    return (header + "The injured worker is a 52 year old (invented) with chronic low back pain. She has failed "
            "physical therapy and NSAIDs. Utilization review non-certified the requests.\n" + headings
            + "Lumbar facet joint injection at L4-5: [decision pending]\n" + guideline
            + "Decision rationale: The ACOEM guidelines state that facet injections are considered after failure of "
              "conservative care. In this case, there was no evidence the patient has tried and failed conservative "
              "care.\n"
            + "MRI of the lumbar spine without contrast: [decision pending]\n" + guideline
            + "Decision rationale: The ACOEM guidelines state that imaging is considered after failure of conservative "
              "care. The injured worker has failed physical therapy and NSAIDs.\n")


def test_a_draft_prediction_carries_what_the_rationale_states_and_a_facts_one_never(draft_model, facts_model):
    """Issue 30, item 4: each draft prediction copies its item's rationale_conditions (the letter offsets of the
    stating words included); facts mode never reads the rationale, so its predictions carry none."""
    letter = read_letter(rationale_letter_text())
    facts = extract_letter(letter)
    facet, mri = facts.items
    assert [(c.name, c.state) for c in facet.rationale_conditions] == [("failed_first_line_care", "contradicted")]
    assert [(c.name, c.state) for c in mri.rationale_conditions] == [("failed_first_line_care", "documented")]
    stated = facet.rationale_conditions[0]
    assert letter.items[0].rationale.start <= stated.start < stated.end <= letter.items[0].rationale.end
    drafts = draft_model.predict_letter(letter)
    assert [p.rationale_conditions for p in drafts] == [i.rationale_conditions for i in facts.items]
    assert drafts[0].to_dict()["rationale_conditions"] == [stated.to_dict()]
    assert all(p.rationale_conditions == () and p.to_dict()["rationale_conditions"] == []
               for p in facts_model.predict_letter(letter))


def test_the_table_and_the_csv_say_what_the_rationale_states(tmp_path, capsys):
    letter = tmp_path / "rationale.txt"
    letter.write_text(rationale_letter_text(), encoding="utf-8")
    assert main(["predict", str(letter), "--mode", "draft", "-q"]) == 0
    table = capsys.readouterr().out
    facet, mri = table.split(f"{letter} [1]")
    assert "    rationale states: failed first line care not met\n" in facet
    assert "    rationale states: failed first line care met\n" in mri
    assert main(["predict", str(letter), "--mode", "facts", "-q"]) == 0
    assert "rationale states" not in capsys.readouterr().out
    import pandas as pd

    out = tmp_path / "items.csv"
    assert main(["predict", str(letter), "--mode", "draft", "--format", "csv", "-o", str(out), "-q"]) == 0
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame["rationale_states"]) == ["failed first line care not met", "failed first line care met"]
