"""The negation vocabulary, in one place: which words negate, and what a phrase's own negations mean.

``patterns/negation.jsonl`` lists the words, by kind:

- ``negation``: "not", "n't", "never", "no", "neither", "none", "without";
- ``correlative``: "nor" (negates, but only with the "neither" before it);
- ``absence``: what the records lack ("lack", "absence", "failed to", "insufficient", "minimal");
- ``prefix``: the "non" of "non-certified", which negates the word it is part of;
- ``negative_predicate``: words that carry their negation inside them ("unnecessary", "denied");
- ``denial``: what denies a finding that follows ("denies", "negative for", "ruled out", "unable to");
- ``after``: what negates the words before it ("was not documented", "is lacking");
- ``unshown``: what says the records do not show what follows ("no evidence", "no documentation", "unclear", "do
  not establish"): it negates the whole proposition after it, to the end of its clause ("there was no evidence the
  patient has trialed and failed conservative care"), where a plain negation reaches a few words.

Who reads which: the assertions (``imr_assertions``) read ``negation``, ``correlative``, ``absence`` and
``denial`` as triggers reaching forward and ``after`` as triggers reaching back; the rationale's stance
(``imr_stance``) reads ``negation``, ``correlative`` and ``absence`` as words arguing against
(:func:`trigger_patterns`), not a finding's denial, which argues either way ("denies side effects" supports
a medication, "denies any improvement" argues against more of a treatment; read as against, it lowered the
verdict-free ROC-AUC from 0.970-0.980 to 0.948-0.958 over three fold assignments); the verdict
(``imr_verdict``) reads a phrase's polarity as the parity of its own ``negation``, ``prefix`` and
``negative_predicate`` words (:func:`is_negated`): "is not medically necessary" and "is medically
unnecessary" are negative, "non-certification is not recommended" positive again. Words outside the phrase
never count. The guideline conditions (:mod:`nlp_pipeline.facts.recommendations`) read ``unshown`` to the end of its
clause besides the assertions' kinds; the assertions do not read it yet (they would move both models' inputs).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from nlp_pipeline.extraction.rules import pattern_rows


KINDS = ("negation", "correlative", "absence", "prefix", "negative_predicate", "denial", "after", "unshown")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, frozenset[str]]:
    """Kind → words, from ``patterns/negation.jsonl``."""
    rows = pattern_rows("negation")
    kinds: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for row in rows:
        kinds[row["kind"]].add(row["word"].lower())
    return {kind: frozenset(words) for kind, words in kinds.items()}


TRIGGER_KINDS = ("negation", "correlative", "absence")  # what negates the words after it in a sentence
FINDING_KINDS = TRIGGER_KINDS + ("denial",)  # ... and, for the assertions, a finding's denial
AFTER_KINDS = ("after",)  # what negates the words before it
PHRASE_KINDS = ("negation", "prefix", "negative_predicate")  # what negates the phrase it is inside
CLAUSE_KINDS = ("unshown",)  # what negates everything after it in its clause
# the negations of a verb ("cannot continue", "has not improved"): inside an ``unshown`` phrase's clause each turns
# the proposition back ("no documentation of why he cannot continue the home exercise program" says he can), where a
# negative determiner ("no evidence of red flags and no deficit") only coordinates
VERBAL = frozenset({"not", "n't", "never"})


def trigger_patterns(label: str, kinds: tuple[str, ...] = TRIGGER_KINDS) -> list[dict[str, str]]:
    """Span-ruler phrase patterns with ``label`` for every word of ``kinds`` (the assertions' ``NEGATED_BEFORE``
    and ``NEGATED_AFTER`` triggers, the stance's ``STANCE_AGAINST`` words)."""
    vocab = vocabulary()
    return [{"label": label, "pattern": word, "id": "negation"} for kind in kinds for word in sorted(vocab[kind])]


def negations_in(words: Iterable[str], kinds: tuple[str, ...] = PHRASE_KINDS) -> int:
    """How many negations of ``kinds`` the lower-cased ``words`` of one phrase hold."""
    vocab = vocabulary()
    wanted = frozenset().union(*(vocab[kind] for kind in kinds))
    return sum(1 for w in words if w in wanted)


def is_negated(words: Iterable[str], kinds: tuple[str, ...] = PHRASE_KINDS) -> bool:
    """Whether a phrase reads negatively: an odd number of negations of ``kinds`` inside it."""
    return negations_in(words, kinds) % 2 == 1
