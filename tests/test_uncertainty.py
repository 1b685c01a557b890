"""Honest uncertainty (issue 30, item 5): the bootstrap refits behind each facts-mode interval, the plain statement of
what a pre-review estimate can say, and the per-category comparison with the category's own rate."""
from __future__ import annotations

import numpy as np
import pytest

from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.dataset import Example
from nlp_pipeline.model.features import ItemFeatures
from nlp_pipeline.model.resampling import category_comparison
from nlp_pipeline.model.uncertainty import INTERVAL, BootstrapSet, independent_check, statement


def _refits(seed: int = 0, refits: int = 40, columns: int = 6):
    rng = np.random.default_rng(seed)
    rows = [{j: float(rng.normal()) for j in range(columns) if rng.random() < 0.6} for _ in range(refits)]
    return rows, [float(rng.normal()) for _ in range(refits)]


def test_an_interval_spans_the_refits_probabilities_for_the_row():
    rows, intercepts = _refits()
    refits = BootstrapSet.from_rows(rows, intercepts, 6)
    columns, values = np.array([1, 4]), np.array([1.0, 0.5])
    expected = [1 / (1 + np.exp(-(b + row.get(1, 0.0) * 1.0 + row.get(4, 0.0) * 0.5)))
                for row, b in zip(rows, intercepts)]
    assert refits.log_odds(columns, values) == pytest.approx(np.log(np.array(expected) / (1 - np.array(expected))),
                                                             abs=1e-5)
    low, high = refits.interval(columns, values)
    assert (low, high) == pytest.approx(tuple(np.percentile(expected, INTERVAL)), abs=1e-5)
    assert 0 <= low <= high <= 1


def test_a_bootstrap_file_reads_back_the_same_intervals_and_refuses_objects(tmp_path):
    rows, intercepts = _refits(1)
    refits = BootstrapSet.from_rows(rows, intercepts, 6)
    loaded = BootstrapSet.load(refits.save(tmp_path))
    assert loaded.size == refits.size
    assert loaded.interval(np.array([0, 2, 5]), np.ones(3)) == refits.interval(np.array([0, 2, 5]), np.ones(3))
    bad = tmp_path / "bad.npz"
    np.savez(bad, indptr=np.array([object()], dtype=object))
    with pytest.raises(ModelError):
        BootstrapSet.load(bad)


def _metadata(auc: float, comparison: dict | None = None) -> dict:
    return {"mode": "facts", "metrics": {"full": {"metrics": {"roc_auc": auc}}}, "category_comparison": comparison or {}}


@pytest.mark.parametrize("auc", [0.62, 0.78, 0.821])
def test_the_statement_reads_its_figure_from_the_models_metadata(auc):
    said = statement(_metadata(auc))
    assert f"about {round(auc * 10)} times in 10" in said and f"{auc:.2f}" in said
    check = independent_check()["facts"]
    assert f"on {check['letters']} unseen letters" in said and f"about {round(check['roc_auc'] * 10)} in 10" in said
    assert statement({"mode": "facts"}) is None


def test_the_statement_shows_the_categorys_own_rate_only_where_the_model_did_not_beat_it():
    comparison = {"dme": {"items": 20, "overturned": 5, "rate": 0.25, "model_brier": 0.2, "category_rate_brier": 0.18,
                          "beats_category_rate": False},
                  "imaging": {"items": 30, "overturned": 3, "rate": 0.1, "model_brier": 0.05,
                              "category_rate_brier": 0.09, "beats_category_rate": True}}
    dme = statement(_metadata(0.8, comparison), "dme")
    assert "did not beat" in dme and "25%" in dme and "5 of 20" in dme
    assert "did not beat" not in statement(_metadata(0.8, comparison), "imaging")
    assert "did not beat" not in statement(_metadata(0.8, comparison), "surgery")  # no comparison: nothing claimed


def test_the_category_comparison_measures_each_categorys_rate_on_the_training_folds_only():
    # category "a": the model knows the outcome; category "b": the model says the opposite of the outcome
    examples, predictions = [], []
    for letter in range(40):
        for index, (category, label) in enumerate((("a", letter % 4 == 0), ("b", letter % 5 == 0))):
            source = f"letter{letter}"
            examples.append(Example(ItemFeatures({}), int(label), source, source, index, "t", category))
            p = float(label) if category == "a" else 1.0 - float(label)
            predictions.append({"source": source, "item_index": index, "p_overturned": p})
    compared = category_comparison(examples, predictions, n_splits=5, seed=0)
    assert compared["a"]["beats_category_rate"] and not compared["b"]["beats_category_rate"]
    assert compared["a"]["model_brier"] == 0.0 and compared["b"]["model_brier"] == 1.0
    assert compared["b"]["rate"] == pytest.approx(8 / 40) and compared["b"]["items"] == 40
    # the rate each item is scored with comes from the other letters: its Brier is not the in-sample one
    in_sample = 0.2 * 0.8
    assert compared["b"]["category_rate_brier"] != pytest.approx(in_sample, abs=1e-9)


def test_a_facts_prediction_carries_its_refits_interval_and_the_statement_and_a_draft_one_neither(example_draft):
    import dataclasses

    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.letter.parse import read_letter
    from nlp_pipeline.predict.outcome import load_model
    from tests.conftest import ROOT

    facts = load_model(mode="facts")
    parts = facts.parts
    own = {j: float(w) for j, w in enumerate(parts.factor * parts.scale) if w}
    shifted = {j: w + 0.5 for j, w in own.items()}  # a refit that weighs every used column more
    refits = BootstrapSet.from_rows([own, own, shifted], [parts.intercept] * 3, len(parts.names))
    letter = read_letter(ROOT / "examples" / "facts_request.json")
    categories = [f.treatment.category if f.treatment else None for f in extract_letter(letter).items]
    for prediction in dataclasses.replace(facts, refits=refits).predict(letter):
        low, high = prediction.p_interval
        assert low <= high
        # two of the three refits are the model itself: one end of the interval is its own probability
        assert min(abs(low - prediction.p_overturned), abs(high - prediction.p_overturned)) < 1e-5
        assert prediction.uncertainty == statement(facts.metadata, categories[prediction.item_index])
    assert all(p.p_interval is None for p in dataclasses.replace(facts, refits=None).predict(letter))
    for prediction in load_model(mode="draft").predict(example_draft):
        if prediction.basis != "facts":
            assert prediction.p_interval is None and prediction.uncertainty is None


def test_the_table_prints_the_modes_statement_once_and_each_categorys_under_its_item():
    from nlp_pipeline.app.commands.predict import _table
    from nlp_pipeline.model.uncertainty import split_statement

    comparison = {"dme": {"beats_category_rate": False, "rate": 0.0, "overturned": 0, "items": 9,
                          "model_brier": 0.05, "category_rate_brier": 0.0}}
    said_dme = statement(_metadata(0.8, comparison), "dme")
    said_imaging = statement(_metadata(0.8, comparison), "imaging")
    general, category = split_statement(said_dme)
    assert general == said_imaging and category.startswith("For dme requests") and general + " " + category == said_dme
    assert split_statement(said_imaging) == (said_imaging, "")

    def record(index, text):
        return {"source": "x.txt", "item_index": index, "item": "an item", "mode": "facts", "threshold": 0.08,
                "agrees_with_stated": None, "predicted": "Upheld", "p_overturned": 0.05, "uncertainty": text,
                "reasons": []}

    said: set[str] = set()
    blocks = [_table(record(0, said_imaging), said), _table(record(1, said_dme), said),
              _table(record(2, said_imaging), said)]
    assert general in blocks[0] and general not in blocks[1] and general not in blocks[2]
    assert category in blocks[1] and category not in blocks[0] + blocks[2]
    # one block alone (no memory) says everything
    assert said_dme.split(". For")[0] in _table(record(1, said_dme)) and category in _table(record(1, said_dme))
