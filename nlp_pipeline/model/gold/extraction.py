"""Compare the pipeline's per-item treatment category and requested count with a hand-labelled gold set.

Each line of the gold file (``tests/data/extraction_gold.jsonl``) names a letter, an item index and
the expected ``category`` and ``count`` (visits/sessions/treatments, or the drug quantity; null when
no count is stated). For every field:

- precision = correct / items with a non-null prediction,
- recall    = correct / items with a non-null gold value.

Prints the figures and every mismatch; always exits 0.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp_pipeline.types import Amount
from nlp_pipeline.model.gold.common import CHECKOUT, extracted_letters, gold_arguments, load_gold, study_only

DEFAULT_GOLD = CHECKOUT / "tests" / "data" / "extraction_gold.jsonl"
FIELDS = ("category", "count")


def predicted_count(requested: Amount | None) -> int | str | None:
    """The single requested number of an item: visits ``min == max`` or a drug quantity.

    A visit range (``min != max``) is returned as ``"min-max"`` so it counts as a prediction
    that never equals a single gold number.
    """
    if requested is None:
        return None
    if requested.kind == "drug":
        return requested.quantity
    if requested.kind == "visits":
        low, high = requested.min, requested.max
        if low is None and high is None:
            return None
        return low if low == high else f"{low}-{high}"
    return None


def predict(gold: list[dict[str, Any]], letters_dir: Path) -> list[dict[str, Any]]:
    """Run the pipeline once per letter and return, per gold record, the predicted fields."""
    extracted = extracted_letters(gold, letters_dir)
    predictions = []
    for record in gold:
        letter, letter_facts = extracted[record["file"]]
        items = letter_facts.items
        index = record["item_index"]
        if index >= len(items):
            predictions.append({"category": None, "count": None, "title": None})
            continue
        facts = items[index]
        predictions.append({
            "category": facts.treatment.category if facts.treatment else None,
            "count": predicted_count(facts.requested),
            "title": letter.items[index].title,
        })
    return predictions


def score(gold: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """Per-field counts, precision and recall."""
    metrics: dict[str, dict[str, float | int]] = {}
    for field in FIELDS:
        predicted = sum(1 for p in predictions if p[field] is not None)
        expected = sum(1 for g in gold if g[field] is not None)
        correct = sum(1 for g, p in zip(gold, predictions) if p[field] is not None and p[field] == g[field])
        # a correct null (both sides null) is reported separately; it is not in precision or recall
        both_null = sum(1 for g, p in zip(gold, predictions) if p[field] is None and g[field] is None)
        metrics[field] = {
            "items": len(gold),
            "gold": expected,
            "predicted": predicted,
            "correct": correct,
            "correct_null": both_null,
            "precision": correct / predicted if predicted else 0.0,
            "recall": correct / expected if expected else 0.0,
        }
    return metrics


def mismatches(gold: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> tuple[list[str], int]:
    """One line per study item whose predicted category or count differs from the gold, and how many sealed
    items do (counted, never shown)."""
    lines = []
    wrong = [(g, p) for g, p in zip(gold, predictions) if any(g[field] != p[field] for field in FIELDS)]
    shown, sealed = study_only(wrong, lambda pair: pair[0]["file"])
    for g, p in shown:
        fields = [f"{field}: gold={g[field]!r} predicted={p[field]!r}" for field in FIELDS if g[field] != p[field]]
        title = (g.get("title") or p.get("title") or "").replace("\n", " ")
        if len(title) > 110:
            title = title[:107] + "..."
        lines.append(f"{g['file']}#{g['item_index']}  {'; '.join(fields)}\n    {title}")
    return lines, sealed


def main(argv: list[str] | None = None) -> dict[str, dict[str, float | int]]:
    """Evaluate, print the report, and return the metrics (``{"category": {...}, "count": {...}}``)."""
    args = gold_arguments(argv, __doc__, DEFAULT_GOLD)
    gold = load_gold(args.gold)
    predictions = predict(gold, Path(args.letters))
    metrics = score(gold, predictions)
    letters = len({g["file"] for g in gold})
    print(f"gold items: {len(gold)} from {letters} letters")
    print(f"{'field':<10}{'gold':>6}{'pred':>6}{'correct':>9}{'precision':>11}{'recall':>8}")
    for field, m in metrics.items():
        print(f"{field:<10}{m['gold']:>6}{m['predicted']:>6}{m['correct']:>9}"
              f"{m['precision']:>11.3f}{m['recall']:>8.3f}")
    print(f"(count: {metrics['count']['correct_null']} items correctly left without a count)")
    if not args.quiet:
        lines, sealed = mismatches(gold, predictions)
        print(f"\nmismatches: {len(lines) + sealed} ({sealed} in sealed letters, counted, not shown)")
        for line in lines:
            print(line)
    return metrics


if __name__ == "__main__":
    main()
