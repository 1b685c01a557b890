"""Training from tables: rows of labelled items (grouped into letters by case number) or whole letters."""
from __future__ import annotations

import csv
import json

from nlp_pipeline.letter.parse import load_letter
from nlp_pipeline.model.training import labelled_examples, load_corpus

_COLUMNS = ("case_number", "case_summary", "request", "claims_administrator_guideline", "maximus_guideline",
            "rationale", "decision")


def _item_rows(letter) -> list[dict]:
    def text(span):
        return span.text if span else ""

    return [{"case_number": letter.case_number, "case_summary": text(letter.summary), "request": item.title,
             "claims_administrator_guideline": text(item.claims_administrator_guideline),
             "maximus_guideline": text(item.maximus_guideline), "rationale": text(item.rationale),
             "decision": item.stated_decision or ""} for item in letter.items]


def test_csv_of_labelled_items_gives_the_letters_labels(tmp_path, letters_dir):
    letters = [load_letter(p) for p in sorted(letters_dir.glob("*.pdf"))[:12]]
    table = tmp_path / "items.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=_COLUMNS)
        writer.writeheader()
        for letter in letters:
            writer.writerows(_item_rows(letter))
    corpus = load_corpus([table], progress=False)
    assert not corpus.failed and len(corpus.letters) == len(letters)
    from_table = [(e.title, e.label) for e in labelled_examples(corpus, "draft")]
    expected = [(item.title, {"Upheld": 0, "Overturned": 1}[item.stated_decision])
                for letter in letters for item in letter.items]
    assert from_table == expected


def test_jsonl_of_whole_letters_and_a_bad_row(tmp_path, example_draft, seeds_dir):
    seed = sorted(seeds_dir.iterdir())[0]
    table = tmp_path / "letters.jsonl"
    rows = [{"source": "draft", "text": example_draft.read_text(encoding="utf-8")},
            {"source": "seed", "text": seed.read_text(encoding="utf-8")},
            {"case_number": "CM26-0000009", "request": "MRI of the knee", "decision": "Maybe"}]
    table.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    corpus = load_corpus([table], progress=False)
    assert [p.letter.source for p in corpus.letters] == ["draft", "seed"]
    assert corpus.unlabeled_items == 3  # the draft's items carry no decision yet
    [(source, reason)] = corpus.failed
    assert source.endswith("CM26-0000009") and "case_summary" in reason
