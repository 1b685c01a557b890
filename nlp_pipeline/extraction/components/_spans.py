"""Small helpers shared by the components: adding regex matches to a span group."""
from __future__ import annotations

from spacy.tokens import Doc, Span, SpanGroup


def group(doc: Doc, key: str) -> SpanGroup:
    """The span group ``key``, created empty when missing."""
    if key not in doc.spans:
        doc.spans[key] = []
    return doc.spans[key]


def add_char_span(doc: Doc, key: str, start: int, end: int, label: str, value: dict | None = None) -> Span | None:
    """Add the tokens covering characters ``start:end`` as a ``label`` span; None when no token is there."""
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    span._.imr_value = value
    group(doc, key).append(span)
    return span
