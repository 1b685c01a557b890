"""``imr_dates``: DATE spans with the ISO date as value (roles come from ``imr_roles``)."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from nlp_pipeline.extraction.components._spans import add_char_span
from nlp_pipeline.letter.dates import find_dates
from nlp_pipeline.extraction.extensions import SPANS_KEY, doc_text


@Language.factory("imr_dates", requires=["doc.spans"], assigns=["doc.spans", "span._.imr_value", "span._.imr_role"])
def make_dates(nlp: Language, name: str) -> "DateTagger":
    """Create the component."""
    return DateTagger()


class DateTagger:
    """Adds a DATE span for every calendar date in the text."""

    def __call__(self, doc: Doc) -> Doc:
        for found in find_dates(doc_text(doc)):
            add_char_span(doc, SPANS_KEY, found.start, found.end, "DATE", {"date": found.iso})
        return doc
