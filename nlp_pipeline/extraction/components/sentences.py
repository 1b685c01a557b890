"""``imr_sentences``: the one sentence splitter every part of the project reads (``doc.sents``).

spaCy's rule-based ``Sentencizer`` (a sentence ends at ".", "!" or "?"), then two rules it lacks, both
about the shape of the text, measured on ``tests/data/sentence_gold.jsonl`` (``scripts/eval_sentences.py``):

- a sentence never starts with a lower-case word, a digit or a comma: the period before it closed an
  abbreviation ("approx. 8 months", "et al., 2006", "pp. 209-210", "250 lbs. and", "b.i.d., and");
- a parenthesized citation ("(Li, 2005)", "(Furlan et al., 2006)") belongs to the sentence before it, and
  a capitalized word after it starts the next one, period or not ("... swelling. (Li, 2005) The use of").
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, Span, Token

from nlp_pipeline.extraction.extensions import doc_text

_CITATION = re.compile(r"\((?:[A-Z][\w'’-]*\.?\s*)+(?:(?:et al\.?|and|&)\s*(?:[A-Z][\w'’-]*\s*)?)?,?\s*(?:19|20)\d{2}[a-z]?\)")
_CITATION_RUN = re.compile(rf"{_CITATION.pattern}(?:\s*{_CITATION.pattern})*")


# what may come before a sentence's first word: list marks, brackets, quotes
_LEADING = {"(", "\"", "'", "-", "*", "•", "|", "[", "]"}


def first_word(sent: Span) -> Token | None:
    """A sentence's first word, past the list marks, brackets and quotes before it (None when it has none)."""
    return next((t for t in sent if t.text not in _LEADING and not t.is_space), None)


@Language.factory("imr_sentences", requires=[], assigns=["token.is_sent_start"])
def make_sentences(nlp: Language, name: str) -> "SentenceSplitter":
    """Create the component."""
    return SentenceSplitter()


class SentenceSplitter:
    """Sets ``token.is_sent_start`` on every token (see the module docstring)."""

    def __init__(self):
        self.sentencizer = Sentencizer()

    def __call__(self, doc: Doc) -> Doc:
        doc = self.sentencizer(doc)
        for token in doc[1:]:
            if token.is_sent_start and (token.text[0].islower() or token.text[0].isdigit() or token.text in ",;)"):
                token.is_sent_start = False
        for match in _CITATION_RUN.finditer(doc_text(doc)):
            first = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if first is None:
                continue
            if first.start > 0:
                doc[first.start].is_sent_start = False
            for token in first[1:]:
                token.is_sent_start = False
            if first.end < len(doc):
                following = doc[first.end]
                following.is_sent_start = following.text[:1].isupper() or bool(following.is_sent_start)
        return doc
