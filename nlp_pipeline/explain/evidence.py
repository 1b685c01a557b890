"""Explanations: the letter words behind each feature's exact contribution to an item's calibrated log-odds
(:meth:`nlp_pipeline.model.estimator.LinearParts.contributions` computes it; :mod:`nlp_pipeline.explain.reasons` words it)."""
from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from nlp_pipeline.model.features import NUMBER, PERSON, SEXED_WORDS, ItemFeatures, part_spans
from nlp_pipeline.types import Evidence, Item, ItemFacts, Letter

_NUMBER = r"\d+(?:\.\d+)?"  # what a NUMBER word of an n-gram stands for in the text
_PERSON = "(?:" + "|".join(sorted(SEXED_WORDS, key=len, reverse=True)) + ")"  # what a PERSON word stands for
# evidence is at least a phrase: a span of one word (or of function words only) grows to the words around it,
# up to PHRASE_WORDS on each side within its clause; a number or a date stands as it is
PHRASE_WORDS = 4
_TOKEN = re.compile(r"\S+")
_CLAUSE_END = re.compile(r"[.;:!?()\[\]]|\n\s*\n")


def evidence_for(feature: str, contribution: float, features: ItemFeatures, letter: Letter, item: Item,
                 item_facts: ItemFacts | None = None) -> Evidence:
    """The contribution of one feature with the letter spans that produced it (the first quoted); a word
    n-gram is found in the part it was read from, its verdict sentences left out as the features leave them."""
    spans = features.evidence.get(feature)
    if not spans and ":" in feature:
        prefix, gram = feature.split(":", 1)
        spans = _locate(letter, item, prefix, gram, item_facts)
    spans = [phrase for phrase in (phrase_span(letter.text, start, end) for start, end in spans or ()) if phrase]
    if spans:
        start, end = spans[0]
        return Evidence(feature, round(contribution, 6), letter.text[start:end], start, end, tuple(spans))
    return Evidence(feature, round(contribution, 6))


def is_lone_word(text: str) -> bool:
    """Whether evidence text is too short to stand alone: one word, or function words only (no number)."""
    found = [w.strip(".,;:!?()\"'").lower() for w in text.split()]
    found = [w for w in found if w]
    if not found or any(any(ch.isdigit() for ch in w) for w in found):
        return not found
    return len(found) == 1 or all(w in STOP_WORDS or w in ("[number]", "[person]") for w in found)


def phrase_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` as it is when it holds a phrase (or a number, a date); else grown to up to
    :data:`PHRASE_WORDS` words on each side within its clause; None when it cannot grow into one."""
    if not is_lone_word(text[start:end]):
        return start, end
    left_stop = max([0, *(m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 200), start))])
    right = _CLAUSE_END.search(text, end)
    right_stop = right.start() if right else len(text)
    before = list(_TOKEN.finditer(text, left_stop, start))[-PHRASE_WORDS:]
    after = list(_TOKEN.finditer(text, end, right_stop))[:PHRASE_WORDS]
    new_start = before[0].start() if before else start
    new_end = after[-1].end() if after else end
    new_end = new_start + len(text[new_start:new_end].rstrip(",;- "))
    if is_lone_word(text[new_start:new_end]):
        return None
    return new_start, new_end


def _locate(letter: Letter, item: Item, prefix: str, gram: str, item_facts: ItemFacts | None
            ) -> tuple[tuple[int, int], ...]:
    drop = item_facts.verdict_sentences if item_facts else ()
    try:
        spans = part_spans(letter, item, prefix, item_facts, drop)
    except (KeyError, AttributeError):
        return ()
    pattern = re.compile(r"\b" + r"\W+".join(_NUMBER if w == NUMBER else _PERSON if w == PERSON else re.escape(w)
                                              for w in gram.split()) + r"\b",
                         re.IGNORECASE)
    for span in spans:
        match = pattern.search(span.text)
        if match:
            return ((span.start + match.start(), span.start + match.end()),)
    return ()


__all__ = ["evidence_for", "is_lone_word", "phrase_span"]
