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

With ``read_harms`` (on by default; with it on, no stance feature of a shared letter changed, so the shipped
models read what they were trained on: see :func:`harm_votes`), a sentence about a contraindication, a risk or a weaning plan is read as what it says
about the request: a harm named argues against it ("relative contraindications to the requested drug",
"a high risk of dependence", "weaning is recommended"); a harm denied ("no contraindication to surgery",
"denies side effects", "low risk for aberrant behavior"), outweighed ("the benefits outweigh its risks"),
named of the alternatives ("other medications ... are contraindicated") or advice against weaning ("weaning
is not appropriate", "no indication to wean", a weaning attempt that failed) argues for it. A negation that
negates a record ("no documentation of side effects") decides nothing about the harm: the usual reading stays.
"""
from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp_pipeline.extraction.components._spans import group
from nlp_pipeline.extraction.components.sentences import first_word
from nlp_pipeline.extraction.extensions import SENTENCES_KEY, SPANS_KEY, STANCE_KEY
from nlp_pipeline.extraction.negation import TRIGGER_KINDS, vocabulary

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
# read_harms: what a sentence says of a harm (contraindication, risk, side effect, misuse) or of weaning
_HARMS = {"STANCE_HARM", "STANCE_WEAN"}
_HARM_NEGATION_KINDS = TRIGGER_KINDS + ("denial",)  # "no contraindication", "denies side effects"
_HARM_REACH = 5  # tokens from the negation to the harm it denies ("has no renal or gastrointestinal contraindications")
_ADVICE_AFTER_REACH = 3  # "Weaning is not appropriate": the negation this close after the weaning, then the advice
# a harm after these in its clause is one to record or watch for ("no documentation of side effects", "monitor
# adverse effects"), not one the case shows: it decides nothing
# (anywhere before it in the sentence, across the commas of a list: "monitor analgesia, ..., adverse effects");
# "documented" is left out: "a documented arrhythmia" is the case's
_RECORDS = {"documentation", "document", "documents", "discussion", "mention", "monitor", "monitors", "monitored",
            "monitoring", "screen", "screening", "assess", "assessment"}


@Language.factory("imr_stance", default_config={"regions": ["rationale"], "read_harms": True},
                  requires=["token.is_sent_start", "doc.spans"], assigns=["doc.spans", "span._.imr_value"])
def make_stance(nlp: Language, name: str, regions: list[str], read_harms: bool = True) -> "StanceTagger":
    """Create the component; only docs of ``regions`` get sentence spans. ``read_harms``: read sentences about a
    contraindication, a risk or a weaning plan as what they say of the request (:func:`harm_votes`; off in the
    shipped pipeline, whose models learnt the reading without it)."""
    return StanceTagger(set(regions), read_harms)


class StanceTagger:
    """Adds one ``SENTENCE`` span per sentence with ``_.imr_value = {"role", "polarity"}``."""

    def __init__(self, regions: set[str], read_harms: bool = True):
        self.regions = regions
        self.read_harms = read_harms

    def __call__(self, doc: Doc) -> Doc:
        sentences = group(doc, SENTENCES_KEY)
        if doc._.imr_region not in self.regions:
            return doc
        markers = _with_negated_faults(list(group(doc, STANCE_KEY)))
        if not self.read_harms:
            markers = [m for m in markers if m.label_ in _BASE_LABELS]
        dates = [s.start for s in group(doc, SPANS_KEY) if s.label_ == "DATE"]
        for sent in doc.sents:
            if sent.text.strip():
                span = Span(doc, sent.start, sent.end, label="SENTENCE")
                mine = [m for m in markers if sent.start <= m.start < sent.end]
                dated = any(sent.start <= d < sent.end for d in dates)
                value = self.classify(sent, mine, dated=dated)
                if self.read_harms and not quotes_a_rule(sent, mine):  # a harm of this case, not a rule's condition
                    votes = harm_votes(sent, mine)
                    value = self.classify(sent, mine + votes, dated=dated) if votes else value
                span._.imr_value = value
                sentences.append(span)
        return doc

    @staticmethod
    def classify(sent: Span, markers: list[Span], dated: bool = False) -> dict[str, str]:
        """Role and polarity of one sentence from the stance markers inside it (``dated``: it holds a calendar
        date, which refers to the case as its records do)."""
        opening = first_word(sent)
        first = sent.start if opening is None else opening.i
        comma = next((t.i for t in sent if t.text == ","), None)
        explicit = any((m.label_ == "STANCE_CASE" and m.id_ in _EXPLICIT)
                       or (m.label_ == "STANCE_CONCLUSION" and m.start == first) for m in markers)
        quotes = quotes_a_rule(sent, markers)
        about_case = explicit or (not quotes and (dated or any(m.label_ == "STANCE_CASE" for m in markers)))
        polarity = _polarity(sent, first, comma, markers)
        return {"role": "case" if about_case else "guideline", "polarity": polarity}


def quotes_a_rule(sent: Span, markers: list[Span]) -> bool:
    """Whether a sentence quotes a guideline's rule: a guideline marker, or a condition that opens it or follows
    its opening phrase ("If ...", "After 6 weeks, if ...")."""
    opening = first_word(sent)
    first = sent.start if opening is None else opening.i
    comma = next((t.i for t in sent if t.text == ","), None)
    openers = {first} if comma is None else {first, comma + 1}
    return any(m.label_ == "STANCE_GUIDELINE" or (m.label_ == "STANCE_CONDITION" and m.start in openers)
               for m in markers)


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


# the marker labels the shipped reading knows (the others serve read_harms only)
_BASE_LABELS = {"STANCE_CASE", "STANCE_CONCLUSION", "STANCE_GUIDELINE", "STANCE_CONDITION", "STANCE_AGAINST",
                "STANCE_FOR", "STANCE_NEUTRAL"}


def harm_votes(sent: Span, markers: list[Span]) -> list[Span]:
    """``read_harms``: a polar span per harm or weaning marker of a sentence, by the shape of its statement.

    A harm stands (``STANCE_AGAINST`` over it) unless a negation of the one vocabulary denies it within
    :data:`_HARM_REACH` tokens of the same clause, a "low"/"minimal" qualifies it, it follows "outweigh", or it
    is said of the alternatives ("other medications ... are contraindicated"); weaning stands unless the advice
    to wean is negated ("no indication to wean", "does not need to be weaned", "weaning is not appropriate") or
    an attempt to wean failed. What does not stand gets a ``STANCE_FOR`` from its negation to its end, which
    shields that negation from counting against. A harm to record or watch for ("no documentation of side
    effects", "monitor adverse effects") gets nothing: the usual reading decides."""
    doc = sent.doc
    labelled = lambda label: [m for m in markers if m.label_ == label]  # noqa: E731
    process = [m for m in markers if m.label_ == "STANCE_HARM" and m.id_ == "process"]
    low = [m for m in markers if m.label_ == "STANCE_HARM" and m.id_ == "low"]
    attempts = [m for m in markers if m.label_ == "STANCE_WEAN" and m.id_ == "attempt"]

    def covered(m: Span, spans: list[Span]) -> bool:
        return any(s is not m and s.start <= m.start and m.end <= s.end for s in spans)

    harms = [m for m in markers if m.label_ in _HARMS and m.id_ != "process"
             and not covered(m, process) and not covered(m, low) and not covered(m, attempts)]
    # "a high risk of dependence", "low risk for aberrant behavior": what a harm is of is read with it
    harms = [m for m in harms if not any(o.end <= m.start <= o.end + 2 and doc[o.end].lower_ in ("of", "for")
                                         for o in harms if o is not m)]
    if not harms:
        return []
    outweigh = [m.start for m in labelled("STANCE_OUTWEIGH")]
    advice = labelled("STANCE_ADVICE")
    alternatives = labelled("STANCE_ALTERNATIVE")
    worse = labelled("STANCE_WORSE")
    votes = []
    for harm in harms:
        clause = _clause(sent, harm)
        if any(t.lower_ in _RECORDS for t in doc[sent.start:harm.start]):
            continue
        negation = _negation_before(doc, max(clause[0], harm.start - _HARM_REACH), harm.start)
        if harm.label_ == "STANCE_WEAN":
            if harm.id_ == "attempt":
                stands = not any(clause[0] <= w.start < clause[1] for w in worse)
                start = harm.start
            else:
                denied = negation is not None and any(negation <= a.start < harm.start for a in advice)
                after = _negation_before(doc, harm.end, min(clause[1], harm.end + _ADVICE_AFTER_REACH))
                refused = after is not None and any(after < a.start <= after + 2 for a in advice)
                stands = not (denied or refused)
                start = negation if denied else harm.start
                end = max([harm.end, *(a.end for a in advice if refused and after < a.start <= after + 2)])
                votes.append(Span(doc, start, end, label="STANCE_AGAINST" if stands else "STANCE_FOR",
                                  span_id="harm"))
                continue
        elif harm.id_ == "low":
            stands, start = False, harm.start
        elif negation is not None:
            stands, start = False, negation
        elif any(o < harm.start for o in outweigh):  # "the benefits outweigh its risks"
            stands, start = False, harm.start
        else:
            stands, start = True, harm.start
        alternative = [a for a in alternatives if clause[0] <= a.start < clause[1]]
        if harm.label_ == "STANCE_HARM" and harm.id_ == "contraindication" and alternative:
            stands = not stands  # contraindicated alternatives leave the request
            start = min(start, alternative[0].start)
        votes.append(Span(doc, start, harm.end, label="STANCE_AGAINST" if stands else "STANCE_FOR", span_id="harm"))
    return votes


def _clause(sent: Span, span: Span) -> tuple[int, int]:
    """The token range around ``span`` between the punctuation marks of its sentence (its clause)."""
    start = next((t.i + 1 for t in reversed(sent.doc[sent.start:span.start]) if t.is_punct and t.text != "-"),
                 sent.start)
    end = next((t.i for t in sent.doc[span.end:sent.end] if t.is_punct and t.text != "-"), sent.end)
    return start, end


@lru_cache(maxsize=1)
def _negation_phrases() -> set[tuple[str, ...]]:
    vocab = vocabulary()
    return {tuple(word.split()) for kind in _HARM_NEGATION_KINDS for word in vocab[kind]}


def _negation_before(doc, start: int, end: int) -> int | None:
    """The first token of the first negation phrase (the one vocabulary, denials included) inside ``[start,
    end)``, or None."""
    phrases = _negation_phrases()
    lowered = [t.lower_ for t in doc[start:end]]
    for i in range(len(lowered)):
        if any(tuple(lowered[i:i + len(p)]) == p for p in phrases):
            return start + i
    return None
