"""Compare the ``imr_stance`` component's sentence role and polarity with a hand-labelled gold set.

Each line of the gold file (``tests/data/stance_gold.jsonl``) names a letter, an item index, the
sentence's character offsets in the letter, its text (whitespace collapsed) and the expected
``role`` (``case`` / ``guideline``) and ``polarity`` (``for`` / ``against`` / ``neutral``). The 80
sentences were drawn at random (one per item at most, verdict sentences left out) and labelled by
reading them, before the component's answers were looked at; the first reading gave role accuracy
0.863 and polarity 0.787, and the markers "has helped", "due to this" and "was also not ..." were
added after it. The component's rules were written on the same letters, so the figures are an
optimistic reading of how it does on new ones.

Prints accuracy, per-label precision and recall (polarity also on the sentences about the case, the
only ones the model's stance features count), and every mismatch; always exits 0.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from nlp_pipeline.model.gold.common import CHECKOUT, extracted_letters, gold_arguments, load_gold, study_only

DEFAULT_GOLD = CHECKOUT / "tests" / "data" / "stance_gold.jsonl"
FIELDS = {"role": ("case", "guideline"), "polarity": ("for", "against", "neutral")}


def predict(gold: list[dict[str, Any]], letters_dir: Path) -> list[dict[str, Any] | None]:
    """The component's ``{"role", "polarity"}`` for each gold sentence (None when no sentence starts there)."""
    extracted, found = extracted_letters(gold, letters_dir), []
    for record in gold:
        items = extracted[record["file"]][1].items
        sentences = items[record["item_index"]].sentences if record["item_index"] < len(items) else ()
        match = next((s for s in sentences if s.start == record["start"]), None)
        found.append(dict(match.value) if match is not None else None)
    return found


def score(gold: list[dict[str, Any]], predictions: list[dict[str, Any] | None]) -> dict[str, dict[str, float]]:
    """Per field: accuracy, and precision and recall of each label."""
    metrics: dict[str, dict[str, float]] = {}
    for field, labels in FIELDS.items():
        pairs = [(g[field], (p or {}).get(field)) for g, p in zip(gold, predictions)]
        counts = Counter(pairs)
        out = {"accuracy": sum(counts[(label, label)] for label in labels) / len(pairs)}
        for label in labels:
            predicted = sum(n for (_, p), n in counts.items() if p == label)
            expected = sum(n for (g, _), n in counts.items() if g == label)
            out[f"{label}_precision"] = counts[(label, label)] / predicted if predicted else 0.0
            out[f"{label}_recall"] = counts[(label, label)] / expected if expected else 0.0
        metrics[field] = out
    return metrics


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Evaluate, print the report, and return the metrics (``{"role": {...}, "polarity": {...}}``)."""
    args = gold_arguments(argv, __doc__, DEFAULT_GOLD)
    gold = load_gold(args.gold)
    predictions = predict(gold, Path(args.letters))
    metrics = score(gold, predictions)
    case = [(g, p) for g, p in zip(gold, predictions) if g["role"] == "case"]
    metrics["polarity_of_case_sentences"] = score([g for g, _ in case], [p for _, p in case])["polarity"]
    print(f"gold sentences: {len(gold)} from {len({g['file'] for g in gold})} letters")
    for field, labels in FIELDS.items():
        per_label = ", ".join(f"{label} P/R {metrics[field][f'{label}_precision']:.3f}/"
                              f"{metrics[field][f'{label}_recall']:.3f}" for label in labels)
        print(f"{field:<9} accuracy {metrics[field]['accuracy']:.3f}  ({per_label})")
    print(f"polarity of the {len(case)} sentences about the case: accuracy "
          f"{metrics['polarity_of_case_sentences']['accuracy']:.3f}")
    if not args.quiet:
        wrong = [(g, p) for g, p in zip(gold, predictions) if p is None or any(g[f] != p[f] for f in FIELDS)]
        shown, sealed = study_only(wrong, lambda pair: pair[0]["file"])
        print(f"\nmismatches: {len(wrong)} ({sealed} in sealed letters, counted, not shown)")
        for g, p in shown:
            said = "no sentence at this offset" if p is None else f"{p['role']}/{p['polarity']}"
            print(f"{g['file']}#{g['item_index']}  gold {g['role']}/{g['polarity']}, component {said}\n"
                  f"    {g['text'][:150]}")
    return metrics


if __name__ == "__main__":
    main()
