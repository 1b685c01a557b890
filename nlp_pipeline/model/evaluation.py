"""Scoring predictions against stated decisions: the metrics, bootstrap intervals over letters, and the
rationale cuts that judge a model on drafts not yet concluded. Shared by training and ``imr evaluate``."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from sklearn.metrics import (balanced_accuracy_score, brier_score_loss, precision_score, recall_score,
                             roc_auc_score)

from nlp_pipeline.model.dataset import LABELS, ParsedLetter
from nlp_pipeline.letter.parse import parse_letter
from nlp_pipeline.types import Outcome

METRICS = ("roc_auc", "balanced_accuracy", "overturned_recall", "overturned_precision", "brier")
CUTS = ("verdicts", "last")


def metrics(y: np.ndarray, p: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """ROC-AUC, balanced accuracy, Overturned recall and precision, Brier score."""
    return {
        "roc_auc": float(roc_auc_score(y, p)) if len(set(y)) > 1 else float("nan"),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "overturned_recall": float(recall_score(y, predicted, zero_division=0)),
        "overturned_precision": float(precision_score(y, predicted, zero_division=0)),
        "brier": float(brier_score_loss(y, p)),
    }


def interval_text(ci: list[float] | None) -> str:
    """A 95% interval as ``low–high`` (three decimals), or a dash when there is none."""
    return f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else "–"


def bootstrap_intervals(y, p, predicted, groups, reps: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """95% intervals of each metric, resampling letters (not items) with replacement."""
    rng = np.random.default_rng(seed)
    letters = np.unique(groups)
    index = {g: np.flatnonzero(groups == g) for g in letters}
    samples: dict[str, list[float]] = {}
    for _ in range(reps):
        rows = np.concatenate([index[g] for g in rng.choice(letters, len(letters))])
        if len(set(y[rows])) < 2:
            continue
        for name, value in metrics(y[rows], p[rows], predicted[rows]).items():
            samples.setdefault(name, []).append(value)
    return {k: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))] for k, v in samples.items()}


def score_records(records: Iterable[dict[str, Any]], reps: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Metrics of prediction records (as ``imr predict`` writes them) against their stated decisions.

    Items without a stated decision and error records are counted and left out. The reference is a
    constant prediction at the evaluated items' own Overturned rate (the base rate: always Upheld, calibrated).
    """
    records = list(records)
    rows = [r for r in records if r.get("stated_decision") in LABELS]
    out: dict[str, Any] = {"items": len(rows), "unlabelled_items": sum(1 for r in records if "error" not in r) - len(rows),
                           "failed_files": sorted({r["source"] for r in records if "error" in r})}
    if not rows:
        return out
    y = np.array([LABELS[r["stated_decision"]] for r in rows])
    p = np.array([r["p_overturned"] for r in rows])
    predicted = np.array([r["predicted"] == Outcome.OVERTURNED for r in rows])
    groups = np.array([str(r.get("case_number") or r["source"]) for r in rows])
    out.update(letters=len(set(groups)), overturned=int(y.sum()), metrics=metrics(y, p, predicted),
               ci95=bootstrap_intervals(y, p, predicted, groups, reps, seed) if reps and len(set(y)) > 1 else {},
               base_rate_brier=float(brier_score_loss(y, np.full(len(y), y.mean()))))
    return out


# fewer items of an outcome (or letters) than this and the bootstrap intervals say little: a resample of letters
# then often holds one or two of the rarer outcome, and a figure such as recall moves in steps of 1/n
MIN_ITEMS_PER_OUTCOME = 10
MIN_LETTERS = 10


def small_sample_warnings(result: dict[str, Any]) -> list[str]:
    """Why the figures of a :func:`score_records` result should not be trusted far: too few Overturned (or Upheld)
    items, or too few letters, for its intervals to mean anything; empty when there are enough."""
    items = result.get("items", 0)
    if not items:
        return []
    overturned = result.get("overturned", 0)
    out = []
    for outcome, count in (("Overturned", overturned), ("Upheld", items - overturned)):
        if count == 0:
            out.append(f"no {outcome} item: ROC-AUC and its interval cannot be computed (score letters with both "
                       "outcomes)")
        elif count < MIN_ITEMS_PER_OUTCOME:
            out.append(f"only {count} {outcome} item{'s' * (count != 1)} (fewer than {MIN_ITEMS_PER_OUTCOME}): the "
                       "figures and their 95% intervals are too rough to mean anything")
    letters = result.get("letters", 0)
    if letters < MIN_LETTERS:
        out.append(f"only {letters} letter{'s' * (letters != 1)} (fewer than {MIN_LETTERS}): the 95% intervals "
                   "resample letters, and so few give intervals that mean little")
    return out


def cut_letter(parsed: ParsedLetter, cut: str) -> ParsedLetter:
    """The letter with the ``cut`` sentences of each rationale blanked (spaces, so offsets stay) and read
    again from scratch, as ``imr predict`` would read such a draft: ``verdicts`` blanks every sentence
    holding a verdict phrase ("... is not medically necessary."), ``last`` each rationale's last sentence."""
    if cut not in CUTS:
        raise ValueError(f"cut must be one of {CUTS}, not {cut!r}")
    text = parsed.letter.text
    for facts in parsed.facts.items:
        spans = facts.sentences[-1:] if cut == "last" else [s for s in facts.sentences if facts.in_verdict(s.start)]
        for span in spans:
            text = text[:span.start] + " " * (span.end - span.start) + text[span.end:]
    return ParsedLetter.of(parse_letter(text, source=parsed.letter.source, normalized=True))
