"""Loading, checking and running a saved outcome model (skops file + metadata with its SHA-256).

Only the skops format is loaded, with an explicit list of trusted types; pickle and joblib files are
refused, as is a file whose SHA-256 differs from its metadata. Nothing in a model folder is executed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from nlp_pipeline.errors import ModelError
from nlp_pipeline.explain.evidence import evidence_for, is_lone_word
from nlp_pipeline.model.features import NUMBER, PERSON, family_of, item_features
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.model.linear import LinearModel
from nlp_pipeline.modes import Mode, mode_of
from nlp_pipeline.model.files import checked_files, checked_linear, linear_model_of, load_estimator, usual_rate_of
from nlp_pipeline.model.uncertainty import BootstrapSet, checked_bootstrap, statement
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.explain.qa import qa_reading
from nlp_pipeline.explain.labels import outcome_label
from nlp_pipeline.explain.reasons import is_context, is_wording, reason, short_quote, wording_part, wording_reason
from nlp_pipeline.types import ConditionState, Evidence, Letter, LetterFacts, Outcome, Prediction, Recommendation

TOP_EVIDENCE = 8
# the evidence entry that holds the contributions past the first TOP_EVIDENCE, summed: the evidence adds up to the score
SMALLER = "smaller_contributions"


def load_model(path: str | Path | None = None, mode: str = "draft") -> "OutcomeModel":
    """Load a model folder (default: the shipped ``models/<mode>``), refusing unsafe or altered files. The
    prediction path reads the model's arrays (``linear.npz``, :mod:`nlp_pipeline.model.linear`) with numpy alone; a model
    saved without them is read from its skops file."""
    model_file, metadata = checked_files(path, mode)
    linear = checked_linear(model_file, metadata)
    refits = checked_bootstrap(Path(model_file).parent, metadata)  # facts models: the refits behind each interval
    # a draft model predicts an item with no rationale yet by the facts model beside it (models/facts for models/x)
    facts_dir = Path(model_file).parent.parent / "facts" if metadata.get("mode") == "draft" else None
    if linear is not None:
        return OutcomeModel(metadata, LinearModel.load(linear), facts_dir, model_file, refits)
    estimator = load_estimator(model_file, metadata)
    model = OutcomeModel(metadata, linear_model_of(estimator), facts_dir, model_file, refits)
    model.__dict__["estimator"] = estimator  # already loaded
    return model


@dataclass
class OutcomeModel:
    """A loaded model: predicts each item of a letter with its explanation."""

    metadata: dict[str, Any]
    parts: LinearModel  # what predicting reads: the calibrated linear model's arrays
    facts_dir: Path | None = None  # draft mode: the facts model for items with no rationale yet
    model_file: Path | None = None  # the skops file, the model of record
    refits: BootstrapSet | None = None  # facts mode: the refits on resampled letters behind each p_interval

    @cached_property
    def estimator(self):
        """The fitted scikit-learn pipeline (loaded from the skops file when first asked: predicting never needs
        it)."""
        return load_estimator(self.model_file, self.metadata)

    @property
    def mode(self) -> str:
        """``draft`` or ``facts``."""
        return self.metadata["mode"]

    @property
    def spec(self) -> Mode:
        """What the mode reads and how (:class:`nlp_pipeline.modes.Mode`)."""
        return mode_of(self.mode)

    @property
    def threshold(self) -> float:
        """The probability from which an item is predicted Overturned."""
        return float(self.metadata["threshold"])

    @cached_property
    def layout_columns(self) -> frozenset[int]:
        """The columns of the review's layout (the ``letter`` family: context, not a medical reason), once per model."""
        return frozenset(j for j, name in enumerate(self.parts.names) if family_of(name) == "letter")

    @cached_property
    def wording_columns(self) -> frozenset[int]:
        """The columns of the text model's word n-grams (worded together, as one line about the wording)."""
        return frozenset(j for j, name in enumerate(self.parts.names) if is_wording(name))

    @property
    def usual_rate(self) -> float | None:
        """The share of Overturned among the training items (``overturned_rate`` in the metadata, else the model's
        ``report.json``); None when neither says."""
        rate = self.metadata.get("overturned_rate")
        if rate is None and self.model_file is not None:
            return usual_rate_of(Path(self.model_file).parent)
        return None if rate is None else float(rate)

    @cached_property
    def facts_model(self) -> OutcomeModel | None:
        """Draft mode: the facts model that predicts an item whose rationale is not written yet (loaded when first
        needed; None when there is none beside this model or it cannot be loaded)."""
        if self.facts_dir is None:
            return None
        try:
            return load_model(self.facts_dir, "facts")
        except (ModelError, OSError):
            return None

    def verdict_probability(self, value: str) -> float | None:
        """P(Overturned) for an item whose rationale states verdict ``value``: the rate measured on the
        training items with that verdict (None for facts models and models without the measurement)."""
        calibration = (self.metadata.get("verdict_calibration") or {}).get(value)
        return None if calibration is None else float(calibration["p_overturned"])

    def predict(self, letter: str | Path | Letter | dict) -> list[Prediction]:
        """Predict every item of a letter given as a path, a parsed Letter, the letter's text, or a
        before-review request as a dict (:func:`nlp_pipeline.letter.parse.read_letter` tells them apart)."""
        return self.predict_letter(read_letter(letter))

    def predict_letter(self, letter: Letter, docs: dict | None = None, items: Iterable[int] | None = None,
                       facts: LetterFacts | None = None) -> list[Prediction]:
        """Predict every item of a parsed letter (``docs``: see :func:`nlp_pipeline.facts.extract.extract_letter`).

        ``items``: the indices of the items to predict, in the order given (default every item); each item's
        prediction reads only that item's facts, the case summary's and the letter's. ``facts``: the letter's facts
        when they are already read (default: :func:`~nlp_pipeline.facts.extract.extract_letter`); the what-if
        edits pass the facts of one item re-read (:func:`~nlp_pipeline.facts.extract.extract_item`)."""
        if not letter.items:
            return []
        facts = extract_letter(letter, docs=docs) if facts is None else facts
        chosen = letter.items if items is None else [letter.items[index] for index in items]
        parts = self.parts
        names = parts.names
        intercept = parts.intercept
        rows = [item_features(letter, item, facts, self.mode) for item in chosen]
        out = []
        for item, row, shares in zip(chosen, rows, parts.contributions([row.values for row in rows])):
            score = intercept + sum(shares.values())
            p_model = _logistic(score)  # the calibrated probability: the sigmoid of the summed log-odds
            ranked = [(j, c) for j, c in sorted(shares.items(), key=lambda kv: -abs(kv[1])) if c]
            item_facts = facts.items[item.index]
            evidence = tuple(evidence_for(names[j], c, row, letter, item, item_facts) for j, c in ranked[:TOP_EVIDENCE])
            rest = [c for _, c in ranked[TOP_EVIDENCE:]]
            if rest:
                evidence += (Evidence(SMALLER, round(sum(rest), 6), f"{len(rest)} smaller contributions together"),)
            context = sum(c for j, c in shares.items() if j in self.layout_columns)
            balance = {"case": round(score - intercept - context, 6), "context": round(context, 6)}
            wording = [(j, c) for j, c in ranked if j in self.wording_columns]
            reasons, context_reasons = _worded(evidence, wording, names, item_facts, facts, letter.text)
            honest = self._uncertainty(row.values, item_facts)
            out.append(self._decide(letter, item, item_facts.verdict, p_model, score, intercept, evidence, reasons,
                                    item_facts.warnings, balance, context_reasons, item_facts.recommendation, honest,
                                    item_facts.rationale_conditions))
        return self._unwritten_by_facts(letter, out, docs, facts)

    def _unwritten_by_facts(self, letter: Letter, predictions: list[Prediction], docs: dict | None,
                            facts: LetterFacts) -> list[Prediction]:
        """Draft mode: an item whose rationale is not written yet is predicted by the facts model (the rationale
        model would read an empty rationale, which no training item has), said so in its first reason."""
        if not self.spec.reads_verdict:
            return predictions
        unwritten = [at for at, p in enumerate(predictions) if not _written(letter.items[p.item_index].rationale)]
        if not unwritten or self.facts_model is None:
            return predictions
        indices = [predictions[at].item_index for at in unwritten]
        by_facts = self.facts_model.predict_letter(letter, docs=docs, items=indices, facts=facts)
        for at, p in zip(unwritten, by_facts):  # the draft's warnings stay: its missing rationale is news to a drafter
            warnings_ = tuple(dict.fromkeys((*predictions[at].warnings, *p.warnings)))
            predictions[at] = dataclasses.replace(p, reasons=(UNWRITTEN, *p.reasons), warnings=warnings_)
        return predictions

    def _uncertainty(self, values: dict[str, float], item_facts) -> dict[str, Any]:
        """A facts-mode item's ``p_interval`` (when the model carries its refits) and ``uncertainty`` statement
        (:mod:`nlp_pipeline.model.uncertainty`); nothing in draft mode."""
        if self.spec.reads_verdict:
            return {}
        interval = None
        if self.refits is not None:
            vocabulary = self.parts.vocabulary
            found = [(vocabulary[name], value) for name, value in values.items() if name in vocabulary]
            interval = self.refits.interval(np.array([c for c, _ in found], dtype=np.int64),
                                            np.array([v for _, v in found], dtype=np.float64))
        category = item_facts.treatment.category if item_facts.treatment else None
        return {"p_interval": interval, "uncertainty": statement(self.metadata, category)}

    def _decide(self, letter: Letter, item, verdict, p_model: float, score: float, intercept: float, evidence,
                reasons: list[str], unread: tuple[str, ...] = (), balance: dict[str, float] | None = None,
                context: list[str] = (), recommendation: Recommendation | None = None,
                honest: dict[str, Any] | None = None, stated_conditions: tuple[ConditionState, ...] = ()) -> Prediction:
        """The item's prediction: the verdict decides where the rationale states one (draft mode), else the model;
        ``stated_conditions`` (the rationale's statements of the guideline's conditions) are copied in draft mode only."""
        stated = item.stated_decision
        usual = self.usual_rate
        common = dict(source=letter.source, case_number=letter.case_number, item_index=item.index, item=item.title,
                      stated_decision=stated, mode=self.mode, score=round(score, 6), intercept=round(intercept, 6),
                      threshold=round(self.threshold, 6), evidence=evidence, balance=balance,
                      warnings=letter.item_warnings(item.index, self.spec.unread_parts) + unread,
                      context=tuple(context), usual_rate=None if usual is None else round(usual, 6),
                      recommendation=recommendation,
                      rationale_conditions=tuple(stated_conditions) if self.spec.reads_verdict else ())
        if not self.spec.reads_verdict:
            predicted = Outcome.at(p_model, self.threshold)
            return Prediction(predicted=predicted, p_overturned=round(p_model, 6), basis=self.spec.model_basis,
                              agrees_with_stated=None if stated is None else stated == predicted,
                              reasons=tuple(reasons), **common, **(honest or {}),
                              outcome_label=outcome_label(predicted, p_model, self.threshold, self.spec.model_basis,
                                                          usual))
        p_verdict = self.verdict_probability(verdict.value) if verdict.outcome else None
        if p_verdict is not None:
            predicted, p, basis = verdict.outcome, p_verdict, "verdict"
            quoted = " ".join((verdict.sentence or verdict.phrase).text.split())
            reasons = [f'The rationale concludes "{short_quote(quoted, 110)}": its verdict decides ({predicted}; '
                       f"P(Overturned) {p:.3f} is the rate among training items with this verdict).", *reasons[:4]]
        else:
            predicted = Outcome.at(p_model, self.threshold)
            p, basis = p_model, self.spec.model_basis
        qa = qa_reading(verdict, stated, p_model, self.threshold)
        return Prediction(predicted=predicted, p_overturned=round(p, 6), basis=basis, p_rationale=round(p_model, 6),
                          verdict=verdict, agrees_with_stated=qa.agrees_with_stated, rationale_leans=qa.rationale_leans,
                          qa=qa.note, reasons=tuple(reasons), **common,
                          outcome_label=outcome_label(predicted, p, self.threshold, basis, usual))

    def predict_frame(self, letters: Iterable[str | Path | Letter]):
        """A pandas DataFrame with one row per item of every letter (records as ``imr predict`` writes them)."""
        import pandas as pd

        return pd.DataFrame([p.to_dict() for letter in letters for p in self.predict(letter)])


REASONS = 5  # worded medical reasons per item (the wording line among them), largest first
CONTEXT_REASONS = 3  # worded context per item, largest first
WORDING_PHRASES = 3  # the phrases the wording line quotes


UNWRITTEN = ("No rationale is written yet: predicted from what is known before review (the facts model: case "
             "summary, request, claims administrator guideline).")


def _written(rationale) -> bool:
    """Whether an item's rationale holds any words."""
    return rationale is not None and any(ch.isalpha() for ch in rationale.text)


def _worded(evidence, wording: list[tuple[int, float]], names, item_facts, facts, text: str
            ) -> tuple[list[str], list[str]]:
    """The medical reasons and the context, each worded and largest first: the evidence that is context (the review's
    layout, the rationale's counts: :func:`nlp_pipeline.explain.reasons.is_context`) apart; the word n-grams
    (``wording``: their columns and contributions, largest first, every one of the item's) as one line about the
    wording, placed by their sum, never as reasons of their own."""
    medical = [(abs(e.contribution), reason(e, item_facts, facts, text)) for e in evidence
               if e.feature != SMALLER and not is_context(e.feature) and not is_wording(e.feature)]
    total = sum(c for _, c in wording)
    if wording and round(total, 2):
        # the phrases it weighs most, each once, leaving out grams of function words only ("with", "has")
        phrases = [p for p in dict.fromkeys(_phrase(names[j]) for j, _ in wording) if not is_lone_word(p)]
        parts = [wording_part(names[j]) for j, _ in wording]
        medical.append((abs(total), wording_reason(phrases[:WORDING_PHRASES], total, parts)))
    medical.sort(key=lambda pair: -pair[0])
    context = [reason(e, item_facts, facts, text) for e in evidence if e.feature != SMALLER and is_context(e.feature)]
    return [r for _, r in medical[:REASONS]], context[:CONTEXT_REASONS]


def _phrase(feature: str) -> str:
    """A word n-gram feature's words as a reader sees them ("[number]", "[person]" for the words read as one)."""
    shown = {NUMBER: "[number]", PERSON: "[person]"}
    return " ".join(shown.get(w, w) for w in feature.split(":", 1)[1].split())


def _logistic(score: float) -> float:
    """1 / (1 + e^-score), as scipy's ``expit`` computes it (0.0 and 1.0 at the far ends, no overflow error)."""
    with np.errstate(over="ignore"):
        return float(1.0 / (1.0 + np.exp(-np.float64(score))))
