"""``imr_quantities``: COUNT spans (visits, sessions, drug amounts) with normalized values."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from nlp_pipeline.extraction.components._spans import add_char_span
from nlp_pipeline.extraction.extensions import SPANS_KEY, doc_text
from nlp_pipeline.extraction.amounts import find_quantities


@Language.factory("imr_quantities", requires=["doc.spans"],
                  assigns=["doc.spans", "span._.imr_value", "span._.imr_treatment"])
def make_quantities(nlp: Language, name: str) -> "QuantityTagger":
    """Create the component."""
    return QuantityTagger()


class QuantityTagger:
    """Adds a COUNT span for every count or drug amount :func:`find_quantities` finds."""

    def __call__(self, doc: Doc) -> Doc:
        for quantity in find_quantities(doc_text(doc)):
            add_char_span(doc, SPANS_KEY, quantity.start, quantity.end, "COUNT", quantity.value)
        return doc
