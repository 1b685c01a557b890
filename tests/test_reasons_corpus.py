"""Over every shared letter, in both modes (issue 29): no evidence span is a lone word or function words only, no
context (the review's layout, the rationale's counts) is among the medical reasons, no word n-gram is a reason
of its own, and each prediction's label matches its numbers."""
from __future__ import annotations

import pytest

from nlp_pipeline.explain.evidence import is_lone_word
from nlp_pipeline.explain.reasons import CONTEXT_PREFIX, is_context, is_wording
from nlp_pipeline.letter.parse import load_letter
from tests.conftest import shared_letter_paths


def test_reasons_and_evidence_of_every_shared_letter(draft_model, facts_model):
    paths = shared_letter_paths()
    if not paths:
        pytest.skip("the shared letters are not available")
    checked = {"spans": 0, "context": 0, "wording": 0}
    for path in paths:
        letter = load_letter(path)
        docs: dict = {}
        for model in (draft_model, facts_model):
            for p in model.predict_letter(letter, docs=docs):
                where = f"{path.name} [{p.item_index}] {p.mode}"
                for e in p.evidence:
                    for start, end in e.spans:
                        assert not is_lone_word(letter.text[start:end]), (where, e.feature, letter.text[start:end])
                        checked["spans"] += 1
                assert not any(r.startswith(CONTEXT_PREFIX) or r.startswith("The words") for r in p.reasons), where
                assert all(r.startswith(CONTEXT_PREFIX) for r in p.context), where
                context_evidence = [e for e in p.evidence if is_context(e.feature)]
                assert len(p.context) == min(len(context_evidence), 3), where
                checked["context"] += len(p.context)
                checked["wording"] += sum(r.startswith("The wording of ") for r in p.reasons)
                assert sum(r.startswith("The wording of ") for r in p.reasons) <= 1, where
                # the wording line names the parts the model read words from: never the rationale in facts mode
                assert not (p.mode == "facts" and any(r.startswith("The wording of") and "rationale" in r.split("(")[0]
                                                    for r in p.reasons)), where
                assert not any(is_wording(e.feature) and e.text and is_lone_word(e.text) for e in p.evidence), where
                assert p.outcome_label and str(p.predicted) in p.outcome_label, where
                if p.basis != "verdict" and p.threshold < 0.5 and p.predicted == "Overturned" and p.p_overturned < 0.5:
                    # below an even chance it leans, unless it shows the same P as the cut (then it names its side)
                    at_cut = round(p.p_overturned, 3) == round(p.threshold, 3)
                    assert p.outcome_label.startswith("Overturned: at the cut" if at_cut else "leans Overturned"), where
    assert checked["spans"] > 1000 and checked["context"] > 100 and checked["wording"] > 50, checked
