"""Before-review requests written as JSON: the same predictions as the letter layout, clear errors."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT
from nlp_pipeline.io.requests import request_text
from nlp_pipeline.app.cli import main
from nlp_pipeline.errors import LetterError
from nlp_pipeline.letter.parse import load_letter

EXAMPLE = ROOT / "examples" / "facts_request.json"


def test_json_request_reads_like_the_letter_layout(facts_model):
    as_json, as_text = load_letter(EXAMPLE), load_letter(ROOT / "examples" / "facts_request.txt")
    assert [i.title for i in as_json.items] == [i.title for i in as_text.items]
    assert as_json.date_of_injury == "2026-06-02" and as_json.ur_denial_date == "2026-09-12"
    assert ([p.p_overturned for p in facts_model.predict(as_json)]
            == [p.p_overturned for p in facts_model.predict(as_text)])


def test_cli_predicts_a_json_request(capsys):
    assert main(["predict", str(EXAMPLE), "--mode", "facts", "--format", "jsonl"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["item"] for r in records][:1] == ["Right shoulder arthroscopic rotator cuff repair"]
    assert all(r["stated_decision"] is None and not r["warnings"] for r in records)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not a JSON request"),
        (b"[1, 2]", "an object with case_summary and items"),
        (b'{"items": [{"request": "MRI"}]}', "needs a case_summary"),
        (b'{"case_summary": "Knee pain.", "items": []}', "needs items"),
        (b'{"case_summary": "Knee pain.", "items": [{"claims_administrator_guideline": "MTUS"}]}',
         "item 1 of the JSON request has no request"),
        (b'{"case_summary": "Knee pain.", "date_of_injury": "2026-02-30", "items": [{"request": "MRI"}]}',
         "not a real date"),
        (b'{"case_summary": "Knee pain.", "items": [{"request": "MRI", "decision": "Maybe"}]}',
         "decision must be Upheld or Overturned"),
    ],
)
def test_malformed_requests_say_what_is_wrong(data, reason):
    with pytest.raises(LetterError, match=reason):
        request_text(data)


def test_dates_are_written_as_the_letters_write_them():
    text = request_text({"case_summary": "Knee pain.", "date_of_injury": "2026-06-02", "ur_denial_date": "9/12/2026",
                         "items": [{"request": "MRI of the right knee:"}]})
    assert "Date of Injury: 06/02/2026\nUR Denial Date: 9/12/2026\n" in text
    assert "MRI of the right knee:\nClaims Administrator guideline: not given\n" in text


def test_python_api_takes_a_request_dict(facts_model):
    request = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert ([p.p_overturned for p in facts_model.predict(request)]
            == [p.p_overturned for p in facts_model.predict(EXAMPLE)])
