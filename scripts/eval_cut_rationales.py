"""How the draft model holds up when rationales lose sentences in the letter text itself.

Each cut blanks sentences of every rationale in the letter text (spaces, so offsets stay), then the
letter is read again from scratch, as ``imr predict`` would read such a draft:

- ``verdicts``: every sentence holding a verdict phrase ("... is not medically necessary.");
- ``last``: the last sentence of each rationale, whatever it says.

Models are fit on the complete letters of each grouped fold's training letters and judged on the cut
letters of the held-out ones; prints ROC-AUC and Brier score per cut.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from nlp_pipeline.dataset import ParsedLetter, letter_examples
from nlp_pipeline.estimator import grouped_splits
from nlp_pipeline.letters import parse_letter
from nlp_pipeline.training import arrays, fit_model, labelled_examples, load_corpus

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
CUTS = ("verdicts", "last")


def cut_letter(parsed: ParsedLetter, cut: str) -> ParsedLetter:
    """The letter with the ``cut`` sentences of each rationale blanked, read again."""
    text = parsed.letter.text
    for facts in parsed.facts.items:
        if cut == "last":
            spans = facts.sentences[-1:]
        else:
            spans = [s for s in facts.sentences if facts.in_verdict(s.start)]
        for span in spans:
            text = text[:span.start] + " " * (span.end - span.start) + text[span.end:]
    return ParsedLetter.of(parse_letter(text, source=parsed.letter.source, normalized=True))


def main(argv: list[str] | None = None) -> None:
    """Print ROC-AUC and Brier score of the draft model on each cut."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    corpus = load_corpus(args.paths, progress=False)
    train_all = labelled_examples(corpus, "draft", ("full",))
    _, y, groups = arrays(train_all)
    folds = grouped_splits(y, groups, seed=args.seed)
    models = [fit_model([train_all[i] for i in train], "draft", seed=args.seed)[0] for train, _ in folds]
    fold_of = {g: k for k, (_, test) in enumerate(folds) for g in groups[test]}
    for cut in CUTS:
        rows = [e for p in corpus.letters for e in letter_examples(cut_letter(p, cut), "draft") if e.label is not None]
        labels = np.array([e.label for e in rows])
        p = np.array([models[fold_of[e.group]].predict_proba([e.features.values])[0, 1] for e in rows])
        print(f"{cut:9s} {len(rows)} items  ROC-AUC {roc_auc_score(labels, p):.3f}  Brier {brier_score_loss(labels, p):.3f}"
              f"  (always-Upheld Brier {brier_score_loss(labels, np.full(len(labels), labels.mean())):.3f})")


if __name__ == "__main__":
    main()
