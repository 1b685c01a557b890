"""``imr_stance``: each rationale sentence's role (about the case, or quoting a guideline) and polarity.

A reviewer's verdict is argued in the sentences that apply the guideline to the case ("In this case,
there is no documentation of ...", "As such, the 6 sessions requested are within the guidelines"), not in
the guideline quotations around them. A sentence is about the case when it says so ("In this case", "In
the case of this worker"), measures the request against a limit ("would exceed", "is in excess of") or
opens with a conclusion ("Therefore", "As such"), or else when it refers to the patient, the records or
the request ("was not provided", "Treatment to date", "MRI showed", a calendar date) without quoting a
guideline ("According to the ACOEM Guidelines, ...", "ODG recommends ...") or stating a rule ("If ...",
"After 4-6 weeks, if ...", "recommended when ...", "may be appropriate").
Its polarity is ``against`` when it holds a negating, excess or weaning word outside a neutral phrase
("do not address") or a supportive one ("has not responded to conservative care"), else ``for`` when it
holds a supportive word, else ``neutral``; in a sentence opening with a concession ("While X was not
submitted, ...") only the main clause counts; a fault of the request negated right before it ("is not in
excess of the guideline", "does not exceed", "would not be duplicative", "is not redundant") is
supportive. The marker words live in ``patterns/stance.jsonl``, the negation words in the one negation
vocabulary (:mod:`nlp_pipeline.extraction.negation`).
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp_pipeline.extraction.components._spans import group
from nlp_pipeline.extraction.components.sentences import first_word
from nlp_pipeline.extraction.extensions import SENTENCES_KEY, SPANS_KEY, STANCE_KEY

_CONCESSIVE = {"while", "although", "though", "whereas", "despite"}
_POLAR = {"STANCE_AGAINST", "STANCE_FOR"}
# a negation inside a neutral phrase ("has not had") or a supportive one ("has not responded to conservative
# care") does not argue against the request
_SHIELDS = {"STANCE_AGAINST": ("STANCE_NEUTRAL", "STANCE_FOR"), "STANCE_FOR": ("STANCE_NEUTRAL",)}
# a sentence saying so ("In this case"), or measuring the request against a limit ("would exceed"), is about
# the case whatever guideline it also quotes
_EXPLICIT = {"case_explicit", "case_excess"}
_NEGATED_FAULT_REACH = 2  # "does not exceed", "would not be duplicative": the negation right before the fault word
_FAULTS = {"excess", "fault"}  # marker ids of what a request can be faulted for: excess, duplication, vagueness
_MODALS = {"should", "must", "shall", "may", "can", "ca", "need"}  # "should not exceed 18 visits" states a limit


@Language.factory("imr_stance", default_config={"regions": ["rationale"]},
                  requires=["token.is_sent_start", "doc.spans"], assigns=["doc.spans", "span._.imr_value"])
def make_stance(nlp: Language, name: str, regions: list[str]) -> "StanceTagger":
    """Create the component; only docs of ``regions`` get sentence spans."""
    return StanceTagger(set(regions))


class StanceTagger:
    """Adds one ``SENTENCE`` span per sentence with ``_.imr_value = {"role", "polarity"}``."""

    def __init__(self, regions: set[str]):
        self.regions = regions

    def __call__(self, doc: Doc) -> Doc:
        sentences = group(doc, SENTENCES_KEY)
        if doc._.imr_region not in self.regions:
            return doc
        markers = _with_negated_faults(list(group(doc, STANCE_KEY)))
        dates = [s.start for s in group(doc, SPANS_KEY) if s.label_ == "DATE"]
        for sent in doc.sents:
            if sent.text.strip():
                span = Span(doc, sent.start, sent.end, label="SENTENCE")
                span._.imr_value = self.classify(sent, [m for m in markers if sent.start <= m.start < sent.end],
                                                 dated=any(sent.start <= d < sent.end for d in dates))
                sentences.append(span)
        return doc

    @staticmethod
    def classify(sent: Span, markers: list[Span], dated: bool = False) -> dict[str, str]:
        """Role and polarity of one sentence from the stance markers inside it (``dated``: it holds a calendar
        date, which refers to the case as its records do)."""
        opening = first_word(sent)
        first = sent.start if opening is None else opening.i
        comma = next((t.i for t in sent if t.text == ","), None)
        openers = {first} if comma is None else {first, comma + 1}
        explicit = any((m.label_ == "STANCE_CASE" and m.id_ in _EXPLICIT)
                       or (m.label_ == "STANCE_CONCLUSION" and m.start == first) for m in markers)
        # a rule opens with its condition, or states it right after an opening phrase ("After 6 weeks, if ...")
        quotes = any(m.label_ == "STANCE_GUIDELINE"
                     or (m.label_ == "STANCE_CONDITION" and m.start in openers) for m in markers)
        about_case = explicit or (not quotes and (dated or any(m.label_ == "STANCE_CASE" for m in markers)))
        polarity = _polarity(sent, first, comma, markers)
        return {"role": "case" if about_case else "guideline", "polarity": polarity}


def _with_negated_faults(markers: list[Span]) -> list[Span]:
    """The markers plus a ``STANCE_FOR`` over each negated fault ("is not in excess of the guideline", "would
    not be duplicative" argue for the request): it shields the negation and the fault word from counting
    against. A modal before the negation makes it a limit ("should not exceed 18 visits"), which stays against."""
    negations = [m for m in markers if m.label_ == "STANCE_AGAINST" and m.id_ == "negation"]
    extra = []
    for fault in (m for m in markers if m.label_ == "STANCE_AGAINST" and m.id_ in _FAULTS):
        for negation in negations:
            gap = fault.doc[negation.end:fault.start]
            modal = negation.start > 0 and fault.doc[negation.start - 1].lower_ in _MODALS
            if 0 <= fault.start - negation.end <= _NEGATED_FAULT_REACH and not modal and not any(t.is_punct for t in gap):
                extra.append(Span(fault.doc, negation.start, fault.end, label="STANCE_FOR", span_id="negated_fault"))
    return markers + extra


def _polarity(sent: Span, first: int, comma: int | None, markers: list[Span]) -> str:
    """``against``, ``for`` or ``neutral`` from the polar markers that count (``comma``: the sentence's first)."""
    if sent.doc[first].lower_ in _CONCESSIVE and comma is not None:  # "While X was not submitted, it was normal"
        markers = [m for m in markers if m.start > comma or m.label_ not in _POLAR]

    def counts(label: str) -> bool:
        covering = [n for n in markers if n.label_ in _SHIELDS[label]]
        return any(m.label_ == label and not any(n.start <= m.start and m.end <= n.end for n in covering)
                   for m in markers)

    return "against" if counts("STANCE_AGAINST") else "for" if counts("STANCE_FOR") else "neutral"
