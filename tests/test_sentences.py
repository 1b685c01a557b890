"""One sentence splitter (``imr_sentences``) for everything, measured on a boundary gold set."""
from __future__ import annotations

import pytest

from nlp_pipeline.extraction.pipeline import build_nlp
from nlp_pipeline.model.gold import sentences as gold_sentences


def _sentences(text: str) -> list[str]:
    nlp = build_nlp()
    doc = nlp.get_pipe("imr_sentences")(nlp.make_doc(text))
    return [s.text.strip() for s in doc.sents]


def test_the_gold_set_is_large_enough():
    gold = gold_sentences.load_gold()
    assert sum(len(row["boundaries"]) for row in gold) >= 100
    assert any("\n" in row["text"] for row in gold)  # PDF line breaks inside sentences


def test_the_pipeline_splitter_beats_the_plain_sentencizer_on_the_gold_set():
    module = gold_sentences
    gold, splitters = module.load_gold(), module.splitters()
    ours = module.score(gold, splitters["pipeline (imr_sentences)"])
    plain = module.score(gold, splitters["spaCy sentencizer"])
    assert ours["f1"] >= 0.98 and ours["recall"] >= 0.98
    assert ours["f1"] > plain["f1"]


@pytest.mark.parametrize(("text", "expected"), [
    ("There is little support. (Author, 2004) There is little evidence that it helps.",
     ["There is little support. (Author, 2004)", "There is little evidence that it helps."]),
    ("Opioids are not first-line (Furlan et al., 2006). The 4 A's apply.",
     ["Opioids are not first-line (Furlan et al., 2006).", "The 4 A's apply."]),
    ("Dr. Smith saw the patient. The request follows.", ["Dr. Smith saw the patient.", "The request follows."]),
    ("The pain lasted approx. 8 months. An MRI followed.", ["The pain lasted approx. 8 months.", "An MRI followed."]),
    ("Naproxen 550 mg b.i.d., and Omeprazole 20 mg q.d. were given.",
     ["Naproxen 550 mg b.i.d., and Omeprazole 20 mg q.d. were given."]),
])
def test_citations_and_abbreviations(text, expected):
    assert _sentences(text) == expected


def test_every_component_reads_the_same_sentences(seed_facts):
    """The rationale's sentences as the facts hold them are the pipeline's sentences: stance, verdict and the
    features' last sentences all read them."""
    from nlp_pipeline.model.features import part_spans

    for letter, facts in seed_facts.values():
        for item in letter.items:
            item_facts = facts.items[item.index]
            if item.rationale is None:
                continue
            expected = _sentences(letter.text[item.rationale.start:item.rationale.end].replace("\n", " "))
            assert [" ".join(s.text.split()) for s in item_facts.sentences] == [" ".join(s.split()) for s in expected]
            for sentence in item_facts.verdict_sentences:
                assert any(s.start == sentence.start for s in item_facts.sentences)
            end = part_spans(letter, item, "end", item_facts)
            assert {(s.start, s.end) for s in end} <= {(s.start, s.end) for s in item_facts.sentences}
