"""The hand-labelled stance gold set: sentence role and polarity must not regress."""
from __future__ import annotations

from pathlib import Path

from nlp_pipeline.letter.parse import load_letter
from nlp_pipeline.model.gold import stance as gold_stance

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "stance_gold.jsonl"

# measured on the 80-sentence gold set (56 letters): role accuracy 0.887, polarity of case sentences 0.960
MIN_ROLE_ACCURACY = 0.85
MIN_CASE_POLARITY_ACCURACY = 0.90


def test_gold_set_is_well_formed(letters_dir):
    gold = gold_stance.load_gold(GOLD)
    assert len(gold) >= 50
    assert len({(g["file"], g["item_index"]) for g in gold}) == len(gold)
    for record in gold:
        assert record["role"] in ("case", "guideline") and record["polarity"] in ("for", "against", "neutral")
        text = load_letter(letters_dir / record["file"]).text
        assert " ".join(text[record["start"]:record["end"]].split()) == record["text"], record


def test_stance_against_gold(letters_dir, capsys):
    metrics = gold_stance.main(["--letters", str(letters_dir), "--gold", str(GOLD)])
    report = capsys.readouterr().out
    assert metrics["role"]["accuracy"] >= MIN_ROLE_ACCURACY, report
    assert metrics["polarity_of_case_sentences"]["accuracy"] >= MIN_CASE_POLARITY_ACCURACY, report
