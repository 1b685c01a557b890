"""Typed, immutable results: letters, items, extracted spans, predictions.

Every offset is a character offset into ``Letter.text``, the normalized letter text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any, Literal


class _Word(str, Enum):
    """A value that is also its word: equal to it, written as it in JSON, CSV, tables and pages."""

    __str__ = str.__str__
    __format__ = str.__format__


class Outcome(_Word):
    """An item's outcome. ``Upheld``: the utilization-review denial stands; ``Overturned``: it is reversed."""

    UPHELD = "Upheld"
    OVERTURNED = "Overturned"

    @classmethod
    def at(cls, p_overturned: float, threshold: float) -> Outcome:
        """The outcome a probability of Overturned gives at a cut: Overturned from the cut up."""
        return cls.OVERTURNED if p_overturned >= threshold else cls.UPHELD

    @property
    def label(self) -> int:
        """The class a model learns: 1 Overturned, 0 Upheld."""
        return int(self is Outcome.OVERTURNED)


class VerdictValue(_Word):
    """What a rationale concludes: the request is medically ``necessary`` (the denial is overturned),
    ``not_necessary`` (the denial is upheld), or ``none`` (no verdict yet: a draft)."""

    NECESSARY = "necessary"
    NOT_NECESSARY = "not_necessary"
    NONE = "none"

    @property
    def outcome(self) -> Outcome | None:
        """The outcome this verdict states (None for ``none``)."""
        return {VerdictValue.NECESSARY: Outcome.OVERTURNED, VerdictValue.NOT_NECESSARY: Outcome.UPHELD}.get(self)


DECISIONS = tuple(outcome.value for outcome in Outcome)


@dataclass(frozen=True)
class Part:
    """One part of a letter under each name it goes by: the attribute of :class:`Letter` or :class:`Item` that holds
    it, the region its extracted spans carry, the prefix of its word features, how a reader calls it, and the line
    that opens it in a letter."""

    attribute: str
    region: str
    prefix: str
    words: str
    opening: str | None = None


SUMMARY = Part("summary", "summary", "sum", "The case summary", "CLINICAL CASE SUMMARY")
HEADING = Part("heading", "heading", "title", "The item title")
CA_GUIDELINE = Part("claims_administrator_guideline", "ca_guideline", "ca", "The claims administrator guideline line",
                    "Claims Administrator guideline:")
MAXIMUS_GUIDELINE = Part("maximus_guideline", "maximus_guideline", "mx", "The MAXIMUS guideline line",
                         "MAXIMUS guideline:")
RATIONALE = Part("rationale", "rationale", "rat", "The rationale", "Decision rationale:")
ITEM_PARTS = (HEADING, CA_GUIDELINE, MAXIMUS_GUIDELINE, RATIONALE)  # an item's parts, in letter order
PARTS = (SUMMARY, *ITEM_PARTS)


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the fields (nested records become dicts)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class TextSpan(_ToDict):
    """A stretch of the normalized letter text: ``text == letter.text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Reviewer(_ToDict):
    """Who made the determination, as the letter states it."""

    licensure: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    kind: str | None = None  # "physician reviewer" / "expert reviewer"


@dataclass(frozen=True)
class Item(_ToDict):
    """One disputed item/service and its parts, in letter order."""

    index: int
    title: str
    stated_decision: str | None
    start: int
    end: int
    heading: TextSpan
    decision: TextSpan | None = None
    original_request: TextSpan | None = None
    authorized_portion: TextSpan | None = None
    remaining_portion: TextSpan | None = None
    claims_administrator_guideline: TextSpan | None = None
    maximus_guideline: TextSpan | None = None
    rationale: TextSpan | None = None

    @property
    def title_end(self) -> int:
        """Where the title ends in the letter text: at its stated decision, else at the heading's end."""
        return self.decision.start if self.decision is not None else self.heading.end

    @property
    def is_modified_request(self) -> bool:
        """True when the heading gives an original request and an authorized portion."""
        return self.original_request is not None


@dataclass(frozen=True)
class ParseWarning(_ToDict):
    """A part the parser expected and did not find, with the item and part it concerns."""

    message: str
    item: int | None = None  # 0-based item index, None for the letter as a whole
    part: str | None = None  # "heading", "decision" or "rationale"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Letter(_ToDict):
    """A parsed IMR final determination letter."""

    text: str
    source: str | None = None
    case_number: str | None = None
    date_assigned: str | None = None
    date_of_injury: str | None = None
    decision_date: str | None = None
    ur_denial_date: str | None = None
    application_received: str | None = None
    priority: str | None = None
    reviewer: Reviewer = field(default_factory=Reviewer)
    patient_age: int | None = None
    patient_sex: str | None = None
    # the case summary's words that give the age and sex ("a 52-year-old female"): word features never read them
    patient_phrase: TextSpan | None = None
    determination: TextSpan | None = None
    summary: TextSpan | None = None
    issues: TextSpan | None = None
    items: tuple[Item, ...] = ()
    warnings: tuple[ParseWarning, ...] = ()

    def item_warnings(self, index: int, unread: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The warnings about item ``index``, leaving out those about parts in ``unread``."""
        return tuple(w.message for w in self.warnings if w.item == index and w.part not in unread)

    def to_dict(self, include_text: bool = False) -> dict[str, Any]:
        """Return a JSON-ready dict (warnings as their messages); the full text only when ``include_text``."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in ("text", "warnings")}
        out["warnings"] = [w.message for w in self.warnings]
        if include_text:
            out["text"] = self.text
        return out


@dataclass(frozen=True)
class Entity(_ToDict):
    """An extracted fact: a labelled span with its normalized value, role and assertion."""

    label: str
    text: str
    start: int
    end: int
    value: dict[str, Any] | None = None
    role: str | None = None
    assertion: str | None = None
    region: str | None = None  # summary / heading / ca_guideline / maximus_guideline / rationale


@dataclass(frozen=True)
class Evidence(_ToDict):
    """One signed contribution (log-odds toward Overturned) and the words behind it."""

    feature: str
    contribution: float
    text: str | None = None
    start: int | None = None
    end: int | None = None
    spans: tuple[tuple[int, int], ...] = ()  # every letter span behind the feature; start/end is the first


VERDICTS = tuple(value.value for value in VerdictValue)


@dataclass(frozen=True)
class Verdict(_ToDict):
    """The reviewer's verdict in an item's rationale (read by ``imr_verdict``: the last one about the case).

    ``value`` is ``necessary`` (the request is medically necessary: the denial is overturned),
    ``not_necessary`` (the denial is upheld) or ``none`` (the rationale states no verdict: a draft).
    """

    value: Literal["necessary", "not_necessary", "none"] = "none"
    phrase: TextSpan | None = None  # the verdict phrase that decided ("is not medically necessary")
    sentence: TextSpan | None = None  # the sentence holding it
    kind: str | None = None  # strong ("medically necessary"), weak ("warranted"), reversal ("the denial is upheld")

    @property
    def outcome(self) -> Outcome | None:
        """The outcome the verdict states: ``Overturned``, ``Upheld``, or None without a verdict."""
        return VerdictValue(self.value).outcome


BASES = ("verdict", "rationale", "facts")


@dataclass(frozen=True)
class Edit(_ToDict):
    """Replace ``letter.text[start:end]`` with ``replacement`` (offsets into the letter text as read)."""

    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        """``text`` with this edit made."""
        return text[:self.start] + self.replacement + text[self.end:]

    @property
    def size(self) -> int:
        """Characters removed plus characters written."""
        return (self.end - self.start) + len(self.replacement)


@dataclass(frozen=True)
class WhatIf(_ToDict):
    """One edit and what the model reads from the edited letter."""

    kind: str  # amount / documentation / condition / remove_sentence
    change: str  # the edit as a plain sentence
    edit: Edit
    p_overturned: float  # the item's P(Overturned) read from the edited letter
    delta: float  # p_overturned minus the item's P(Overturned) as the letter stands
    flips: bool  # the edited reading falls on the other side of the model's cut
    # a condition edit: the guideline condition it documents (a name in the item's recommendation.conditions)
    condition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields; ``condition`` only for a condition edit."""
        out = super().to_dict()
        if self.condition is None:
            out.pop("condition")
        return out


@dataclass(frozen=True)
class WhatIfPair(_ToDict):
    """Two single edits made together."""

    edits: tuple[int, int]  # indices into the item's what_if list
    p_overturned: float
    delta: float
    flips: bool


@dataclass(frozen=True)
class WhatIfReport(_ToDict):
    """An item's edits, sorted by how far each moves P(Overturned) toward the other outcome."""

    reads: str  # "facts" (the facts model) or "rationale" (draft mode: the verdict-free rationale model)
    p_base: float  # the item's P(Overturned) as the letter stands, by that model
    threshold: float
    edits: tuple[WhatIf, ...] = ()
    pairs: tuple[WhatIfPair, ...] = ()
    smallest_flip: int | tuple[int, int] | None = None


# the guideline knowledge base's reading of an item (nlp_pipeline.facts.recommendations reads it; docs/how-it-works/guidelines.md)

@dataclass(frozen=True)
class Source(_ToDict):
    """Where an entry's status comes from: the guideline, its section and pages, and the stored copy read."""

    guideline: str
    section: str
    pages: str | None = None
    read: str | None = None


@dataclass(frozen=True)
class ConditionState(_ToDict):
    """A condition read against a case summary: its state and the offsets of the words that decided (None when
    not mentioned)."""

    name: str
    state: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Recommendation(_ToDict):
    """An item read against the knowledge base: the entry, the context its status was read for, the status, the
    source, and each of the entry's conditions against the case summary."""

    entry: str
    context: str
    status: str
    source: Source
    conditions: tuple[ConditionState, ...] = ()


@dataclass(frozen=True)
class Prediction(_ToDict):
    """The predicted outcome of one item, with its explanation.

    ``basis`` says which path decided: ``verdict`` (the rationale states one; ``p_overturned`` is the
    measured rate of Overturned among training items with that verdict), ``rationale`` (draft mode, no
    verdict: the rationale model decides) or ``facts`` (before review). ``score``, ``intercept`` and
    ``evidence`` decompose the model's log-odds (``p_rationale`` in draft mode, ``p_overturned`` in facts
    mode): ``intercept + sum(contributions) == score``, the contributions past the largest eight summed in one
    last entry, ``smaller_contributions``.
    """

    source: str | None
    case_number: str | None
    item_index: int
    item: str
    stated_decision: str | None
    predicted: Literal["Upheld", "Overturned"]
    p_overturned: float
    agrees_with_stated: bool | None  # False: the stated decision contradicts the rationale's own verdict
    mode: Literal["draft", "facts"]
    basis: Literal["verdict", "rationale", "facts"] = "facts"
    p_rationale: float | None = None  # draft mode: the rationale model's P(Overturned), verdict sentences left out
    # facts mode: the range of P(Overturned) over the model's refits on resampled letters (2.5th-97.5th percentile;
    # nlp_pipeline.model.uncertainty), and what a pre-review estimate can say, in plain words, from the model's own
    # nested figures (None in draft mode's verdict and rationale predictions, and for a model trained without them)
    p_interval: tuple[float, float] | None = None
    uncertainty: str | None = None
    verdict: Verdict | None = None  # draft mode: what imr_verdict read
    rationale_leans: bool | None = None  # the rationale's reasoning leans the other way from its conclusion
    qa: str | None = None  # the QA note: a contradiction in the letter, or a question for the reviewer
    score: float = 0.0
    intercept: float = 0.0
    threshold: float = 0.5  # the P(Overturned) from which the model predicts Overturned
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # the score's two parts besides the intercept: what the case and the request add ("case") and what the review's
    # layout adds ("context": how many services it disputes, their order); intercept + case + context == score
    balance: dict[str, float] | None = None
    # the reasons that are context, not medical reasons (the review's layout, the rationale's length and its counts
    # of sentences): worded apart from ``reasons``, which hold the medical ones (nlp_pipeline.explain.reasons)
    context: tuple[str, ...] = ()
    # the outcome in words that match the numbers ("leans Overturned: 1.4x the usual rate of 12.5%";
    # nlp_pipeline.explain.labels) and the usual rate: the share of Overturned among the model's training items
    outcome_label: str | None = None
    usual_rate: float | None = None
    # with ``--what-if`` (nlp_pipeline.predict.what_if): the edits that move this item, sorted toward the other outcome,
    # the pairs tried, the smallest flip (an index into what_if or a pair of them) and which model they move
    what_if: tuple[WhatIf, ...] | None = None
    what_if_pairs: tuple[WhatIfPair, ...] | None = None
    smallest_flip: int | tuple[int, int] | None = None
    what_if_reads: Literal["facts", "rationale"] | None = None
    # the item's guideline reading, copied from its facts (ItemFacts.recommendation): shown beside the prediction
    # (the facts model reads it as its ``guideline`` family)
    recommendation: Recommendation | None = None
    # draft mode: the conditions of that entry which the rationale's sentences about the case state met
    # (``documented``) or unmet (``contradicted``), copied from its facts (ItemFacts.rationale_conditions), one per
    # sentence and condition, with the offsets of the words that state it; always empty in facts mode
    rationale_conditions: tuple[ConditionState, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields; the what-if fields only when the what-if edits were asked for."""
        out = super().to_dict()
        if self.what_if is None:
            for name in WHAT_IF_FIELDS:
                out.pop(name)
        return out


WHAT_IF_FIELDS = ("what_if", "what_if_pairs", "smallest_flip", "what_if_reads")


__all__ = ["DECISIONS", "Outcome", "VerdictValue", "Part", "PARTS", "ITEM_PARTS", "Edit", "WhatIf", "WhatIfPair", "WhatIfReport", "WHAT_IF_FIELDS", "TextSpan", "Reviewer", "Item", "ParseWarning", "Letter", "Entity", "Evidence", "Prediction", "BASES",
           "Verdict", "VERDICTS", "ItemFacts", "LetterFacts", "Treatment", "Amount", "GuidelineCitation",
           "PageCitation", "Allowance", "Recommendation", "ConditionState", "Source", "asdict"]


# an item's facts, derived once per item by nlp_pipeline.facts.derive (docs/how-it-works/extraction.md)

class _Sparse(_ToDict):
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the fields that are set (a field left None is not a key)."""
        return {f.name: _plain(value) for f in fields(self)  # type: ignore[arg-type]
                for value in [getattr(self, f.name)] if value is not None}


@dataclass(frozen=True)
class Treatment(_Sparse):
    """The service an item requests (``facts.derive.requested_treatment``): its category and name as the package
    names them (``patterns/treatments.jsonl``), with a medication's drug class, the context it is requested in, the
    head word that named a service no treatment pattern knows, or the shape of a medication order whose drug is
    unknown. ``to_dict`` leaves out what is not set."""

    category: str
    name: str
    drug_class: str | None = None
    context: str | None = None  # "surgery_related" / "office_visit" beside the service, "surgery" for a surgeon's visit
    head: str | None = None  # the head word that named it ("Speech *therapy*": patterns/heads.jsonl)
    shape: tuple[str, ...] | None = None  # an unknown drug's order shape: strength, form, route, dispense


@dataclass(frozen=True)
class Amount(_Sparse):
    """The value of a COUNT span (``extraction.amounts``): visits (``min``-``max`` of a ``unit``, with ``per_week``
    and ``weeks`` when stated) or a drug amount (``quantity``, with a ``strength`` or a dosage ``form``); the year or
    date a course was had, and the treatment it counts. ``to_dict`` gives the span's value as extracted (what is not
    set is not a key; ``facts.derive.count_amount`` makes one of a span's value)."""

    kind: Literal["visits", "drug"]
    unit: str | None = None
    per_week: tuple[int, int] | None = None
    weeks: tuple[int, int] | None = None
    min: int | None = None
    max: int | None = None
    strength: str | None = None
    strength_unit: str | None = None
    quantity: int | None = None
    form: str | None = None
    year: int | None = None
    date: str | None = None
    treatment: str | None = None  # the category of the treatment it counts


@dataclass(frozen=True)
class GuidelineCitation(_ToDict):
    """A guideline one of an item's guideline lines names (a GUIDELINE span): its source, chapter and year."""

    part: str  # the line: "ca_guideline" or "maximus_guideline"
    label: Literal["GUIDELINE"] = field(default="GUIDELINE", init=False)
    text: str = ""
    source: str = "other"
    chapter: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class PageCitation(_Sparse):
    """Pages one of an item's guideline lines cites (a CITATION span), with the source and section of the guideline
    named just before them when there is one (``to_dict`` leaves out what is not set)."""

    part: str  # the line: "ca_guideline" or "maximus_guideline"
    label: Literal["CITATION"] = field(default="CITATION", init=False)
    text: str = ""
    pages: tuple[str, ...] = ()
    source: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class Allowance(_ToDict):
    """The requested visits measured against the guideline's allowance (``facts.allowances.compare_to_allowance``):
    ``within`` or ``above`` it, or ``unknown`` (no visits requested, or no allowance for the treatment); the visits
    ``requested`` and ``earlier`` (a modified request's authorized portion, which counts against the same course),
    the range ``allowed``, the ``excess``, and the allowance's condition and citation."""

    status: Literal["within", "above", "unknown"] = "unknown"
    requested: int | None = None
    earlier: int = 0
    allowed: tuple[int, int] | None = None
    excess: int | None = None
    condition: str | None = None
    citation: str | None = None


@dataclass(frozen=True)
class ItemFacts(_ToDict):
    """What the extraction found for one item: spans per part, and the facts derived from them, each derived once
    (``facts.derive.derive_item_facts``), which the model, the explanations and the commands read."""

    index: int
    entities: tuple[Entity, ...] = ()
    treatment: Treatment | None = None  # the requested service
    requested: Amount | None = None  # the requested COUNT's value
    prior: tuple[Amount, ...] = ()  # prior COUNT values of visits of the same treatment category
    # the visits of the requested treatment had before, each course once (facts.derive.earlier_amount); None when the
    # letter states none. Not in to_dict (imr parse --entities prints ``prior``, which it sums)
    prior_visits: int | None = None
    guidelines: tuple[GuidelineCitation | PageCitation, ...] = ()  # cited sources, chapters, pages
    allowance: Allowance | None = None  # requested amount against the guideline allowance
    verdict: Verdict = field(default_factory=Verdict)
    verdict_sentences: tuple[TextSpan, ...] = ()  # every sentence holding a verdict phrase that counts
    sentences: tuple[Entity, ...] = ()  # rationale sentences: SENTENCE entities valued {"role", "polarity"}
    # what the guideline says of the request and which of its conditions the case summary documents (None when the
    # knowledge base has no entry for it): read once, with the other facts (the facts model's guideline family)
    recommendation: Recommendation | None = None
    # the conditions of that entry which the rationale's sentences about the case (verdict sentences left out) state
    # met (``documented``) or unmet (``contradicted``), one per sentence and condition (facts.recommendations.
    # rationale_conditions); the draft model's ``conditions`` family reads them beside the stance markers
    rationale_conditions: tuple[ConditionState, ...] = ()
    # what the extraction did not understand in the item's title (facts.derive.unread_warnings): no treatment category,
    # an amount it states that was not read; the item's ``warnings`` in imr parse --entities and in its Prediction
    warnings: tuple[str, ...] = ()

    def in_verdict(self, offset: int) -> bool:
        """Whether a letter offset falls inside one of the rationale's verdict sentences."""
        return any(v.start <= offset < v.end for v in self.verdict_sentences)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, without ``prior_visits`` (a sum of ``prior``)."""
        out = super().to_dict()
        del out["prior_visits"]
        return out


@dataclass(frozen=True)
class LetterFacts(_ToDict):
    """Extraction results for a letter: the case summary's spans and each item's facts."""

    summary_entities: tuple[Entity, ...] = ()
    items: tuple[ItemFacts, ...] = ()
    years_since_injury: float | None = None
    weeks_injury_to_review: float | None = None  # from the injury to the utilization review's denial
    injury_to_review_spans: tuple[tuple[int, int], ...] = ()  # where the two dates stand (injury first)
