"""The outcome model: decisions never leak, explanations add up, files are safe, training is repeatable."""
from __future__ import annotations

import json
import math
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from nlp_pipeline.predict import outcome as model_module
from nlp_pipeline.io.requests import request_text
from nlp_pipeline.app.cli import main
from nlp_pipeline.errors import ModelError
from nlp_pipeline.letter.parse import load_letter, parse_letter
from nlp_pipeline.model.files import METADATA_FILE, MODEL_FILE, MODELS_DIR, TRUSTED_TYPES, save_model, write_manifest
from nlp_pipeline.predict.outcome import load_model
from tests.conftest import shared_letter_paths

RECORD_KEYS = {"source", "case_number", "item_index", "item", "stated_decision", "predicted", "p_overturned",
               "agrees_with_stated", "threshold", "evidence", "reasons"}


def _without_decisions(text: str) -> str:
    return text.replace(": Upheld", ": [pend]").replace(": Overturned", ": [ pending]")


@pytest.mark.parametrize("mode", ["draft", "facts"])
def test_stated_decisions_do_not_change_predictions(seeds_dir, letters_dir, mode):
    model = load_model(mode=mode)
    paths = sorted(seeds_dir.glob("*.txt")) + sorted(letters_dir.glob("*.pdf"))[:15]
    for path in paths:
        letter = load_letter(path)
        blind = parse_letter(_without_decisions(letter.text), source=letter.source, normalized=True)
        assert all(item.stated_decision is None for item in blind.items)
        before = [p.p_overturned for p in model.predict_letter(letter)]
        after = [p.p_overturned for p in model.predict_letter(blind)]
        assert before == after, path.name


def test_contributions_sum_to_score(seeds_dir, draft_model, monkeypatch):
    monkeypatch.setattr(model_module, "TOP_EVIDENCE", 10**6)
    for prediction in draft_model.predict(sorted(seeds_dir.glob("*.txt"))[0]):
        total = prediction.intercept + sum(e.contribution for e in prediction.evidence)
        assert total == pytest.approx(prediction.score, abs=1e-3)
        # the evidence explains the rationale model's probability (the verdict, when there is one, decides)
        assert 1 / (1 + math.exp(-prediction.score)) == pytest.approx(prediction.p_rationale, abs=1e-4)


def test_evidence_points_into_the_letter(seeds_dir, draft_model):
    for path in sorted(seeds_dir.glob("*.txt")):
        letter = load_letter(path)
        for prediction in draft_model.predict_letter(letter):
            assert prediction.reasons
            for evidence in prediction.evidence:
                if evidence.start is not None:
                    assert letter.text[evidence.start:evidence.end] == evidence.text
                    assert evidence.spans[0] == (evidence.start, evidence.end)
                    assert all(0 <= start < end <= len(letter.text) for start, end in evidence.spans)


def test_save_load_round_trip(tmp_path, draft_model, example_draft):
    save_model(draft_model.estimator, tmp_path / "copy", {k: v for k, v in draft_model.metadata.items()
                                                          if k not in ("sha256", "versions")})
    again = load_model(tmp_path / "copy")
    assert [p.p_overturned for p in again.predict(example_draft)] == [
        p.p_overturned for p in draft_model.predict(example_draft)]


def test_a_saved_model_keeps_its_column_names_as_one_array_and_reads_the_same_after(tmp_path, draft_model):
    import skops.io

    vectorize = draft_model.estimator.named_steps["vectorize"]
    state = vectorize.__getstate__()
    assert isinstance(state["feature_names_"], np.ndarray) and "vocabulary_" not in state
    skops.io.dump(vectorize, tmp_path / "columns.skops")
    again = skops.io.load(tmp_path / "columns.skops", trusted=TRUSTED_TYPES)
    assert again.vocabulary_ == vectorize.vocabulary_
    assert list(again.get_feature_names_out()) == list(vectorize.get_feature_names_out())
    rows = [{"allowance_applies": 1.0, "category=medication": 1.0, "not a column": 3.0}]
    assert (again.transform(rows) != vectorize.transform(rows)).nnz == 0
    assert pickle.loads(pickle.dumps(vectorize)).vocabulary_ == vectorize.vocabulary_
    assert len(vectorize.vocabulary_) == len(vectorize.feature_names_) > 0  # saving leaves the fitted one whole


def test_the_shipped_models_hold_no_private_scikit_learn_class():
    # the calibration once lived in CalibratedClassifierCV's private _CalibratedClassifier / _SigmoidCalibration
    import skops.io

    for mode in ("draft", "facts"):
        types = skops.io.get_untrusted_types(file=MODELS_DIR / mode / "model.skops")
        assert "nlp_pipeline.model.estimator.SigmoidCalibrated" in types
        assert not [t for t in types if t.rsplit(".", 1)[1].startswith("_")], mode
    assert not [t for t in TRUSTED_TYPES if t.rsplit(".", 1)[1].startswith("_")]


def _copy_shipped(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(MODELS_DIR / "draft", target)
    return target


def test_tampered_model_file_is_refused(tmp_path):
    folder = _copy_shipped(tmp_path)
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256"):
        load_model(folder)


def test_tampered_arrays_file_is_refused(tmp_path):
    folder = _copy_shipped(tmp_path)
    data = bytearray((folder / "linear.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "linear.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="linear.npz: SHA-256"):
        load_model(folder)
    (folder / "linear.npz").unlink()
    with pytest.raises(ModelError, match="missing"):
        load_model(folder)


def test_a_model_saved_without_its_arrays_is_read_from_its_skops_file(tmp_path, draft_model, example_draft):
    """A model folder written before linear.npz existed still loads, and predicts the same."""
    folder = _copy_shipped(tmp_path)
    (folder / "linear.npz").unlink()
    metadata = json.loads((folder / METADATA_FILE).read_text())
    metadata.pop("linear_sha256")
    (folder / METADATA_FILE).write_text(json.dumps(metadata))
    write_manifest(folder)  # the folder as it was then, its manifest written for what it holds
    older = load_model(folder)
    assert [(p.p_overturned, p.score) for p in older.predict(example_draft)] == [
        (p.p_overturned, p.score) for p in draft_model.predict(example_draft)]


def test_predicting_imports_neither_scikit_learn_nor_skops():
    """The prediction path reads the model's arrays with numpy: scikit-learn, scipy and skops stay unimported
    (they were most of a batch's start-up)."""
    import subprocess
    import sys

    from tests.conftest import EXAMPLE_DRAFT, ROOT

    code = ("import sys\nfrom nlp_pipeline.predict.outcome import load_model\n"
            f"load_model(mode='draft').predict({str(EXAMPLE_DRAFT)!r})\n"
            "print(sorted(m for m in ('sklearn', 'skops', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["model.pkl", "model.joblib"])
def test_pickle_and_joblib_files_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelError, match="refused"):
        load_model(path)
    assert main(["predict", "--model", str(path), "--quiet", "examples/draft_letter.txt"]) == 2


def test_pickle_disguised_as_skops_is_refused(tmp_path):
    folder = _copy_shipped(tmp_path)
    (folder / MODEL_FILE).write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelError):
        load_model(folder)


def test_other_library_versions_warn_when_the_skops_file_is_read(tmp_path):
    """Predictions read the model's plain arrays, which no library version changes; the scikit-learn pipeline
    read from the skops file may differ, so reading it warns."""
    import warnings

    folder = _copy_shipped(tmp_path)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    metadata["versions"]["scikit-learn"] = "0.0.1"
    (folder / METADATA_FILE).write_text(json.dumps(metadata))
    write_manifest(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = load_model(folder)
    with pytest.warns(UserWarning, match="other library versions"):
        assert model.estimator is not None


def test_training_twice_with_one_seed_gives_the_same_model(seeds_dir, letters_dir):
    from nlp_pipeline.model.training import fit_model, labelled_examples, load_corpus

    corpus = load_corpus([seeds_dir, *sorted(letters_dir.glob("*.pdf"))[:40]], progress=False)
    examples = labelled_examples(corpus, "draft")
    first, t1, s1 = fit_model(examples, "draft", seed=3)
    second, t2, s2 = fit_model(examples, "draft", seed=3)
    assert s1 == s2
    rows = [e.features.values for e in examples]
    assert t1 == t2
    assert np.array_equal(first.predict_proba(rows), second.predict_proba(rows))


@pytest.mark.parametrize("mode", ["draft", "facts"])
def test_shipped_models_predict_every_shared_letter(mode, letters_dir):
    model = load_model(mode=mode)
    paths = shared_letter_paths()
    assert len(paths) >= 129
    for path in paths:
        predictions = model.predict(path)
        assert len(predictions) == len(load_letter(path).items)
        assert all(0.0 <= p.p_overturned <= 1.0 and p.predicted in ("Upheld", "Overturned") for p in predictions)


def test_draft_model_finds_the_overturned_items_of_finished_letters(letters_dir, draft_model):
    """On finished letters the verdict decides: both outcomes are found (always-Upheld would find none)."""
    found = {"Upheld": [], "Overturned": []}
    for path in sorted(letters_dir.glob("*.pdf"))[:60]:
        for p in draft_model.predict(path):
            found[p.stated_decision].append(p.predicted == p.stated_decision)
    assert len(found["Overturned"]) >= 10
    assert sum(found["Overturned"]) / len(found["Overturned"]) >= 0.9
    assert sum(found["Upheld"]) / len(found["Upheld"]) >= 0.95


def test_cli_predict_jsonl(example_draft, capsys):
    assert main(["predict", str(example_draft), "--format", "jsonl", "--quiet"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["item_index"] for r in records] == [0, 1, 2]
    for record in records:
        assert RECORD_KEYS <= set(record)
        assert record["stated_decision"] is None and record["agrees_with_stated"] is None
        assert all({"feature", "contribution", "text", "start", "end", "spans"} <= set(e) for e in record["evidence"])


def test_cli_predict_facts_mode_and_html(example_draft, tmp_path, capsys):
    code = main(["predict", str(example_draft), "--mode", "facts", "--format", "html", "--html-dir",
                 str(tmp_path / "pages"), "--quiet"])
    assert code == 0
    pages = sorted((tmp_path / "pages").glob("*.html"))
    assert [p.name for p in pages] == ["draft_letter.txt.html", "index.html"]  # the letter's page and the index
    html = pages[0].read_text()
    assert "P(Overturned)" in html and "<mark" in html and "Acupuncture" in html
    assert capsys.readouterr().out == ""  # the pages are the output: nothing on stdout


def test_facts_request_without_rationales(capsys):
    """A claims administrator's request (summary, items, denial guideline; no IMR rationale yet)."""
    from tests.conftest import ROOT

    code = main(["predict", str(ROOT / "examples" / "facts_request.txt"), "--mode", "facts", "--format", "jsonl"])
    captured = capsys.readouterr()
    assert code == 0
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["item_index"] for r in records] == [0, 1, 2]
    assert all(r["stated_decision"] is None and r["agrees_with_stated"] is None for r in records)
    assert all(0 < r["p_overturned"] < 1 and r["reasons"] for r in records)
    assert "Decision rationale" not in captured.err
    # evidence quoting the item's title is the title itself, without the ":" that introduces a decision
    titles = [e["text"] for r in records for e in r["evidence"] if e["feature"] == "surgical_item"]
    assert titles == [r["item"] for r in records]


def test_cli_predict_bad_file_goes_on(example_draft, tmp_path, capsys):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"not a pdf")
    assert main(["predict", str(bad), str(example_draft), "--format", "jsonl", "--quiet"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0] == {"source": str(bad), "error": records[0]["error"]} and "PDF" in records[0]["error"]
    assert len(records) == 4


def test_predict_frame(seeds_dir, draft_model):
    frame = draft_model.predict_frame(sorted(seeds_dir.glob("*.txt")))
    assert RECORD_KEYS <= set(frame.columns)
    assert len(frame) == 7  # 2 + 1 + 1 + 2 + 1 items


def test_a_draft_without_its_verdict_is_scored_as_the_finished_letter_was(seeds_dir, draft_model):
    """Blank the verdict sentences: the rationale model decides, at its cut, with the probability it gave the
    finished letter (its features never read the verdict sentences)."""
    from nlp_pipeline.facts.extract import extract_letter

    for path in sorted(seeds_dir.glob("*.txt")):
        letter = load_letter(path)
        finished = draft_model.predict_letter(letter)
        text = letter.text
        for item_facts in extract_letter(letter).items:
            for sentence in item_facts.verdict_sentences:
                text = text.replace(sentence.text, " " * len(sentence.text))
        unconcluded = parse_letter(text, source=letter.source, normalized=True)
        assert not any(f.verdict_sentences for f in extract_letter(unconcluded).items)
        for before, prediction in zip(finished, draft_model.predict_letter(unconcluded)):
            assert prediction.basis == "rationale" and prediction.verdict.value == "none"
            assert prediction.p_overturned == prediction.p_rationale
            assert prediction.p_rationale == pytest.approx(before.p_rationale, abs=1e-6), (path.name, before.item_index)
            assert (prediction.predicted == "Overturned") == (prediction.p_overturned >= draft_model.threshold)


def test_each_prediction_names_the_cut_it_was_judged_at(example_draft, facts_model, capsys):
    """Facts mode flags from a low probability: the record and the table say from which."""
    predictions = facts_model.predict(example_draft)
    assert predictions and all(p.threshold == pytest.approx(facts_model.threshold, abs=1e-6) for p in predictions)  # records round to 6 places
    assert all((p.predicted == "Overturned") == (p.p_overturned >= p.threshold) for p in predictions)
    assert main(["predict", str(example_draft), "--mode", "facts", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"(cut {facts_model.threshold:.3f}: Overturned from the cut up)" in out
    # and how its log-odds add up, where the layout of the review (context) is one of the parts
    first = predictions[0]
    assert (f"log-odds {first.score:+.2f} = start {first.intercept:+.2f}, the case and the request "
            f"{first.balance['case']:+.2f}") in out


def test_imr_train_refuses_too_few_letters_saying_why(seeds_dir, tmp_path, capsys):
    """Five letters with one Overturned item cannot be cross-validated honestly: a plain refusal, no traceback."""
    assert main(["train", str(seeds_dir), "--mode", "facts", "--out", str(tmp_path / "model"), "-q"]) == 1
    error = capsys.readouterr().err
    assert "too few labelled letters" in error and "found 1 with an Overturned item and 5 with an Upheld item" in error
    assert not (tmp_path / "model").exists()


@pytest.mark.slow
def test_imr_train_writes_a_model_that_predicts(seeds_dir, letters_dir, tmp_path, example_draft, capsys):
    """Retraining end to end: a folder of letters in, a loadable model with its honest report out."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for path in sorted(letters_dir.glob("*.pdf"))[:70]:
        (folder / path.name).symlink_to(path)
    out = tmp_path / "model"
    code = main(["train", str(folder), str(seeds_dir), "--mode", "facts", "--out", str(out), "--bootstrap", "20",
                 "--cv-repeats", "2", "-q"])
    printed = capsys.readouterr().out
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["letters"] == 75 and report["repeated"]["seeds"] == [0, 1]
    # on letters held out of every fit, each fold assignment ranks and flags better than always-Upheld
    repeated = report["repeated"]["variants"]["full"]
    assert repeated["roc_auc"]["min"] > 0.6 and repeated["balanced_accuracy"]["min"] > 0.55
    assert report["variants"]["full"]["model"]["metrics"]["overturned_recall"] > 0.3
    # every outer fold made its own choice among the declared candidates
    from nlp_pipeline.modes import FACTS
    assert len(report["fold_selections"]) == report["folds"]
    for selection in report["fold_selections"]:
        assert selection["params"]["C"] in FACTS.search["classify__C"]
        assert selection["params"]["weights"] in FACTS.search["weights__weights"]
    assert "Over 2 fold assignments" in printed and "| roc_auc |" in printed
    prediction = load_model(out).predict(example_draft)
    assert prediction and all(0 < p.p_overturned < 1 for p in prediction)

    # imr evaluate scores the new model on letters it has not seen, and leaves its training letters out
    unseen = tmp_path / "unseen"
    unseen.mkdir()
    for path in sorted(letters_dir.glob("*.pdf"))[70:]:
        (unseen / path.name).symlink_to(path)
    (unseen / "broken.pdf").write_bytes(b"not a pdf")
    assert main(["evaluate", str(unseen), str(folder), "--mode", "facts", "--model", str(out), "--format", "json",
                 "--bootstrap", "20"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["training_letters_seen"] == 70 and not result["in_sample"]
    assert result["letters"] == len(list(unseen.iterdir())) - 1 and set(result["metrics"]) >= {"roc_auc", "brier"}
    assert result["failed_files"] == [str(unseen / "broken.pdf")]


def test_evaluate_refuses_to_score_training_letters_silently(seeds_dir, capsys):
    """The shipped models were trained on the shared letters: scoring them would be in-sample."""
    assert main(["evaluate", str(seeds_dir), "--bootstrap", "0"]) == 1
    out = capsys.readouterr().out
    assert "5 letters were in the model's training data: left out" in out and "no labelled items" in out
    assert main(["evaluate", str(seeds_dir), "--bootstrap", "0", "--include-training-letters",
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["in_sample"] and result["items"] == 7


def test_prediction_path_never_imports_training_code(example_draft):
    """imr predict loads neither the training module nor the evaluation code (a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import sys; from nlp_pipeline.app.cli import main; "
            f"assert main(['predict', {str(example_draft)!r}, '--format', 'jsonl', '-q']) == 0; "
            "print(sorted(m for m in sys.modules if m in ('nlp_pipeline.model.training', 'nlp_pipeline.model.evaluation')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(("mode", "leans", "expected"),
                         [("draft", False, "CONTRADICTION: stated decision contradicts the verdict"),
                          ("draft", True, "CONTRADICTION: stated decision contradicts the verdict"),
                          ("facts", None, "differs from stated Upheld")])
def test_table_flags_a_contradiction_only_in_draft_mode(mode, leans, expected):
    from nlp_pipeline.app.commands.predict import _table

    record = {"source": "x.pdf", "item_index": 0, "item": "MRI", "predicted": "Overturned", "p_overturned": 0.6,
              "stated_decision": "Upheld", "agrees_with_stated": False, "mode": mode, "threshold": 0.5, "reasons": [],
              "basis": "verdict" if mode == "draft" else "facts", "p_rationale": 0.2 if mode == "draft" else None,
              "rationale_leans": leans}
    table = _table(record)
    assert expected in table
    assert "QUESTION" not in table


def test_table_words_a_question_apart_from_a_contradiction():
    from nlp_pipeline.app.commands.predict import _table

    record = {"source": "x.pdf", "item_index": 0, "item": "MRI", "predicted": "Overturned", "p_overturned": 0.96,
              "stated_decision": "Overturned", "agrees_with_stated": True, "mode": "draft", "threshold": 0.5,
              "reasons": [], "basis": "verdict", "p_rationale": 0.2, "rationale_leans": True}
    table = _table(record)
    assert "QUESTION: reasoning leans the other way" in table and "CONTRADICTION" not in table


def test_letter_wide_evidence_points_at_what_produced_it(facts_model):
    """The weeks from the injury quote the date of injury; the other items and the surgery (the review's layout,
    which the draft mode's features read and the facts model no longer does) point at their titles."""
    from nlp_pipeline.explain.reasons import reason
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.model.features import item_features
    from nlp_pipeline.types import Evidence
    from tests.conftest import ROOT

    request = json.loads((ROOT / "examples" / "facts_request.json").read_text())
    predictions = facts_model.predict(request)
    labs = predictions[1]
    evidence = {e.feature: e for p in predictions for e in p.evidence}
    assert evidence["weeks_to_review"].text == "06/02/2026"  # the header line the request becomes
    letter = parse_letter(request_text(request))
    letter_facts = extract_letter(letter)
    layout = item_features(letter, letter.items[1], letter_facts, "draft")
    first_title = request["items"][0]["request"]
    for name in ("other_items_in_letter", "letter_requests_surgery"):
        (start, end), = layout.evidence[name]
        assert letter.text[start:end] == first_title, name
    other = Evidence("other_items_in_letter", -0.5, first_title, layout.evidence["other_items_in_letter"])
    assert reason(other, letter_facts.items[1], letter_facts).startswith(
        "Context, not a medical reason: the same review disputes 2 other services")
    # the reasons word the medical evidence; context is worded apart (issue 29), and the facts model reads no layout
    assert labs.reasons and not any(r.startswith("Context, not a medical reason") for r in labs.reasons)
    assert not labs.context and labs.balance["context"] == 0


def test_the_evidence_and_the_balance_add_up_to_the_score(draft_model, facts_model, example_draft):
    """Every contribution is in the evidence (the smaller ones summed in one last entry), and the balance splits
    the score into what the case and the request add and what the review's layout adds."""
    from tests.conftest import ROOT

    request = json.loads((ROOT / "examples" / "facts_request.json").read_text())
    predictions = [*draft_model.predict(example_draft), *facts_model.predict(request)]
    for p in predictions:
        assert p.intercept + sum(e.contribution for e in p.evidence) == pytest.approx(p.score, abs=1e-4)
        assert p.intercept + p.balance["case"] + p.balance["context"] == pytest.approx(p.score, abs=1e-4)
    assert any(e.feature == "smaller_contributions" for p in predictions for e in p.evidence)
    facts = predictions[len(predictions) - len(request["items"])]
    assert facts.balance["context"] == 0 < facts.balance["case"]  # the facts model reads no layout (issue 30)


def test_html_highlights_every_span_of_an_evidence(example_draft, draft_model):
    """Evidence read from several places (three sentences arguing against) is highlighted at each."""
    import dataclasses

    from nlp_pipeline.app.render import predictions_html
    from nlp_pipeline.types import Evidence

    letter = load_letter(example_draft)
    prediction = draft_model.predict_letter(letter)[0]
    rationale = letter.items[0].rationale
    first, last = (rationale.start, rationale.start + 10), (rationale.end - 10, rationale.end)
    evidence = Evidence("case_sentences:against", -1.0, letter.text[slice(*first)], *first, spans=(first, last))
    html = predictions_html(letter, [dataclasses.replace(prediction, evidence=(evidence,))])
    assert html.count('<mark class="imr-EVIDENCE') == 2  # (the summary's guideline conditions are marked apart)


class _NotTrusted:
    """A type no model file may hold."""


def test_a_model_holding_an_untrusted_type_is_refused_before_it_is_built(tmp_path):
    """The skops file is audited whenever it is read (predicting reads the plain arrays beside it instead)."""
    import skops.io

    from nlp_pipeline.model.files import sha256

    folder = _copy_shipped(tmp_path)
    skops.io.dump({"estimator": _NotTrusted()}, folder / MODEL_FILE)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    (folder / METADATA_FILE).write_text(json.dumps({**metadata, "sha256": sha256(folder / MODEL_FILE)}))
    write_manifest(folder)  # every hash recorded as if genuine: the type audit is what refuses it
    with pytest.raises(ModelError, match="not trusted.*_NotTrusted"):
        assert load_model(folder).estimator is None  # never reached: reading the skops file raises
    (folder / "linear.npz").unlink()
    metadata.pop("linear_sha256")
    (folder / METADATA_FILE).write_text(json.dumps({**metadata, "sha256": sha256(folder / MODEL_FILE)}))
    write_manifest(folder)
    with pytest.raises(ModelError, match="not trusted.*_NotTrusted"):
        load_model(folder)  # a model without its arrays is read from the skops file at once


def _with_object_arrays(folder: Path) -> None:
    """Replace a model folder's arrays by a file holding a pickled object, its SHA-256 recorded as if genuine."""
    from nlp_pipeline.model.files import sha256

    with (folder / "linear.npz").open("wb") as handle:
        np.savez(handle, names=np.array([{"a": 1}], dtype=object), scale=np.ones(1), factor=np.ones(1),
                 intercept=np.zeros(1))
    metadata = json.loads((folder / METADATA_FILE).read_text())
    (folder / METADATA_FILE).write_text(json.dumps({**metadata, "linear_sha256": sha256(folder / "linear.npz")}))
    write_manifest(folder)


def test_an_arrays_file_holding_python_objects_is_refused(tmp_path):
    folder = _copy_shipped(tmp_path)
    _with_object_arrays(folder)
    with pytest.raises(ModelError, match="not a model's arrays file"):
        load_model(folder)


def test_a_tampered_model_is_refused_before_any_worker_starts(tmp_path):
    folder = _copy_shipped(tmp_path)
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(data))
    assert main(["predict", "--model", str(folder), "--jobs", "2", "--quiet", "examples/draft_letter.txt"]) == 2


def test_a_model_the_workers_cannot_load_gives_error_records_not_a_hang(tmp_path, capsys):
    folder = _copy_shipped(tmp_path)
    _with_object_arrays(folder)  # its files pass the main process's checks; loading them fails in the workers
    code = main(["predict", "--model", str(folder), "--jobs", "2", "--quiet", "--format", "jsonl",
                 "examples/draft_letter.txt", "examples/facts_request.txt"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1 and len(records) == 2
    assert all("not a model's arrays file" in r["error"] for r in records)


@pytest.mark.parametrize("mode", ["draft", "facts"])
def test_the_probability_explained_is_the_saved_estimators_own(mode, letters_dir):
    # the contributions are computed from the model's parts; their sigmoid must be what the saved pipeline says
    from nlp_pipeline.model.features import item_features
    from nlp_pipeline.facts.extract import extract_letter

    model = load_model(mode=mode)
    for path in sorted(letters_dir.glob("*.pdf"))[:4]:
        letter = load_letter(path)
        facts = extract_letter(letter)
        rows = [item_features(letter, item, facts, mode).values for item in letter.items]
        expected = model.estimator.predict_proba(rows)[:, 1]
        got = [p.p_rationale if mode == "draft" else p.p_overturned for p in model.predict_letter(letter)]
        assert got == pytest.approx(expected.tolist(), abs=2e-6)


def test_a_draft_item_with_no_rationale_yet_is_predicted_by_the_facts_model(example_draft, draft_model, facts_model):
    """An empty rationale is nothing the rationale model was trained on: that item takes the facts model's
    estimate (said in its first reason, its missing-rationale warning kept); the written items keep theirs."""
    import dataclasses

    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.predict.outcome import UNWRITTEN

    letter = load_letter(example_draft)
    first = letter.items[0].rationale
    unwritten = parse_letter(letter.text[:first.start] + letter.text[first.end:], source=letter.source, normalized=True)
    assert not unwritten.items[0].rationale or not unwritten.items[0].rationale.text.strip()
    draft, before = draft_model.predict_letter(unwritten), draft_model.predict_letter(letter)
    by_facts = facts_model.predict_letter(unwritten)[0]
    assert draft[0].basis == "facts" and draft[0].p_overturned == by_facts.p_overturned
    assert draft[0].reasons[0] == UNWRITTEN
    assert [(p.basis, p.p_overturned) for p in draft[1:]] == [(p.basis, p.p_overturned) for p in before[1:]]
    # without a facts model beside it the draft model still answers, by its rationale model as before
    alone = dataclasses.replace(draft_model, facts_dir=Path("/nonexistent/facts"))
    assert alone.predict_letter(unwritten)[0].basis == "rationale"
