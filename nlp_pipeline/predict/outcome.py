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
from nlp_pipeline.explain.evidence import evidence_for
from nlp_pipeline.facts.derive import unread_warnings
from nlp_pipeline.model.features import family_of, item_features
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.model.linear import LinearModel
from nlp_pipeline.modes import Mode, mode_of
from nlp_pipeline.model.files import checked_files, checked_linear, linear_model_of, load_estimator
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.explain.qa import qa_reading
from nlp_pipeline.explain.reasons import reason
from nlp_pipeline.types import Evidence, Letter, Outcome, Prediction

TOP_EVIDENCE = 8
# the evidence entry that holds the contributions past the first TOP_EVIDENCE, summed: the evidence adds up to the score
SMALLER = "smaller_contributions"


def load_model(path: str | Path | None = None, mode: str = "draft") -> "OutcomeModel":
    """Load a model folder (default: the shipped ``models/<mode>``), refusing unsafe or altered files. The
    prediction path reads the model's arrays (``linear.npz``, :mod:`nlp_pipeline.model.linear`) with numpy alone; a model
    saved without them is read from its skops file."""
    model_file, metadata = checked_files(path, mode)
    linear = checked_linear(model_file, metadata)
    # a draft model predicts an item with no rationale yet by the facts model beside it (models/facts for models/x)
    facts_dir = Path(model_file).parent.parent / "facts" if metadata.get("mode") == "draft" else None
    if linear is not None:
        return OutcomeModel(metadata, LinearModel.load(linear), facts_dir, model_file)
    estimator = load_estimator(model_file, metadata)
    model = OutcomeModel(metadata, linear_model_of(estimator), facts_dir, model_file)
    model.__dict__["estimator"] = estimator  # already loaded
    return model


@dataclass
class OutcomeModel:
    """A loaded model: predicts each item of a letter with its explanation."""

    metadata: dict[str, Any]
    parts: LinearModel  # what predicting reads: the calibrated linear model's arrays
    facts_dir: Path | None = None  # draft mode: the facts model for items with no rationale yet
    model_file: Path | None = None  # the skops file, the model of record

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

    def predict_letter(self, letter: Letter, docs: dict | None = None) -> list[Prediction]:
        """Predict every item of a parsed letter (``docs``: see :func:`nlp_pipeline.facts.extract.extract_letter`)."""
        if not letter.items:
            return []
        facts = extract_letter(letter, docs=docs)
        parts = self.parts
        names = parts.names
        intercept = parts.intercept
        rows = [item_features(letter, item, facts, self.mode) for item in letter.items]
        out = []
        for item, row, shares in zip(letter.items, rows, parts.contributions([row.values for row in rows])):
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
            reasons = [reason(e, item_facts, facts) for e in _reasons_first(e for e in evidence if e.feature != SMALLER)]
            unread = unread_warnings(item.title, item_facts)
            out.append(self._decide(letter, item, item_facts.verdict, p_model, score, intercept, evidence, reasons,
                                    unread, balance))
        return self._unwritten_by_facts(letter, out, docs)

    def _unwritten_by_facts(self, letter: Letter, predictions: list[Prediction], docs: dict | None) -> list[Prediction]:
        """Draft mode: an item whose rationale is not written yet is predicted by the facts model (the rationale
        model would read an empty rationale, which no training item has), said so in its first reason."""
        if not self.spec.reads_verdict:
            return predictions
        unwritten = [p.item_index for p in predictions if not _written(letter.items[p.item_index].rationale)]
        if not unwritten or self.facts_model is None:
            return predictions
        by_facts = self.facts_model.predict_letter(letter, docs=docs)
        for index in unwritten:  # the draft's warnings stay: its missing rationale is news to a drafter
            p = by_facts[index]
            warnings_ = tuple(dict.fromkeys((*predictions[index].warnings, *p.warnings)))
            predictions[index] = dataclasses.replace(p, reasons=(UNWRITTEN, *p.reasons), warnings=warnings_)
        return predictions

    def _decide(self, letter: Letter, item, verdict, p_model: float, score: float, intercept: float, evidence,
                reasons: list[str], unread: tuple[str, ...] = (), balance: dict[str, float] | None = None
                ) -> Prediction:
        """The item's prediction: the verdict decides where the rationale states one (draft mode), else the model."""
        stated = item.stated_decision
        common = dict(source=letter.source, case_number=letter.case_number, item_index=item.index, item=item.title,
                      stated_decision=stated, mode=self.mode, score=round(score, 6), intercept=round(intercept, 6),
                      threshold=round(self.threshold, 6), evidence=evidence, balance=balance,
                      warnings=letter.item_warnings(item.index, self.spec.unread_parts) + unread)
        if not self.spec.reads_verdict:
            predicted = Outcome.at(p_model, self.threshold)
            return Prediction(predicted=predicted, p_overturned=round(p_model, 6), basis=self.spec.model_basis,
                              agrees_with_stated=None if stated is None else stated == predicted,
                              reasons=tuple(reasons), **common)
        p_verdict = self.verdict_probability(verdict.value) if verdict.outcome else None
        if p_verdict is not None:
            predicted, p, basis = verdict.outcome, p_verdict, "verdict"
            quoted = " ".join((verdict.sentence or verdict.phrase).text.split())
            reasons = [f'The rationale concludes "{_shorten(quoted)}": its verdict decides ({predicted}; '
                       f"P(Overturned) {p:.3f} is the rate among training items with this verdict).", *reasons[:4]]
        else:
            predicted = Outcome.at(p_model, self.threshold)
            p, basis = p_model, self.spec.model_basis
        qa = qa_reading(verdict, stated, p_model, self.threshold)
        return Prediction(predicted=predicted, p_overturned=round(p, 6), basis=basis, p_rationale=round(p_model, 6),
                          verdict=verdict, agrees_with_stated=qa.agrees_with_stated, rationale_leans=qa.rationale_leans,
                          qa=qa.note, reasons=tuple(reasons), **common)

    def predict_frame(self, letters: Iterable[str | Path | Letter]):
        """A pandas DataFrame with one row per item of every letter (records as ``imr predict`` writes them)."""
        import pandas as pd

        return pd.DataFrame([p.to_dict() for letter in letters for p in self.predict(letter)])


REASONS = 5  # worded reasons per item: the case's and the request's first, the review's layout's largest among them


UNWRITTEN = ("No rationale is written yet: predicted from what is known before review (the facts model: case "
             "summary, request, claims administrator guideline).")


def _written(rationale) -> bool:
    """Whether an item's rationale holds any words."""
    return rationale is not None and any(ch.isalpha() for ch in rationale.text)


def _reasons_first(evidence) -> list:
    """The evidence to word: the three largest reasons about the case and the request, then the largest piece of
    the review's layout (how many services it disputes, their order: context, not a medical reason) so that a
    reader sees what pulls the other way when the layout does, then the rest; :data:`REASONS` in all."""
    evidence = list(evidence)
    case = [e for e in evidence if family_of(e.feature) != "letter"]
    context = [e for e in evidence if family_of(e.feature) == "letter"]
    return [*case[:3], *context[:1], *case[3:], *context[1:]][:REASONS]


def _shorten(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _logistic(score: float) -> float:
    """1 / (1 + e^-score), as scipy's ``expit`` computes it (0.0 and 1.0 at the far ends, no overflow error)."""
    with np.errstate(over="ignore"):
        return float(1.0 / (1.0 + np.exp(-np.float64(score))))
