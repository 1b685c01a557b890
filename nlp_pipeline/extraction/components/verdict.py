"""``imr_verdict``: the reviewer's verdict on an item, read from the verdict phrase itself.

The one place where a rationale's verdict is read. Its phrases and markers are data
(``patterns/verdict.jsonl``), its negation words those of :mod:`nlp_pipeline.extraction.negation` (a phrase's
polarity, and the words the gap inside a phrase may not hold).

- **Polarity from the phrase alone.** A verdict phrase is a verb group and its predicate ("is not
  seen as medically necessary", "was determined not to be medically necessary", "has not been
  established", "non-certification is recommended"); it is negative when it holds an odd number of
  negations *inside* it. Words elsewhere in the sentence ("In the absence of red flags, ...", "..., as
  a prior course was not documented") never touch it.
- **Statements about the earlier decision** count too: the reviewer reversing or upholding it ("I am
  reversing the prior denial", "The utilization review decision is upheld", "I do not agree with the
  denial").
- **What is not a verdict**: a sentence that opens with a condition ("If ..., further sessions would be
  medically necessary"); a phrase someone else is reported to have said ("ODG states therapy is
  medically necessary only when ...", "The treating physician states ..."); restated history
  ("utilization review non-certified ...", "was denied by the claims administrator"); a relative
  clause ("the medication that is being recommended") or an attribute ("part of a medically necessary
  program"). Weaker predicates ("recommended", "appropriate", "warranted", "supported", "certified")
  and phrases followed by a condition ("... is medically necessary only when ...") count only in a
  sentence about the request ("the request", "the requested", "Therefore", "in this case"), and weaker
  predicates never in a sentence a guideline opens ("According to ODG, ... is supported when ...").
- **Coordinated predicates share one reading**: in "was not medically necessary, medically appropriate,
  or indicated" the negation covers the list.
- **The last verdict about the case wins**: a rationale's verdict is its last counted phrase.

Each counted phrase becomes a ``VERDICT`` span in ``doc.spans["imr_verdicts"]`` with
``_.imr_value = {"verdict": "necessary" | "not_necessary", "kind": "strong" | "weak" | "reversal"}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path, filter_spans

from nlp_pipeline.extraction.components._matching import PatternMatcher
from nlp_pipeline.extraction.components._spans import group
from nlp_pipeline.extraction.components.sentences import first_word
from nlp_pipeline.extraction.extensions import VERDICTS_KEY
from nlp_pipeline.extraction.negation import is_negated, vocabulary
from nlp_pipeline.extraction.rules import pattern_rows
from nlp_pipeline.types import VerdictValue

NECESSARY, NOT_NECESSARY, NONE = VerdictValue.NECESSARY, VerdictValue.NOT_NECESSARY, VerdictValue.NONE
_CLAUSE_BREAKS = {",", ";", ":", "(", ")", "--"}
_HISTORY_AFTER = 3  # "... was non-certified by utilization review": an agent right after the phrase
_PHRASES = {"VERDICT", "REVERSAL"}
PATTERNS_FILE = "patterns.jsonl"
_COORDINATION = {",", "or", "and", "nor"}  # "not medically necessary, medically appropriate, or indicated"
_DETERMINERS = {"a", "an", "the", "any", "this", "that", "all", "other", "such"}  # "a medically necessary program"
_RELATIVES = {"that", "which", "who", "whom", "whichever"}  # "... the medication that is being recommended"


@lru_cache(maxsize=1)
def verdict_patterns() -> tuple[tuple[str, str, list[dict[str, Any]]], ...]:
    """``(label, id, token pattern)`` rows of ``patterns/verdict.jsonl``, word lists (``"@NAME"``) expanded: a
    list's ``"@NAME"`` item is replaced by the words it names. A word list defined by ``negation_kinds`` is
    those kinds' words of the negation vocabulary (:func:`nlp_pipeline.extraction.negation.vocabulary`)."""
    rows = pattern_rows("verdict")
    negation = vocabulary()
    words = {row["define"]: row["words"] if "words" in row else sorted(set().union(*(negation[kind] for kind in
                                                                                    row["negation_kinds"])))
             for row in rows if "define" in row}

    def named(value: Any) -> bool:
        return isinstance(value, str) and value.startswith("@")

    def expand(value: Any) -> Any:
        if named(value):
            return words[value[1:]]
        if isinstance(value, dict):
            return {k: expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [w for v in value for w in (words[v[1:]] if named(v) else [expand(v)])]
        return value

    return tuple((row["label"], row["id"], expand(row["pattern"])) for row in rows if "pattern" in row)


@Language.factory("imr_verdict", default_config={"regions": ["rationale"]},
                  requires=["token.is_sent_start"], assigns=["doc.spans", "span._.imr_value"])
def make_verdict(nlp: Language, name: str, regions: list[str]) -> "VerdictReader":
    """Create the component; only docs of ``regions`` are read for verdicts."""
    return VerdictReader(nlp, set(regions))


class VerdictReader:
    """Adds a ``VERDICT`` span per verdict phrase that counts (see the module docstring). Starts without patterns:
    ``initialize`` gives it the package's (``patterns/verdict.jsonl``, expanded), ``to_disk`` / ``from_disk`` save
    and load them with the pipeline."""

    def __init__(self, nlp: Language, regions: set[str]):
        self.nlp = nlp
        self.regions = regions
        self.patterns: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.matcher = PatternMatcher(nlp.vocab, validate=True)

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None,
                   patterns: Iterable[tuple[str, str, list[dict[str, Any]]]] | None = None) -> None:
        """Load ``(label, kind, token pattern)`` rows: ``patterns``, or by default :func:`verdict_patterns`."""
        self.patterns = [tuple(row) for row in (patterns if patterns is not None else verdict_patterns())]
        self.matcher = PatternMatcher(self.nlp.vocab, validate=True)
        keys: dict[tuple[str, str], list] = {}
        for label, kind, pattern in self.patterns:
            keys.setdefault((label, kind), []).append(pattern)
        for (label, kind), rows in keys.items():
            self.matcher.add(f"{label}|{kind}", rows, greedy="LONGEST" if label in _PHRASES else None)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the patterns to ``path/patterns.jsonl``."""
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / PATTERNS_FILE, [{"label": label, "kind": kind, "pattern": pattern}
                                                 for label, kind, pattern in self.patterns])

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> VerdictReader:
        """Read the patterns :meth:`to_disk` wrote."""
        rows = srsly.read_jsonl(ensure_path(path) / PATTERNS_FILE)
        self.initialize(patterns=[(row["label"], row["kind"], row["pattern"]) for row in rows])
        return self

    def __call__(self, doc: Doc) -> Doc:
        verdicts = group(doc, VERDICTS_KEY)
        if doc._.imr_region not in self.regions:
            return doc
        found: list[Span] = []
        for match_id, start, end in self.matcher(doc):
            label, _, kind = doc.vocab.strings[match_id].partition("|")
            found.append(Span(doc, start, end, label=label, kb_id=kind))
        for sent in doc.sents:
            verdicts.extend(read_sentence(sent, [s for s in found if sent.start <= s.start and s.end <= sent.end]))
        return doc


def read_sentence(sent: Span, found: list[Span]) -> list[Span]:
    """The verdict phrases of one sentence that count, as ``VERDICT`` spans valued with their verdict."""
    first = first_word(sent)
    markers = [s for s in found if s.label_ not in _PHRASES]
    # a condition word opening the sentence: "If ..., further sessions would be medically necessary"
    if first is None or any(m.label_ == "CONDITION" and m.start == first.i and len(m) == 1 for m in markers):
        return []
    anchored = any(m.label_ == "ANCHOR" for m in markers)
    # a guideline opens the sentence ("According to ODG, ..."): its "recommended", "supported" are the guideline's
    quoting = any(m.label_ == "SOURCE" and m.start == first.i for m in markers)
    out, previous = [], None
    for phrase in sorted(filter_spans([s for s in found if s.label_ in _PHRASES]), key=lambda s: s.start):
        core = _core(phrase)
        before = sent.doc[core.start - 1].lower_ if core.start > sent.start else ""
        coordinated = previous is not None and all(t.lower_ in _COORDINATION for t in sent.doc[previous.end:core.start])
        previous = phrase
        if coordinated or before in _RELATIVES or (before in _DETERMINERS and core[0].lower_ == "medically"):
            continue  # shares the phrase before it; a relative clause; an attribute ("a medically necessary program")
        if phrase.label_ == "REVERSAL":
            verdict = _reversal(phrase, markers)
        elif quoting and phrase.kb_id_ == "weak":
            verdict = None
        else:
            verdict = _verdict(phrase, markers, anchored)
        if verdict is not None:
            span = Span(sent.doc, phrase.start, phrase.end, label="VERDICT")
            span._.imr_value = {"verdict": verdict, "kind": "reversal" if phrase.label_ == "REVERSAL" else phrase.kb_id_}
            out.append(span)
    return out


def _core(phrase: Span) -> Span:
    """The phrase without the commas it may open with (the verb group admits "is, therefore, not")."""
    start = phrase.start
    while start < phrase.end - 1 and phrase.doc[start].text in (",", "-"):
        start += 1
    return phrase.doc[start:phrase.end]


def _reversal(phrase: Span, markers: list[Span]) -> str | None:
    """A statement about the earlier decision: reversing it is ``necessary``, upholding it ``not_necessary``."""
    first_person = phrase[0].lower_ in ("i", "we")
    if first_person and not any(m.label_ == "DECISION" and m.start >= phrase.end for m in markers):
        return None  # "I agree" with nothing said about the earlier decision
    keeps = phrase.kb_id_ == "keep"
    # only plain negations flip it: the "non" of "non-certification" belongs to the decision it names
    if is_negated((t.lower_ for t in phrase), kinds=("negation",)):
        keeps = not keeps
    return NOT_NECESSARY if keeps else NECESSARY


def _verdict(phrase: Span, markers: list[Span], anchored: bool) -> str | None:
    """A verdict phrase's reading, or None when it is a quotation, a rule or restated history."""
    start, end = _clause(phrase)
    before = [m for m in markers if start <= m.start and m.end <= phrase.start]
    if any(m.label_ in ("HISTORY", "REPORTED") and m.kb_id_ != "by_agent" for m in before):
        return None  # "Utilization review found the request not medically necessary", "ODG states ..."
    if any(m.label_ == "HISTORY" and m.kb_id_ == "by_agent" and phrase.end <= m.start < phrase.end + _HISTORY_AFTER
           for m in markers):
        return None  # "... was non-certified by utilization review"
    if not anchored:
        if phrase.kb_id_ == "weak":
            return None  # "Acupuncture is recommended as an option"
        if any(m.label_ == "CONDITION" and phrase.end <= m.start < end and m[0].lower_ != "should" for m in markers):
            return None  # "... is medically necessary only when ..."
    return NOT_NECESSARY if is_negated(t.lower_ for t in phrase) else NECESSARY


def _clause(phrase: Span) -> tuple[int, int]:
    """Token bounds of the clause around a phrase: up to the nearest clause punctuation outside it."""
    sent = phrase.sent
    start = max((t.i + 1 for t in sent if t.i < phrase.start and t.text in _CLAUSE_BREAKS), default=sent.start)
    end = min((t.i for t in sent if t.i >= phrase.end and t.text in _CLAUSE_BREAKS), default=sent.end)
    return start, end


@dataclass(frozen=True)
class VerdictReading:
    """A doc's verdict: the last counted phrase's reading, that phrase and every verdict sentence."""

    verdict: str
    phrase: Span | None
    sentences: tuple[Span, ...]


def doc_verdict(doc: Doc) -> VerdictReading:
    """The verdict of a processed rationale doc (``none`` when no phrase counts)."""
    spans = sorted(doc.spans.get(VERDICTS_KEY, []), key=lambda s: s.start)
    sentences: dict[int, Span] = {}
    for span in spans:
        sentences.setdefault(span.sent.start, span.sent)
    if not spans:
        return VerdictReading(NONE, None, ())
    return VerdictReading(spans[-1]._.imr_value["verdict"], spans[-1], tuple(sentences.values()))
