"""The outcome label: the predicted outcome in words that match its numbers.

A model's cut (the P(Overturned) from which it predicts Overturned) sits below 0.5 when Overturned items are
rare: the facts model's cut is about 0.08 and the draft rationale model's about 0.25, chosen on held-out letters
to catch most Overturned items. An item predicted Overturned there may still be more likely Upheld than not, so
its label says what the prediction means: how its P(Overturned) compares with the usual rate, the share of
Overturned among the training items ("leans Overturned: 1.4x the usual rate of 12.5%"). An item whose
P(Overturned) shows the same as the cut at three decimals says on which side it falls and why.
"""
from __future__ import annotations

from nlp_pipeline.types import Outcome


def outcome_label(predicted: str, p_overturned: float, threshold: float, basis: str,
                  usual_rate: float | None = None) -> str:
    """The label of a prediction: ``predicted`` as it stands where the verdict decides or the cut is 0.5 or
    more; else what it means against the usual rate, and which side of the cut an item at the cut falls."""
    predicted = str(predicted)
    if basis == "verdict":
        return f"{predicted} (the rationale's verdict decides)"
    if round(p_overturned, 3) == round(threshold, 3):
        side = ("from the cut up an item is Overturned" if predicted == Outcome.OVERTURNED.value
                else "below the cut an item is Upheld")
        sign = "≥" if predicted == Outcome.OVERTURNED.value else "<"
        return (f"{predicted}: at the cut, P(Overturned) {p_overturned:.4f} {sign} the cut {threshold:.4f} "
                f"({side})")
    if threshold >= 0.5:
        return predicted
    against = ""
    if usual_rate:
        ratio = p_overturned / usual_rate
        against = f": {'under 0.1' if ratio < 0.05 else f'{ratio:.1f}'}x the usual rate of {usual_rate * 100:.3g}%"
    if predicted == Outcome.OVERTURNED.value and p_overturned < 0.5:
        return f"leans Overturned{against}" if against else (
            f"leans Overturned: P(Overturned) {p_overturned:.3f} is above the cut {threshold:.3f}")
    return f"{predicted}{against}"


def change_text(delta: float) -> str:
    """A change in P(Overturned) as shown beside an edit: signed at three decimals ("+0.012"), and "no change"
    when it rounds to zero either way (never "-0.000")."""
    return "no change" if round(delta, 3) == 0 else f"{delta:+.3f}"


__all__ = ["change_text", "outcome_label"]
