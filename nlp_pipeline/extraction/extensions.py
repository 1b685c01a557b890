"""Every ``Doc._.imr_*`` / ``Span._.imr_*`` extension the pipeline uses, registered once."""
from __future__ import annotations

from spacy.tokens import Doc, Span

SPANS_KEY = "imr"  # entities: TREATMENT, COUNT, DATE, GUIDELINE, CITATION, BODY_PART, DIAGNOSIS
CUES_KEY = "imr_cues"  # rationale cues (CUE)
FINDINGS_KEY = "imr_findings"  # objective clinical findings (FINDING): a tear, instability, a positive test
VERDICTS_KEY = "imr_verdicts"  # the verdict phrases that count (VERDICT), read by imr_verdict
# the span groups reported as entities
REPORTED_KEYS = (SPANS_KEY, CUES_KEY, FINDINGS_KEY, VERDICTS_KEY)
TRIGGERS_KEY = "imr_triggers"  # assertion and role trigger words: internal, never reported
STANCE_KEY = "imr_stance"  # stance marker words of rationale sentences: internal, never reported
SENTENCES_KEY = "imr_sentences"  # rationale sentences (SENTENCE) with their role and polarity

_SPAN_EXTENSIONS = {
    "imr_value": None,  # normalized value: dict
    "imr_role": None,  # requested / prior / guideline (counts); injury / surgery / ... (dates)
    "imr_assertion": None,  # affirmed / negated / possible
    "imr_treatment": None,  # for a COUNT: the canonical name of the treatment it counts
}
_DOC_EXTENSIONS = {
    "imr_region": None,  # summary / heading / ca_guideline / maximus_guideline / rationale
}


_TEXT = "imr_text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, joined once per doc (spaCy re-joins every token's text on each ``doc.text``; the
    components read it about seven times a doc). A doc's text never changes, so the copy cannot go stale."""
    text = doc.user_data.get(_TEXT)
    if text is None:
        text = doc.user_data[_TEXT] = doc.text
    return text


def made_from(doc: Doc, text: str) -> Doc:
    """``doc`` with ``text``, the text it was tokenized from, kept as its :func:`doc_text` (spaCy's tokenizer
    loses no character, so that text is ``doc.text``, and no join is needed)."""
    doc.user_data[_TEXT] = text
    return doc


def register_extensions() -> None:
    """Register the extensions (idempotent: a second call changes nothing)."""
    for name, default in _SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    for name, default in _DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)


register_extensions()
