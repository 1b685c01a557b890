"""The QA reading of a finished or nearly finished letter, worded in one place.

Two flags, never to be confused:

- ``agrees_with_stated`` is False when the stated decision contradicts the rationale's own verdict
  ("... is medically necessary" above an ``Upheld``): a **contradiction in the letter**. It is None
  when there is no stated decision or no verdict to hold it against.
- ``rationale_leans`` is True when the rationale's reasoning, read without its verdict sentences,
  leans the other way from its conclusion (the verdict, else the stated decision): a **question for
  the reviewer**, since the rationale model is right far less often than the verdict.
"""
from __future__ import annotations

from dataclasses import dataclass

from nlp_pipeline.types import Outcome, Verdict, VerdictValue

CONTRADICTION = "CONTRADICTION"
QUESTION = "QUESTION"
_SAYS = {VerdictValue.NECESSARY: "the request is medically necessary",
         VerdictValue.NOT_NECESSARY: "the request is not medically necessary"}


@dataclass(frozen=True)
class QAReading:
    """The two flags and the note that words them (None when there is nothing to say)."""

    agrees_with_stated: bool | None
    rationale_leans: bool | None
    note: str | None


def qa_reading(verdict: Verdict | None, stated: str | None, p_rationale: float | None, threshold: float) -> QAReading:
    """Both flags of one draft-mode item and its note: the contradiction first, then the question."""
    outcome = verdict.outcome if verdict is not None else None
    agrees = None if stated is None or outcome is None else stated == outcome
    conclusion = outcome or stated
    leans_to = None if p_rationale is None else Outcome.at(p_rationale, threshold)
    leans = None if conclusion is None or leans_to is None else leans_to != conclusion
    if agrees is False:
        quoted = " ".join(verdict.phrase.text.split()) if verdict.phrase else ""
        note = (f"{CONTRADICTION} in the letter: the stated decision is {stated}, but the rationale concludes "
                f"{_SAYS[verdict.value]} (\"{quoted}\").")
    elif leans and outcome is not None:
        note = (f"{QUESTION} for the reviewer: the verdict says {_SAYS[verdict.value]}, but the reasoning around it "
                f"leans toward {leans_to} (P(Overturned) {p_rationale:.2f} without the verdict sentences). "
                "Does the reasoning support the conclusion?")
    elif leans:
        note = (f"{QUESTION} for the reviewer: the rationale states no verdict, and its reasoning leans toward "
                f"{leans_to} (P(Overturned) {p_rationale:.2f}) while the stated decision is {stated}.")
    else:
        note = None
    return QAReading(agrees, leans, note)


def condition_question(summary_state: str | None, rationale_states: set[str] | frozenset[str]) -> str | None:
    """The question a guideline condition raises when the case summary and the rationale read it opposite ways (the
    summary documents it and the rationale says it is not met, or the other way round); None when they agree, or one
    of them does not state it. States are :class:`~nlp_pipeline.types.ConditionState` states."""
    if summary_state == "documented" and "contradicted" in rationale_states:
        says = "the case summary documents it, but the rationale says it is not met"
    elif summary_state == "contradicted" and "documented" in rationale_states:
        says = "the case summary says it is not met, but the rationale says it is met"
    else:
        return None
    return f"{QUESTION} for the reviewer: {says}. Which does the record support?"


def short_flag(agrees_with_stated: bool | None, rationale_leans: bool | None) -> str:
    """The flag as a table column shows it: the contradiction, the question, or nothing."""
    if agrees_with_stated is False:
        return f"{CONTRADICTION}: stated decision contradicts the verdict"
    if rationale_leans:
        return f"{QUESTION}: reasoning leans the other way"
    return "agrees with the stated decision" if agrees_with_stated else ""
