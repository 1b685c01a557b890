"""Training and honest evaluation: grouped cross-validation, baselines, bootstrap confidence intervals.

Never imported by the prediction path.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import sklearn
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline
from tqdm import tqdm

from nlp_pipeline.io.batch import iter_letter_paths
from nlp_pipeline.io.requests import CASE_FIELDS, ITEM_FIELDS, request_text
from nlp_pipeline.model.dataset import Example, ParsedLetter, letter_examples, letter_fingerprint, letter_group
from nlp_pipeline.errors import LetterError
from nlp_pipeline.model.estimator import (FeatureNames, calibrated_model, grouped_folds, grouped_splits, linear_parts,
                                          linear_pipeline, vectorizer)
from nlp_pipeline.model.evaluation import METRICS, bootstrap_intervals, interval_text, metrics
from nlp_pipeline.model.features import part_spans, words
from nlp_pipeline.letter.parse import load_letter, parse_letter
from nlp_pipeline.modes import mode_of
from nlp_pipeline.types import VerdictValue

FOLDS = 5  # outer folds of the cross-validation ``train`` runs


@dataclass
class Corpus:
    """Parsed letters plus what could not be used, for the report."""

    letters: list[ParsedLetter] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unlabeled_items: int = 0


def load_corpus(paths: Iterable[str | Path], progress: bool | None = None) -> Corpus:
    """Read letters (files, folders, or CSV/JSONL tables of labelled items) with a progress bar."""
    corpus = Corpus()
    files = list(iter_letter_paths([str(p) for p in paths if Path(p).suffix.lower() not in (".csv", ".jsonl")]))
    tables = [Path(p) for p in paths if Path(p).suffix.lower() in (".csv", ".jsonl")]
    for path in tqdm(files, desc="reading letters", unit="letter", disable=None if progress is None else not progress):
        try:
            corpus.letters.append(ParsedLetter.of(load_letter(path)))
        except LetterError as err:
            corpus.failed.append((str(path), err.reason))
    for table in tables:
        for source, build_text in _table_letters(table):
            try:
                corpus.letters.append(ParsedLetter.of(parse_letter(build_text(), source=source)))
            except LetterError as err:
                corpus.failed.append((source, err.reason))
    corpus.unlabeled_items = sum(1 for p in corpus.letters for i in p.letter.items if i.stated_decision is None)
    return corpus


def _table_letters(path: Path) -> list[tuple[str, Callable[[], str]]]:
    """The letters of a CSV or JSONL table as ``(source, text builder)``.

    A row holds a whole letter (``text`` column), or one labelled item: ``case_number``,
    ``case_summary``, ``request``, ``claims_administrator_guideline``, ``maximus_guideline``,
    ``rationale``, ``decision`` (``Upheld`` / ``Overturned``) and optionally ``date_of_injury`` /
    ``ur_denial_date``; rows of one case number form one letter, in table order.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(handle))
        else:
            rows = [json.loads(line) for line in handle if line.strip()]
    letters: list[tuple[str, Callable[[], str]]] = []
    cases: dict[str, list[dict]] = {}
    for number, row in enumerate(rows, 1):
        if row.get("text"):
            letters.append((row.get("source") or f"{path}:{number}", lambda text=row["text"]: text))
        else:
            cases.setdefault(row.get("case_number") or f"{path}:{number}", []).append(row)
    for case, case_rows in cases.items():
        letters.append((f"{path}:{case}", lambda case_rows=case_rows: request_text(_case_of(case_rows))))
    return letters


def _case_of(rows: list[dict]) -> dict:
    """Item rows of one case as a :mod:`~nlp_pipeline.io.requests` request (header from the first row)."""
    first = rows[0]
    case = {key: first.get(key) for key in CASE_FIELDS}
    case["items"] = [{key: row.get(key) for key in ITEM_FIELDS} for row in rows]
    return case


def labelled_examples(corpus: Corpus, mode: str) -> list[Example]:
    """Every labelled item of the corpus as examples in ``mode``."""
    return [e for p in corpus.letters for e in letter_examples(p, mode) if e.label is not None]


def verdict_calibration(examples: list[Example]) -> dict[str, dict[str, float]]:
    """P(Overturned | verdict) measured on labelled items: per verdict value, the items that state it, how
    many of them were Overturned, and the Jeffreys estimate (k + 1/2) / (n + 1), never exactly 0 or 1."""
    out = {}
    for value in (VerdictValue.NECESSARY, VerdictValue.NOT_NECESSARY):
        labels = [e.label for e in examples if e.verdict == value]
        k, n = int(sum(labels)), len(labels)
        out[value.value] = {"items": n, "overturned": k, "p_overturned": (k + 0.5) / (n + 1)}
    return out


def arrays(examples: list[Example]) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """(feature dicts, labels, letter groups)."""
    return ([e.features.values for e in examples], np.array([e.label for e in examples]),
            np.array([e.group for e in examples]))


def fit_model(examples: list[Example], mode: str, C: float | None = None, seed: int = 0, n_splits: int = 5,
              search: dict[str, list] | None = None) -> tuple[Any, float, dict[str, Any]]:
    """Choose, fit and calibrate the model on ``examples`` alone, and choose its threshold: no test data.

    1. ``GridSearchCV`` over ``search`` (default the mode's ``search``, :mod:`nlp_pipeline.modes`; ``C``
       fixes C) with grouped folds of these letters, by ROC-AUC;
    2. ``TunedThresholdClassifierCV`` on the chosen pipeline, same folds, picks the decision-function cut
       that maximizes the mode's objective (F1 of Overturned in draft mode, balanced accuracy in facts mode);
    3. ``SigmoidCalibrated`` (Platt's sigmoid on ``cross_val_predict`` scores of the same folds) fits the
       shipped model; the cut is carried through its sigmoid into a probability.

    Returns ``(model, threshold, selection)``: ``selection`` holds the chosen parameters and their inner score.
    """
    rows, y, groups = arrays(examples)
    vectorize = vectorizer(rows)
    X = vectorize.transform(rows)
    # the columns' names: FamilyWeights and SignConstrainedLogisticRegression ask for them in fit (metadata
    # routing) and find each column's family weight and sign by name
    names = FeatureNames(vectorize.get_feature_names_out())
    grid = dict(search or mode_of(mode).search)
    if C is not None:
        grid["classify__C"] = [C]
    folds = grouped_folds(n_splits, seed)
    with sklearn.config_context(enable_metadata_routing=True):
        searched = GridSearchCV(linear_pipeline(seed=seed), grid, cv=folds, scoring="roc_auc", refit=False)
        searched.fit(X, y, groups=groups, feature_names=names)
        chosen = linear_pipeline(seed=seed).set_params(**searched.best_params_)
        tuned = TunedThresholdClassifierCV(chosen, scoring=mode_of(mode).objective, response_method="decision_function",
                                           cv=folds, refit=True).fit(X, y, groups=groups, feature_names=names)
        model = calibrated_model(vectorize, chosen, list(folds.split(X, y, groups))).fit(rows, y, feature_names=names)
    parts = linear_parts(model)
    threshold = float(expit(-(parts.slope * tuned.best_threshold_ + parts.offset)))
    selection = {"params": _plain_params(searched.best_params_), "inner_roc_auc": float(searched.best_score_)}
    return model, threshold, selection


def _plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """``{"classify__C": 10, "weights__weights": {...}}`` → ``{"C": 10, "weights": {...}}``."""
    return {name.rsplit("__", 1)[1]: value for name, value in params.items()}


def _text_of(example_letter: ParsedLetter, index: int, mode: str, drop_verdict: bool) -> str:
    """The words the TF-IDF baseline reads: the mode's parts, the verdict sentences kept or dropped."""
    letter = example_letter.letter
    item = letter.items[index]
    item_facts = example_letter.facts.items[index]
    drop = item_facts.verdict_sentences if drop_verdict else ()
    return " ".join(" ".join(words(s.text, keep_numbers=True)) for prefix in mode_of(mode).baseline_parts
                    for s in part_spans(letter, item, prefix, item_facts, drop))


def tfidf_baseline(texts: list[str], y: np.ndarray, groups: np.ndarray, seed: int = 0, n_splits: int = 5):
    """The peers' baseline, fit on ``texts``: TF-IDF word n-grams + class-weighted logistic regression, its C
    chosen by the same grouped grid search as the model's (so the comparison is like for like)."""
    pipeline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                             LogisticRegression(class_weight="balanced", solver="liblinear"))
    search = GridSearchCV(pipeline, {"logisticregression__C": [0.1, 1.0, 10.0, 100.0]},
                          cv=grouped_folds(n_splits, seed), scoring="roc_auc")
    return search.fit(texts, y, groups=groups).best_estimator_


def cross_validate(corpus: Corpus, mode: str, C: float | None = None, seed: int = 0, n_splits: int = 5,
                   reps: int = 1000, progress: Callable | None = None) -> dict[str, Any]:
    """Grouped cross-validation of the whole procedure and both baselines on the same folds, per variant.

    Each outer fold runs :func:`fit_model` (its own grid search, threshold and calibration on inner folds of
    its training letters) and measures the verdict's agreement with the stated decisions on those letters
    only, then predicts the held-out letters: no metric sees data its model, or any choice, was fit on.
    """
    examples = labelled_examples(corpus, mode)
    _, y, groups = arrays(examples)
    outer = grouped_splits(y, groups, n_splits, seed)
    return evaluate_splits(corpus, mode, examples, outer, C, seed, n_splits, reps, progress)


def evaluate_splits(corpus: Corpus, mode: str, examples: list[Example], splits, C: float | None = None,
                    seed: int = 0, n_splits: int = 5, reps: int = 1000, progress: Callable | None = None
                    ) -> dict[str, Any]:
    """Fit on each split's training rows, predict its test rows; the metrics cover every test row once
    (the outer folds of :func:`cross_validate`, or the study/sealed split of ``scripts/eval_sealed.py``)."""
    spec = mode_of(mode)
    _, y, groups = arrays(examples)
    results: dict[str, Any] = {"mode": mode, "folds": len(splits), "seed": seed, "variants": {}}
    parsed_by_group = {letter_group(p.letter): p for p in corpus.letters}
    texts = {drop: [_text_of(parsed_by_group[e.group], e.item_index, mode, drop) for e in examples]
             for drop in (False, True)}
    p_model, p_prior = np.zeros(len(y)), np.zeros(len(y))
    p_tfidf = {drop: np.zeros(len(y)) for drop in (False, True)}
    threshold_of, fold_of, thresholds, calibrations = np.zeros(len(y)), np.zeros(len(y), dtype=int), [], []
    selections, tested = [], np.concatenate([test for _, test in splits])
    for fold, (train, test) in enumerate(splits):
        train_examples = [examples[i] for i in train]
        model, threshold, selection = fit_model(train_examples, mode, C, seed, n_splits)
        selections.append(selection)
        p_model[test] = model.predict_proba([examples[i].features.values for i in test])[:, 1]
        threshold_of[test], fold_of[test], p_prior[test] = threshold, fold, y[train].mean()
        thresholds.append(threshold)
        calibrations.append(verdict_calibration(train_examples))
        for drop in (False, True) if spec.reads_verdict else (False,):  # like the model, each variant's baseline
            # reads the verdict sentences in training only where it reads them in testing
            baseline = tfidf_baseline([texts[drop][i] for i in train], y[train], groups[train], seed, n_splits)
            p_tfidf[drop][test] = baseline.predict_proba([texts[drop][i] for i in test])[:, 1]
        if progress:
            progress(fold)
    y_t, groups_t = y[tested], groups[tested]
    for variant in spec.variants:
        verdict_first = spec.reads_verdict and variant == "full"
        p, predicted = p_model.copy(), p_model >= threshold_of
        basis = [spec.model_basis] * len(y)
        for i, example in enumerate(examples):
            if verdict_first and example.verdict != "none":
                p[i] = calibrations[fold_of[i]][example.verdict]["p_overturned"]
                predicted[i], basis[i] = example.verdict == VerdictValue.NECESSARY, "verdict"
        p_base = p_tfidf[variant == "no_verdict"]
        results["variants"][variant] = {
            "items": int(len(tested)), "overturned": int(y_t.sum()), "letters": int(len(set(groups_t))),
            "model": _scored(y_t, p[tested], predicted[tested], groups_t, reps, seed),
            "tfidf_logreg": _scored(y_t, p_base[tested], p_base[tested] >= 0.5, groups_t, reps, seed),
            "base_rate": {"metrics": metrics(y_t, p_prior[tested], p_prior[tested] >= 0.5)},
            "fold_thresholds": thresholds, "threshold": float(np.median(thresholds)),
            "decided_by_verdict": int(sum(basis[i] == "verdict" for i in tested)),
            "predictions": [{"source": examples[i].source, "item_index": examples[i].item_index,
                             "title": examples[i].title, "label": int(y[i]), "p_overturned": float(p[i]),
                             "p_rationale": float(p_model[i]), "basis": basis[i], "verdict": examples[i].verdict,
                             "threshold": float(threshold_of[i]), "treatment": examples[i].treatment}
                            for i in sorted(tested)],
        }
        if spec.reads_verdict:
            results["variants"][variant]["fold_verdict_calibration"] = calibrations
    results["fold_selections"] = selections
    return results


def repeated_cv(corpus: Corpus, mode: str, first: dict[str, Any], repeats: int, C: float | None = None,
                seed: int = 0, progress: Callable | None = None) -> dict[str, Any]:
    """How much the figures move with the fold assignment: ``first`` (the report of ``cross_validate``
    with ``seed``) and ``repeats - 1`` more runs with the next seeds; mean, min and max per metric
    (``progress`` is called after each outer fold of each run)."""
    runs = [first] + [cross_validate(corpus, mode, C, seed + k, reps=0, progress=progress) for k in range(1, repeats)]
    out: dict[str, Any] = {"repeats": repeats, "seeds": [seed + k for k in range(repeats)], "variants": {}}
    for variant in first["variants"]:
        values = {key: [run["variants"][variant]["model"]["metrics"][key] for run in runs]
                  for key in first["variants"][variant]["model"]["metrics"]}
        out["variants"][variant] = {key: {"mean": float(np.mean(v)), "min": float(np.min(v)), "max": float(np.max(v))}
                                    for key, v in values.items()}
    return out


def _scored(y, p, predicted, groups, reps, seed) -> dict[str, Any]:
    """Metrics of the predictions (each row judged at its own fold's threshold, or by its verdict), with
    their bootstrap intervals."""
    intervals = bootstrap_intervals(y, p, predicted, groups, reps, seed) if reps else {}
    return {"metrics": metrics(y, p, predicted), "ci95": intervals}


def data_hash(corpus: Corpus) -> str:
    """SHA-256 over the training letters' texts and labels (order-independent)."""
    import hashlib

    digests = sorted(
        hashlib.sha256((p.letter.text + "|" + ",".join(str(i.stated_decision) for i in p.letter.items)).encode())
        .hexdigest() for p in corpus.letters)
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def git_revision() -> str | None:
    """The repository's current commit, when there is one."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def check_trainable(examples: list[Example], n_splits: int = 5) -> None:
    """Refuse, saying why, a training set too small for the nested procedure: every outer fold's training letters
    are split again into ``n_splits`` inner folds, and each inner fold must hold both outcomes for its ROC-AUC,
    cut and calibration, so each outcome needs at least ``2 * n_splits`` letters stating it."""
    needed = 2 * n_splits
    letters = {label: {e.group for e in examples if e.label == label} for label in (0, 1)}
    short = [f"{len(letters[label])} with {name}" for label, name in ((1, "an Overturned item"), (0, "an Upheld item"))
             if len(letters[label]) < needed]
    if short:
        raise ValueError(f"too few labelled letters to train and evaluate honestly: the nested grouped "
                         f"cross-validation ({n_splits} outer folds, {n_splits} inner folds in each) needs at least "
                         f"{needed} letters with an Overturned item and {needed} with an Upheld item; found "
                         f"{' and '.join(short)} ({len(examples)} labelled items in all)")


def train(paths: Iterable[str | Path], mode: str, out: str | Path, seed: int = 0, C: float | None = None,
          reps: int = 1000, repeats: int = 5, progress: bool | None = None, log=print,
          bootstrap_models: int | None = None) -> dict[str, Any]:
    """Read letters, cross-validate (``repeats`` times with different folds, to show how much the figures
    move), fit the final model on everything, save it with its report. ``bootstrap_models``: the refits on resampled
    letters behind each probability's interval (default the mode's; :mod:`nlp_pipeline.model.resampling`)."""
    from nlp_pipeline.model.files import save_model, write_manifest

    corpus = load_corpus(paths, progress=progress)
    examples = labelled_examples(corpus, mode)
    check_trainable(examples)
    log(f"{len(corpus.letters)} letters, {len(examples)} labelled items "
        f"({sum(e.label for e in examples)} Overturned), {corpus.unlabeled_items} unlabelled items skipped, "
        f"{len(corpus.failed)} files failed")
    # one bar over every outer fold of every fold assignment (each fold fits the whole procedure), then the final fit
    bar = tqdm(total=FOLDS * max(repeats, 1), desc="cross-validation", unit="fold",
               disable=None if progress is None else not progress)
    report = cross_validate(corpus, mode, C, seed, n_splits=FOLDS, reps=reps, progress=lambda _: bar.update())
    bar.total = report["folds"] * max(repeats, 1)  # fewer folds than FOLDS when there are few letters
    bar.refresh()
    if repeats > 1:
        bar.set_description(f"cross-validation, {repeats - 1} more fold assignment{'s' * (repeats > 2)}")
        report["repeated"] = repeated_cv(corpus, mode, report, repeats, C, seed, progress=lambda _: bar.update())
    bar.close()
    log("fitting the model on every letter")
    model, threshold, selection = fit_model(examples, mode, C, seed)
    calibration = verdict_calibration(examples) if mode_of(mode).reads_verdict else None
    report.update(
        letters=len(corpus.letters), labelled_items=len(examples), unlabeled_items=corpus.unlabeled_items,
        failed_files=[{"source": s, "error": e} for s, e in corpus.failed], threshold=threshold,
        verdict_calibration=calibration, selection=selection, seed=seed, bootstrap=reps,
    )
    metadata = {
        "mode": mode, "trained_at": date.today().isoformat(), "threshold": threshold,
        "verdict_calibration": calibration, "seed": seed,
        "selection": selection, "data_sha256": data_hash(corpus),
        "git_revision": git_revision(), "training_letters": len(corpus.letters), "training_items": len(examples),
        # the usual rate the outputs compare P(Overturned) with (nlp_pipeline.explain.labels)
        "training_overturned": int(sum(e.label for e in examples)),
        "overturned_rate": float(sum(e.label for e in examples)) / len(examples),
        "training_fingerprints": sorted(letter_fingerprint(p.letter) for p in corpus.letters),
        "metrics": {v: r["model"] for v, r in report["variants"].items()},
        "repeated_cv": report.get("repeated"),
    }
    from nlp_pipeline.model.resampling import uncertainty_metadata

    count = mode_of(mode).bootstrap_models if bootstrap_models is None else bootstrap_models
    if count:
        log(f"refitting on {count} resamples of the letters (each probability's interval)")
    refits_bar = tqdm(total=count, desc="bootstrap refits", unit="fit",
                      disable=True if not count else None if progress is None else not progress)
    metadata.update(uncertainty_metadata(out, examples, mode, model, selection,
                                         report["variants"]["full"]["predictions"], report["folds"], seed, count,
                                         progress=lambda _: refits_bar.update()))
    refits_bar.close()
    folder = save_model(model, out, metadata)
    predictions = {v: r.pop("predictions") for v, r in report["variants"].items()}
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (folder / "cv_predictions.json").write_text(json.dumps(predictions) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(report_markdown(report), encoding="utf-8")
    write_manifest(folder)  # the reports too: every file of the folder is in its manifest
    return report


def report_markdown(report: dict[str, Any]) -> str:
    """The evaluation report as a Markdown table per variant (model vs baselines, 95% CIs)."""
    lines = [f"# Evaluation: {report['mode']} mode", "",
             f"Grouped {report['folds']}-fold cross-validation by letter; 95% intervals from {report.get('bootstrap', 0)} bootstrap "
             f"resamples of letters. Threshold per fold chosen on that fold's training letters only. Base rate: a "
             f"constant at the training letters' Overturned rate (always Upheld, calibrated).", ""]
    for variant, result in report["variants"].items():
        lines += [f"## {variant} ({result['items']} items, {result['overturned']} Overturned, "
                  f"{result['letters']} letters)", "",
                  "| metric | model | 95% CI | TF-IDF + LR | base rate |", "|---|---|---|---|---|"]
        for key in METRICS:
            ci_text = interval_text(result["model"].get("ci95", {}).get(key))
            lines.append(f"| {key} | {result['model']['metrics'][key]:.3f} | {ci_text} | "
                         f"{result['tfidf_logreg']['metrics'][key]:.3f} | {result['base_rate']['metrics'][key]:.3f} |")
        repeated = report.get("repeated", {}).get("variants", {}).get(variant)
        if repeated:
            spread = ", ".join(f"{key} {m['mean']:.3f} ({m['min']:.3f}–{m['max']:.3f})"
                               for key, m in repeated.items())
            lines += ["", f"Over {report['repeated']['repeats']} fold assignments (seeds "
                          f"{report['repeated']['seeds'][0]}–{report['repeated']['seeds'][-1]}), mean (min–max): {spread}."]
        lines.append("")
    return "\n".join(lines)
