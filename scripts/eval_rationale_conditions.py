"""How much of a rationale the guideline knowledge base can read (issue 30, item 4, first half): the share of the
case sentences of the verdict-free rationale (the sentences applying the guideline to the case, verdict sentences
left out) in which the knowledge base's condition reader finds a condition, stated met or unmet.

For every labelled item of the shared letters: each case sentence is read by every condition of
``data/recommendations.jsonl`` (:func:`nlp_pipeline.facts.recommendations.read_condition`, the same cues and the
one negation vocabulary the case summary is read with). A sentence counts as read when some condition is
documented or contradicted in it; "by the item's entry" when that condition is one of the conditions the item's
own guideline entry sets. Aggregate counts only, study and sealed letters apart (nothing here writes a rule).

And the second half: the verdict-free figures of the draft model (its ``no_verdict`` variant: the verdict sentences
removed, as on a draft not yet concluded) with the knowledge base's reading of the rationale
(``rationale_condition_met`` / ``_unmet``, the ``conditions`` family, read before the stance markers) and with and
without the stance markers (the ``stance`` family, written on all shared letters before the sealed split):

- ``markers``: the draft model as shipped before this reading (stance markers, no conditions);
- ``conditions_markers``: the conditions first, the markers on the sentences the knowledge base does not read;
- ``conditions``: the conditions, no markers (nor the rationale-length features of the stance family);
- ``conditions_beside_markers``: the conditions, and the markers on every case sentence (the shipped draft mode).

Each: nested (seed 0, grouped 5-fold, every choice inside), spread over five fold assignments, sealed (fit on the
study letters, scored on the sealed third in aggregate) and later cases, through
``scripts/eval_guideline_features.evaluate_mode``.

    python scripts/eval_rationale_conditions.py [--json] [--write]
    python scripts/eval_rationale_conditions.py --figures [--sets markers,...] [--repeats 5] [--write]

``--write`` saves ``models/rationale_conditions.json`` (the shares; with ``--figures``, merged under ``figures``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _figures import add_output_arguments, publish  # scripts/ is on the path when a script runs

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"


def measure(paths: list[str | Path]) -> dict:
    """Case sentences, and those the condition reader reads (any condition; the item's entry's), per split."""
    from nlp_pipeline.facts.recommendations import conditions, read_condition
    from nlp_pipeline.model.sealed import is_sealed
    from nlp_pipeline.model.training import load_corpus

    corpus = load_corpus(paths, progress=False)
    names = sorted(conditions())
    out = {split: {"letters": 0, "items": 0, "case_sentences": 0, "read": 0, "read_by_entry": 0,
                   "met": 0, "unmet": 0} for split in ("study", "sealed", "all")}
    for parsed in corpus.letters:
        letter, facts = parsed.letter, parsed.facts
        split = "sealed" if is_sealed(letter.case_number, letter.source) else "study"
        for counts in (out[split], out["all"]):
            counts["letters"] += 1
        for item in letter.items:
            if item.stated_decision is None:
                continue
            item_facts = facts.items[item.index]
            own = {c.name for c in item_facts.recommendation.conditions} if item_facts.recommendation else set()
            case = [s for s in item_facts.sentences if s.value["role"] == "case" and not item_facts.in_verdict(s.start)]
            for counts in (out[split], out["all"]):
                counts["items"] += 1
                counts["case_sentences"] += len(case)
            for sentence in case:
                states = {name: read_condition(name, sentence.text).state for name in names}
                found = {name for name, state in states.items() if state != "not_mentioned"}
                for counts in (out[split], out["all"]):
                    counts["read"] += bool(found)
                    counts["read_by_entry"] += bool(found & own)
                    counts["met"] += any(states[n] == "documented" for n in found)
                    counts["unmet"] += any(states[n] == "contradicted" for n in found)
    for counts in out.values():
        total = counts["case_sentences"] or 1
        counts.update(share_read=round(counts["read"] / total, 4),
                      share_read_by_entry=round(counts["read_by_entry"] / total, 4))
    return out


# name → (label, the draft mode's families added, removed, other Mode fields)
SETS = {
    "markers": ("stance markers, no knowledge-base reading (the draft model before issue 30, item 4)", set(),
                {"conditions"}, {}),
    "conditions_markers": ("knowledge-base conditions first, stance markers on the other case sentences",
                           {"conditions"}, set(), {"conditions_first": True}),
    "conditions": ("knowledge-base conditions, no stance markers", {"conditions"}, {"stance"}, {}),
    "conditions_beside_markers": ("knowledge-base conditions beside the stance markers, every case sentence read "
                                  "by both (shipped)", {"conditions"}, set(), {"conditions_first": False}),
}
REPORT = ROOT / "models" / "rationale_conditions.json"


def set_mode(name: str):
    """The draft mode with the families of set ``name``."""
    import dataclasses

    from nlp_pipeline.modes import DRAFT

    _, added, removed, other = SETS[name]
    return dataclasses.replace(DRAFT, families=frozenset((DRAFT.families | added) - removed), **other)


def figures(paths: list[str], names: list[str], repeats: int, reps: int) -> dict:
    """The verdict-free figures of each set (the TF-IDF peer is not fit: it reads the same text in every set)."""
    from unittest import mock

    from eval_guideline_features import _NoPeer, evaluate_mode  # scripts/ is on the path when a script runs

    from nlp_pipeline.model import training

    corpus = training.load_corpus(paths, progress=False)
    out = {}
    with mock.patch.object(training, "tfidf_baseline", lambda *args, **kwargs: _NoPeer()):
        for name in names:
            found = evaluate_mode(corpus, set_mode(name), name, repeats, reps,
                                  log=lambda text: print(text, file=sys.stderr, flush=True), variant="no_verdict")
            out[name] = {"label": SETS[name][0], **found[name]}
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the shares, or with ``--figures`` the verdict-free figures of each set."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--figures", action="store_true", help="the verdict-free figures with and without the markers")
    parser.add_argument("--sets", default=",".join(SETS), help=f"with --figures, comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--repeats", type=int, default=5, help="fold assignments for the spread (seeds 0..N-1)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples for the CIs")
    add_output_arguments(parser, "rationale_conditions.json")
    args = parser.parse_args(argv)
    if args.figures:
        import json

        from eval_guideline_features import markdown

        names = [n.strip() for n in args.sets.split(",") if n.strip()]
        found = figures(args.paths, names, args.repeats, args.bootstrap)
        saved = json.loads(REPORT.read_text(encoding="utf-8")) if REPORT.exists() else {}
        merged = {**saved.get("figures", {}), **found}
        # the labels are the sets' (a figure's label says what it measured; the figures are never edited)
        saved["figures"] = {key: {**merged[key], "label": SETS[key][0]} if key in SETS else merged[key]
                            for key in dict.fromkeys([*SETS, *merged]) if key in merged}
        if args.write:
            REPORT.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
        print(markdown({"sets": saved["figures"]}))
        return 0
    shares = measure(args.paths)
    if REPORT.exists() and args.write:  # the figures --figures saved stay beside the shares
        import json

        shares["figures"] = json.loads(REPORT.read_text(encoding="utf-8")).get("figures", {})
    if publish(shares, args, "rationale_conditions.json"):
        return 0
    for split in ("study", "sealed", "all"):
        counts = shares[split]
        print(f"{split}: {counts['letters']} letters, {counts['items']} items, {counts['case_sentences']} case "
              f"sentences; read by some condition {counts['read']} ({counts['share_read']:.1%}), by a condition of "
              f"the item's own entry {counts['read_by_entry']} ({counts['share_read_by_entry']:.1%}); stated met "
              f"{counts['met']}, unmet {counts['unmet']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
