"""Scoring prediction records against stated decisions, and the rationale cuts."""
from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from nlp_pipeline.model.dataset import ParsedLetter
from nlp_pipeline.model.evaluation import cut_letter, score_records
from nlp_pipeline.letter.parse import load_letter
from nlp_pipeline.model.sealed import split_by_year


def _record(source, stated, p, predicted):
    return {"source": source, "case_number": None, "stated_decision": stated, "p_overturned": p,
            "predicted": predicted}


def test_score_records_counts_and_metrics():
    records = [_record("a", "Upheld", 0.1, "Upheld"), _record("a", "Overturned", 0.8, "Overturned"),
               _record("b", "Upheld", 0.3, "Overturned"), _record("b", None, 0.5, "Overturned"),
               _record("c", "Overturned", 0.2, "Upheld"), {"source": "d", "error": "empty file"}]
    result = score_records(records, reps=50)
    assert (result["items"], result["unlabelled_items"], result["failed_files"]) == (4, 1, ["d"])
    assert (result["letters"], result["overturned"]) == (3, 2)
    y, p = [0, 1, 0, 1], [0.1, 0.8, 0.3, 0.2]
    assert result["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert result["metrics"]["brier"] == pytest.approx(brier_score_loss(y, p))
    assert result["metrics"]["overturned_recall"] == 0.5 and result["metrics"]["overturned_precision"] == 0.5
    assert result["base_rate_brier"] == pytest.approx(0.25)


def test_score_records_without_labels():
    assert score_records([_record("a", None, 0.4, "Upheld")])["items"] == 0


@pytest.mark.parametrize("cut", ["verdicts", "last"])
def test_cut_letter_blanks_sentences_and_keeps_offsets(seeds_dir, cut):
    parsed = ParsedLetter.of(load_letter(sorted(seeds_dir.iterdir())[0]))
    after = cut_letter(parsed, cut)
    assert len(after.letter.text) == len(parsed.letter.text) and after.letter.text != parsed.letter.text
    if cut == "verdicts":
        assert all(not facts.verdict_sentences for facts in after.facts.items)
    with pytest.raises(ValueError):
        cut_letter(parsed, "middle")


def test_later_letters_split_by_the_case_number_year():
    names = ["CM16-0000001.pdf", "CM17-0000002.pdf", "CM16-0000003.pdf", "000_seed.txt", "CM17-0000004.pdf"]
    earlier, later = split_by_year([Path(n) for n in names])
    assert [p.name for p in earlier] == ["CM16-0000001.pdf", "CM16-0000003.pdf"]
    assert [p.name for p in later] == ["CM17-0000002.pdf", "CM17-0000004.pdf"]


def test_the_sigmoid_calibration_is_platts_as_scikit_learn_fits_it():
    # SigmoidCalibrated keeps its parts public; its probabilities are CalibratedClassifierCV's sigmoid ones
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from nlp_pipeline.model.estimator import SigmoidCalibrated

    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = (X[:, 0] + 0.8 * X[:, 1] + rng.normal(scale=1.5, size=240) > 1.2).astype(int)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    ours = SigmoidCalibrated(LogisticRegression(C=0.3), cv=splits).fit(X, y)
    theirs = CalibratedClassifierCV(LogisticRegression(C=0.3), method="sigmoid", cv=splits, ensemble=False).fit(X, y)
    assert np.abs(ours.predict_proba(X) - theirs.predict_proba(X)).max() < 1e-4
    # and the parts give the probability: -(slope x decision + offset) is the log-odds
    slope, offset = -ours.calibrator_.coef_[0, 0], -ours.calibrator_.intercept_[0]
    log_odds = -(slope * ours.estimator_.decision_function(X) + offset)
    assert np.allclose(1 / (1 + np.exp(-log_odds)), ours.predict_proba(X)[:, 1])
