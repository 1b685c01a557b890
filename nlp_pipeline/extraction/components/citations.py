"""``imr_citations``: values for GUIDELINE spans, and CITATION spans for pages and statutes."""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from nlp_pipeline.extraction.components._spans import add_char_span, group
from nlp_pipeline.extraction.extensions import SPANS_KEY, doc_text

_PAGES = re.compile(
    r"\bPages?(?:\s*\(s\))?\s*:?\s*(?P<pages>\d{1,3}(?:\s*-\s*\d{1,3})?(?:\s*(?:,|and|&)\s*\d{1,3}(?:\s*-\s*\d{1,3})?)*)",
    re.IGNORECASE,
)
_STATUTE = re.compile(r"\b\d{1,2}\s*C\.?\s?C\.?\s?R\.?\s*(?:§|Section)*\s*\d{3,5}(?:\.\d+)?(?:\s*-\s*\d{3,5}(?:\.\d+)?)?",
                      re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19[89]\d|20[0-4]\d)\b")
_SECTION = re.compile(r"\A[\s,;-]*(?P<section>[A-Z][A-Za-z/&\- ]{2,60}?)[\s,;-]*\Z")


@Language.factory("imr_citations", requires=["doc.spans"], assigns=["doc.spans", "span._.imr_value"])
def make_citations(nlp: Language, name: str) -> "CitationTagger":
    """Create the component."""
    return CitationTagger()


class CitationTagger:
    """Fills each GUIDELINE's source/chapter/year, then adds page and statute CITATION spans."""

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        guidelines = [s for s in group(doc, SPANS_KEY) if s.label_ == "GUIDELINE"]
        for span in guidelines:
            span._.imr_value = guideline_value(span.id_, text[span.end_char:span.end_char + 80])
        for match in _PAGES.finditer(text):
            value = {"pages": [re.sub(r"\s+", "", p) for p in re.split(r"\s*(?:,|and|&)\s*", match["pages"])]}
            previous = [g for g in guidelines if g.end_char <= match.start() and match.start() - g.end_char < 80]
            if previous:
                value.update(source=previous[-1]._.imr_value["source"])
                section = _SECTION.match(text[previous[-1].end_char:match.start()])
                if section:
                    value["section"] = section["section"]
            add_char_span(doc, SPANS_KEY, match.start(), match.end(), "CITATION", value)
        for match in _STATUTE.finditer(text):
            add_char_span(doc, SPANS_KEY, match.start(), match.end(), "CITATION", {"statute": match.group()})
        return doc


def guideline_value(pattern_id: str, following: str) -> dict:
    """``"MTUS|Chronic Pain..."`` (the pattern id) → ``{"source", "chapter", "year"}``."""
    source, _, chapter = pattern_id.partition("|")
    year = _YEAR.search(following.split(".")[0])
    return {"source": source or "other", "chapter": chapter or None, "year": int(year.group()) if year else None}
