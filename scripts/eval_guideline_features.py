"""The figures table of issue 30, item 3: the guideline features (``guideline`` family) against the shipped facts
model, the two combined, the facts model without the review's layout, and the TF-IDF peer.

Each feature set is a facts-mode :class:`nlp_pipeline.modes.Mode` with other families (nothing else changes: the
same search grid, objective, calibration). For each, with the project's own functions:

- **nested**: :func:`nlp_pipeline.model.training.cross_validate` (grouped 5-fold, every choice inside each outer
  fold; seed 0), ROC-AUC with its 95% interval (bootstrap over letters) and Brier;
- **spread**: the same nested run over five fold assignments (seeds 0-4), min-max (``repeated_cv``'s figures, the
  TF-IDF peer's from the same runs);
- **sealed**: :func:`~nlp_pipeline.model.training.evaluate_splits` fit on the study letters only and scored on the
  sealed third in aggregate (``nlp_pipeline.model.sealed.is_sealed``, as ``scripts/eval_sealed.py``);
- **later**: fit on the earlier years' cases and the seed letters, scored on the latest year's
  (``nlp_pipeline.model.sealed.split_by_year``, as ``scripts/eval_later_letters.py``, whose ``imr train`` +
  ``imr evaluate`` run the same fit and scoring).

Each figure comes with the Brier score and the base rate (the scored items' Overturned share, and the Brier score
of a constant at the training letters' rate). The TF-IDF + logistic regression peer is fit on the same folds and
splits inside the facts model's runs (its text is the same for every feature set; the other sets' runs skip it).

    python scripts/eval_guideline_features.py [--sets guideline,facts,...] [--repeats 5] [--bootstrap N] [--write]
    python scripts/eval_guideline_features.py --shipped --write   # the shipped model's row from its saved reports

``--write`` saves ``models/guideline_report.json`` (merged with the sets it already holds), which the model card
reads. CPU: each nested run fits the whole procedure five times (about a minute on an idle core).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
REPORT = ROOT / "models" / "guideline_report.json"
METRICS_SHOWN = ("roc_auc", "brier")

# name → (label, the facts mode's families changed: added, removed)
SETS: dict[str, tuple[str, set[str], set[str]]] = {
    "guideline": ("guideline features alone (with the request's shape: allowance, modified, retrospective, "
                  "surgical)", {"guideline"}, {"letter", "case", "entities", "words"}),
    "facts": ("shipped facts model (before this issue)", set(), set()),
    "combined": ("facts + guideline features", {"guideline"}, set()),
    "facts_no_layout": ("facts without the review's layout (letter family)", set(), {"letter"}),
    "combined_no_layout": ("facts + guideline, without the review's layout", {"guideline"}, {"letter"}),
}
SHIPPED = "shipped"
SHIPPED_LABEL = ("shipped facts model after issue 30: facts + guideline, without the layout, earlier treatment failed "
                 "or helped held never toward Upheld, the patient's age and sex out of the words (imr train, "
                 "eval_sealed.py, "
                 "eval_later_letters.py; its later-cases constant is at the scored items' own rate, as imr evaluate "
                 "reports it)")
PEER = "tfidf"
PEER_LABEL = "TF-IDF + logistic regression peer (summary, request, claims administrator line)"


def set_mode(name: str):
    """The facts mode with the families of feature set ``name``."""
    from nlp_pipeline.modes import FACTS

    _, added, removed = SETS[name]
    families = (FACTS.families | added) - removed
    search = FACTS.search
    if "words" not in families:  # the word weight's candidates would repeat one fit
        search = {**search, "weights__weights": [{"entities": 0.0}]}
    return dataclasses.replace(FACTS, families=frozenset(families), search=search)


def _figure(result: dict[str, Any], which: str = "model") -> dict[str, Any]:
    """ROC-AUC (and its interval), Brier, the base rate and the constant's Brier of one variant's result."""
    scored = result[which]
    return {"roc_auc": scored["metrics"]["roc_auc"], "roc_auc_ci95": scored.get("ci95", {}).get("roc_auc"),
            "brier": scored["metrics"]["brier"], "items": result["items"], "overturned": result["overturned"],
            "letters": result["letters"], "base_rate": result["overturned"] / result["items"],
            "base_rate_brier": result["base_rate"]["metrics"]["brier"]}


def _spread(runs: list[dict[str, Any]], which: str, variant: str = "full") -> dict[str, Any]:
    values = {key: [run["variants"][variant][which]["metrics"][key] for run in runs] for key in METRICS_SHOWN}
    return {key: {"mean": float(np.mean(v)), "min": float(np.min(v)), "max": float(np.max(v))}
            for key, v in values.items()}


class _NoPeer:
    """Stands in for the TF-IDF peer in the runs of the sets other than ``facts``: the peer reads the same text in
    every set, so it is fit once, in the facts set's runs, and its figures are taken from there."""

    def predict_proba(self, texts):
        return np.full((len(texts), 2), 0.5)


def evaluate_set(corpus, name: str, repeats: int, reps: int, log=print) -> dict[str, dict[str, Any]]:
    """Every figure of one feature set (and, for ``facts``, of the TF-IDF peer fit beside it)."""
    import contextlib
    from unittest import mock

    from nlp_pipeline.model import training

    peer = contextlib.nullcontext() if name == "facts" else mock.patch.object(training, "tfidf_baseline",
                                                                            lambda *args, **kwargs: _NoPeer())
    with peer:
        return _evaluate_set(corpus, name, repeats, reps, log)


def _evaluate_set(corpus, name: str, repeats: int, reps: int, log=print) -> dict[str, dict[str, Any]]:
    out = evaluate_mode(corpus, set_mode(name), name, repeats, reps, log, peer=PEER if name == "facts" else None)
    return {key: {"label": SETS[name][0] if key == name else PEER_LABEL, **entry} for key, entry in out.items()}


def evaluate_mode(corpus, mode, name: str, repeats: int, reps: int, log=print, variant: str = "full",
                  peer: str | None = None) -> dict[str, dict[str, Any]]:
    """Nested (seed 0, with its interval), spread (seeds 0..repeats-1), sealed and later-cases figures of one
    mode's ``variant`` (``no_verdict``: a draft model with the verdict sentences removed), keyed ``name``; with
    ``peer``, the TF-IDF peer's figures from the same runs keyed so."""
    from nlp_pipeline.model.sealed import is_sealed, split_by_year
    from nlp_pipeline.model.training import cross_validate, evaluate_splits, labelled_examples

    started = time.time()
    runs = [cross_validate(corpus, mode, seed=0, reps=reps)]
    log(f"  {name}: nested seed 0 ROC-AUC {runs[0]['variants'][variant]['model']['metrics']['roc_auc']:.3f} "
        f"({time.time() - started:.0f} s)")
    for seed in range(1, repeats):
        runs.append(cross_validate(corpus, mode, seed=seed, reps=0))
        log(f"  {name}: nested seed {seed} ROC-AUC "
            f"{runs[-1]['variants'][variant]['model']['metrics']['roc_auc']:.3f} ({time.time() - started:.0f} s)")
    examples = labelled_examples(corpus, mode)
    sealed_sources = {p.letter.source for p in corpus.letters if is_sealed(p.letter.case_number, p.letter.source)}
    sealed = np.array([e.source in sealed_sources for e in examples])
    sealed_run = evaluate_splits(corpus, mode, examples, [(np.flatnonzero(~sealed), np.flatnonzero(sealed))],
                                 seed=0, reps=reps)
    pdfs = [Path(p.letter.source) for p in corpus.letters
            if p.letter.source and Path(p.letter.source).suffix.lower() == ".pdf"]
    _, later_paths = split_by_year(pdfs)
    later_sources = {str(p) for p in later_paths}
    later = np.array([e.source in later_sources for e in examples])
    later_run = evaluate_splits(corpus, mode, examples, [(np.flatnonzero(~later), np.flatnonzero(later))],
                                seed=0, reps=reps)
    log(f"  {name}: sealed {sealed_run['variants'][variant]['model']['metrics']['roc_auc']:.3f}, later "
        f"{later_run['variants'][variant]['model']['metrics']['roc_auc']:.3f} ({time.time() - started:.0f} s)")
    out = {}
    for which, key in (("model", name), ("tfidf_logreg", peer))[:1 + (peer is not None)]:
        out[key] = {
            "families": sorted(mode.families) if which == "model" else None,
            "nested": _figure(runs[0]["variants"][variant], which),
            "spread": {"seeds": list(range(repeats)), **_spread(runs, which, variant)},
            "sealed": {**_figure(sealed_run["variants"][variant], which),
                       "study_letters": len(corpus.letters) - len(sealed_sources)},
            "later": {**_figure(later_run["variants"][variant], which),
                      "earlier_letters": len({e.group for e in examples if e.source not in later_sources})},
            "selections": [s["params"] for s in runs[0]["fold_selections"]] if which == "model" else None,
        }
    return out


def shipped_entry() -> dict[str, Any]:
    """The shipped facts model's row, read from the reports that ``imr train`` (nested, spread),
    ``scripts/eval_sealed.py --write`` and ``scripts/eval_later_letters.py --write`` saved: the same procedures this
    script runs, so the model is not fit again here."""
    from nlp_pipeline.modes import FACTS

    models = ROOT / "models"
    report = json.loads((models / "facts" / "report.json").read_text(encoding="utf-8"))
    sealed = json.loads((models / "sealed_report.json").read_text(encoding="utf-8"))["facts"]
    later_report = json.loads((models / "later_report.json").read_text(encoding="utf-8"))
    later = later_report["runs"]["facts"]
    spread = report["repeated"]["variants"]["full"]
    return {
        "label": SHIPPED_LABEL, "families": sorted(FACTS.families),
        "nested": _figure(report["variants"]["full"]),
        "spread": {"seeds": report["repeated"]["seeds"], **{key: spread[key] for key in METRICS_SHOWN}},
        "sealed": {**_figure(sealed["variants"]["full"]), "study_letters": sealed["study"]["letters"]},
        "later": {"roc_auc": later["metrics"]["roc_auc"], "roc_auc_ci95": later["ci95"].get("roc_auc"),
                  "brier": later["metrics"]["brier"], "items": later["items"], "overturned": later["overturned"],
                  "letters": later["letters"], "base_rate": later["overturned"] / later["items"],
                  "base_rate_brier": later["base_rate_brier"], "earlier_letters": later_report["earlier_letters"]},
        "selections": [report["selection"]["params"]],
    }


def _cell(figure: dict[str, Any]) -> str:
    ci = figure.get("roc_auc_ci95")
    interval = f" ({ci[0]:.3f}–{ci[1]:.3f})" if ci else ""
    return f"{figure['roc_auc']:.3f}{interval}; Brier {figure['brier']:.4f} (constant {figure['base_rate_brier']:.4f})"


def markdown(report: dict[str, Any]) -> str:
    """The figures as one Markdown table, a row per feature set."""
    sets = report["sets"]
    first = next(iter(sets.values()))
    lines = [
        "| feature set | nested ROC-AUC (95% CI); Brier (constant) | spread over "
        f"{len(first['spread']['seeds'])} fold assignments, ROC-AUC min–max | sealed ({first['sealed']['letters']} "
        f"letters, {first['sealed']['items']} items, base rate {first['sealed']['base_rate']:.3f}) | later cases "
        f"({first['later']['letters']} letters, {first['later']['items']} items, base rate "
        f"{first['later']['base_rate']:.3f}) |",
        "|---|---|---|---|---|"]
    for name, entry in sets.items():
        spread = entry["spread"]["roc_auc"]
        lines.append(f"| {entry['label']} | {_cell(entry['nested'])} | {spread['min']:.3f}–{spread['max']:.3f} "
                     f"(mean {spread['mean']:.3f}) | {_cell(entry['sealed'])} | {_cell(entry['later'])} |")
    nested = first["nested"]
    lines += ["", f"Nested: {nested['letters']} letters, {nested['items']} items, base rate {nested['base_rate']:.3f}. "
                  "Constant: a probability equal to the training letters' Overturned rate."]
    return "\n".join(lines)


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"sets": {}}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen feature sets, print the table, and with ``--write`` save the report."""
    from nlp_pipeline.model.training import load_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--repeats", type=int, default=5, help="fold assignments for the spread (seeds 0..N-1)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples for the CIs")
    parser.add_argument("--write", action="store_true", help=f"save (merge) the figures into {REPORT.relative_to(ROOT)}")
    parser.add_argument("--table", action="store_true", help="print the saved report's table and stop")
    parser.add_argument("--report", type=Path, default=REPORT, help="the report file --write merges into")
    parser.add_argument("--shipped", action="store_true",
                        help="add (or refresh) the shipped facts model's row from its saved reports, and stop")
    args = parser.parse_args(argv)
    saved = _read(args.report)
    if args.table:
        print(markdown(saved))
        return 0
    if args.shipped:
        saved["sets"][SHIPPED] = shipped_entry()
        order = [*SETS, SHIPPED, PEER]
        saved["sets"] = {key: saved["sets"][key] for key in order if key in saved["sets"]}
        if args.write:
            args.report.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
        print(markdown(saved))
        return 0
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}; known: {', '.join(SETS)}")
    corpus = load_corpus(args.paths, progress=False)
    print(f"{len(corpus.letters)} letters read", file=sys.stderr)
    report = saved if args.write else {"sets": {}}
    for name in names:
        found = evaluate_set(corpus, name, args.repeats, args.bootstrap,
                             log=lambda text: print(text, file=sys.stderr, flush=True))
        if args.write:  # merged into the file as it is now: another run may have written other sets meanwhile
            report = _read(args.report)
        report["sets"].update(found)
        order = [*SETS, SHIPPED, PEER]
        report["sets"] = {key: report["sets"][key] for key in order if key in report["sets"]}
        report.update(repeats=args.repeats, bootstrap=args.bootstrap, seed=0)
        if args.write:
            args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
