"""The guideline knowledge base (``data/recommendations.jsonl``), read in one place: an item's treatment → the
guideline's entry (status, source, conditions), and a case summary → each condition's state.

The file holds three kinds of rows:

- ``condition``: a checkable condition (``failed_first_line_care``, ``objective_functional_improvement``...), a
  plain sentence, the ``cues`` (lower-case phrases) whose presence in a case summary documents it, and
  ``document``: what the records would state to document it (the what-if edits' wording);
- ``treatment``: an entry per treatment: the ``category`` (the package's treatment categories), optionally the
  ``drug_class``, the treatment ``names`` it is for (as the package names them) and ``terms`` (regular
  expressions on the request's title, for the forms the package's categories lump together: a TENS unit among
  equipment, a compounded cream among medications), the guideline's ``status`` per context (``chronic``,
  ``acute``, ``post_surgical``), its ``conditions`` (``against``: those among them whose documentation argues
  against the request, as the guideline words them: long-term use of a class it limits to short courses, radicular
  findings for a facet injection) and its ``source`` (guideline, section, pages, and the
  stored copy ``read`` when one was read);
- ``uncategorized``: the shapes of requests nothing here can categorize (a brand name alone, initials).

Matching (:func:`find_entry`), most specific first, within the treatment's category (and the entries that list
it in ``also_categories``): the entry whose terms match the longest stretch of the title, entries with a higher ``precedence`` first (the form decides: a
strength per ingredient makes a compound, a patch or a gel a topical); the entry naming the treatment; the
drug class's entry; the category's entry (no names, no terms). A title the package gave no treatment is
matched by terms alone, in every category.

Reading conditions (:func:`read_conditions`): a condition is ``documented`` where one of its cues occurs in the
summary, ``contradicted`` where that occurrence is negated, ``not_mentioned`` where none occurs; a documented
occurrence wins over a negated one (a case that "did not improve with NSAIDs" and "failed physical therapy" has
failed first-line care). Negation is read through :mod:`nlp_pipeline.extraction.negation`, the one vocabulary:
its negation, correlative, absence and denial words before the cue within the same clause (at most
:data:`SCOPE_WORDS` words back), its ``unshown`` phrases anywhere before the cue in its clause ("no evidence the
patient has tried and failed"; a verb's negation after the phrase turns it back: "no documentation of why she
cannot continue the home exercise program"), and its ``after`` phrases right after the cue, negate it; words inside the cue
itself never count ("no relief with" is itself the cue). Clauses end at ``.``, ``;``, ``:``, ``?``, ``!``
and at "but", "however", "although".

Each item's facts carry its reading (``ItemFacts.recommendation``, derived in :mod:`nlp_pipeline.facts.derive`), and
each prediction copies it; the facts model reads it as the ``guideline`` family. The same conditions read the
item's rationale (:func:`rationale_conditions`, ``ItemFacts.rationale_conditions``): the sentences about the case
that state a condition of the item's entry met or unmet, which the draft model reads (``conditions`` family)
beside the stance markers. :func:`argues_for` says which way a condition's state counts for the request.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from nlp_pipeline.extraction.negation import AFTER_KINDS, CLAUSE_KINDS, FINDING_KINDS, VERBAL, vocabulary
from nlp_pipeline.types import ConditionState, Entity, Recommendation, Source, TextSpan, Treatment  # the typed results live with the others

STATUSES = ("recommended", "conditional", "not_recommended", "not_addressed")
CONTEXTS = ("chronic", "acute", "post_surgical")
STATES = ("documented", "contradicted", "not_mentioned")
SCOPE_WORDS = 6  # how far back a negation reaches, in words, within a clause
_AFTER_CHARS = 40  # how far after a cue an "after" phrase ("was not documented") is looked for
_CANNOT = re.compile(r"\bcannot\b")
_CLAUSE_END = re.compile(r"[.;:?!]\s|[.;:?!]$|\n\s*\n|\b(?:but|however|although)\b", re.IGNORECASE)
_POST_SURGICAL = re.compile(r"\bpost[- ]?op(?:erative)?\b|\bpostoperative\b|\bassociated surgical service\b|\bafter (?:the )?surgery\b",
                            re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    """A checkable condition: its snake_case name, a plain sentence, the cue phrases that document it, and what a
    case summary would say to document it (``document``: "objective functional improvement from the earlier
    course"; the what-if edits write "The records document ..." with it, :mod:`nlp_pipeline.predict.what_if`)."""

    name: str
    sentence: str
    cues: tuple[str, ...] = ()
    document: str = ""


@dataclass(frozen=True)
class Entry:
    """One treatment's guideline entry."""

    id: str
    label: str
    category: str
    status: tuple[tuple[str, str], ...]  # (context, status), in the file's order
    conditions: tuple[str, ...]
    source: Source
    drug_class: str | None = None
    names: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    note: str | None = None
    also: tuple[str, ...] = ()  # other categories whose items the entry's terms may match
    precedence: int = 0  # a form that decides before any single agent's (a compound of several drugs)
    against: tuple[str, ...] = ()  # conditions whose documentation argues against the request (the guideline's own)

    def status_for(self, context: str = "chronic") -> str:
        """The status in ``context``, else the chronic-pain status (the MTUS default for IMR requests)."""
        statuses = dict(self.status)
        return statuses.get(context) or statuses["chronic"]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "category": self.category, "drug_class": self.drug_class,
                "names": list(self.names), "terms": list(self.terms), "status": dict(self.status),
                "conditions": list(self.conditions), "against": list(self.against),
                "source": self.source.to_dict(), "note": self.note}


@lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, Any], ...]:
    text = resources.files("nlp_pipeline").joinpath("data/recommendations.jsonl").read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


@lru_cache(maxsize=1)
def conditions() -> dict[str, Condition]:
    """Every condition of the knowledge base, by name."""
    return {row["name"]: Condition(row["name"], row["sentence"], tuple(c.lower() for c in row["cues"]),
                                   row.get("document", ""))
            for row in _rows() if row["kind"] == "condition"}


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """Every treatment entry of the knowledge base, in the file's order."""
    out = []
    for row in _rows():
        if row["kind"] != "treatment":
            continue
        out.append(Entry(id=row["id"], label=row["label"], category=row["category"],
                         status=tuple(row["status"].items()), conditions=tuple(row["conditions"]),
                         source=Source(**row["source"]), drug_class=row.get("drug_class"),
                         names=tuple(row.get("names", ())), terms=tuple(row.get("terms", ())), note=row.get("note"),
                         also=tuple(row.get("also_categories", ())), precedence=row.get("precedence", 0),
                         against=tuple(row.get("against", ()))))
    return tuple(out)


@lru_cache(maxsize=1)
def uncategorized() -> tuple[dict[str, Any], ...]:
    """What the knowledge base names as left uncategorized: a medication by a brand name alone, a service by its
    initials (issue 30, item 6)."""
    return tuple(row for row in _rows() if row["kind"] == "uncategorized")


def entry_by_id(entry_id: str) -> Entry:
    """The entry with this id (KeyError when there is none)."""
    for entry in entries():
        if entry.id == entry_id:
            return entry
    raise KeyError(entry_id)


@lru_cache(maxsize=None)
def _term(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def _terms_match(entry: Entry, title: str) -> bool:
    return any(_term(t).search(title) for t in entry.terms)


def find_entry(treatment: Treatment | None, title: str = "") -> Entry | None:
    """The knowledge-base entry for an item's treatment (``ItemFacts.treatment``: category, name, drug class),
    refined by its title's words where the category lumps forms together; None when no entry matches.

    Most specific first: the entry whose terms match the longest stretch of the title (an entry with a drug
    class only for a treatment of that class; a treatment the package did not categorize is matched by terms in
    every category); else the entry naming the treatment; else its drug class's; else its category's (the one with no names, else its first)."""
    category = treatment.category if treatment else None
    name = (treatment.name if treatment else "").lower()
    drug_class = treatment.drug_class if treatment else None
    candidates = [e for e in entries() if category is None or e.category == category or category in e.also]
    termed = []
    for order, entry in enumerate(candidates):
        if not (entry.terms and title) or (entry.drug_class and drug_class and entry.drug_class != drug_class):
            continue
        longest = max((len(m.group(0)) for t in entry.terms for m in [_term(t).search(title)] if m), default=0)
        if longest:
            termed.append((-entry.precedence, -longest, order, entry))
    if termed:
        return min(termed, key=lambda t: t[:3])[3]
    if category is None:
        return None
    for group in ([e for e in candidates if name and name in (n.lower() for n in e.names)],
                  [e for e in candidates if drug_class and e.drug_class == drug_class and not e.names and not e.terms],
                  [e for e in candidates if e.category == category and not e.names and not e.terms and not e.drug_class],
                  [e for e in candidates if e.category == category and not e.terms and not e.drug_class]):
        if group:
            return group[0]
    return None


def request_context(treatment: Treatment | None, title: str = "") -> str:
    """The context whose status applies: ``post_surgical`` for a service tied to a surgery (the treatment's
    surgical context, or a title that says post-operative), else ``chronic`` (the MTUS chronic pain guidelines
    govern IMR requests unless a clinical topic or the post-surgical guidelines apply)."""
    if treatment and "surgery_related" in (treatment.context, treatment.category):
        return "post_surgical"
    if title and _POST_SURGICAL.search(title):
        return "post_surgical"
    return "chronic"


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around ``text[start:end]``."""
    left = 0
    for match in _CLAUSE_END.finditer(text, 0, start):
        left = match.end()
    found = _CLAUSE_END.search(text, end)
    return left, (found.start() if found else len(text))


def _words(text: str) -> list[str]:
    """Lower-case words, "cannot" as "can not" (as spaCy's tokenizer splits it for the other components)."""
    return re.findall(r"[a-z]+(?:'[a-z]+)?|n't", _CANNOT.sub("can not", text.lower()))


def _last_phrase_end(words: list[str], phrases: Iterable[str]) -> int | None:
    """Where the last of ``phrases`` to occur in ``words`` ends (None when none occurs)."""
    ends = [i + len(target) for phrase in phrases for target in [_words(phrase)]
            for i in range(len(words) - len(target) + 1) if words[i:i + len(target)] == target]
    return max(ends) if ends else None


def _contains_phrase(words: list[str], phrase: str) -> bool:
    return _last_phrase_end(words, [phrase]) is not None


def is_negated(text: str, start: int, end: int) -> bool:
    """Whether the words ``text[start:end]`` are negated in their clause, by the package's negation vocabulary
    (module docstring)."""
    vocab = vocabulary()
    left, right = _clause_bounds(text, start, end)
    clause = _words(text[left:start])
    unshown = _last_phrase_end(clause, [phrase for kind in CLAUSE_KINDS for phrase in vocab[kind]])
    if unshown is not None:  # "no evidence (that) ...": negated unless a verb's negation turns it back
        return sum(word in VERBAL for word in clause[unshown:]) % 2 == 0
    before = clause[-SCOPE_WORDS:]
    forward = frozenset().union(*(vocab[k] for k in FINDING_KINDS))
    if any(_contains_phrase(before, phrase) for phrase in forward):
        return True
    after = _words(text[end:min(right, end + _AFTER_CHARS)])
    return any(after[:len(_words(p))] == _words(p) for kind in AFTER_KINDS for p in vocab[kind])


@lru_cache(maxsize=None)
def _cue_pattern(cue: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(cue).replace(r"\ ", r"\s+") + r"(?![\w-])", re.IGNORECASE)


def read_condition(name: str, summary: str, offset: int = 0) -> ConditionState:
    """One condition's state in ``summary`` (offsets plus ``offset``, the summary's start in its letter)."""
    state, span = _condition_in(name, summary)
    if span is None:
        return ConditionState(name, state)
    return ConditionState(name, state, offset + span[0], offset + span[1])


@lru_cache(maxsize=8192)
def _condition_in(name: str, summary: str) -> tuple[str, tuple[int, int] | None]:
    """A condition's state in a summary (or a rationale's sentence) and the span that decided: read once per text,
    though every item of a letter, and every what-if re-reading that leaves the summary alone, asks again."""
    negated: tuple[int, int] | None = None
    hits = sorted((m.start(), m.end()) for cue in conditions()[name].cues for m in _cue_pattern(cue).finditer(summary))
    for start, end in hits:
        if not is_negated(summary, start, end):
            return "documented", (start, end)
        negated = negated or (start, end)
    return ("contradicted", negated) if negated is not None else ("not_mentioned", None)


def read_conditions(names: Iterable[str], summary: str, offset: int = 0) -> tuple[ConditionState, ...]:
    """Each named condition's state in ``summary``."""
    return tuple(read_condition(name, summary or "", offset) for name in names)


def argues_for(state: ConditionState, entry: Entry) -> bool | None:
    """Whether a condition's state argues for the request: documented does, said not met does not, and the other
    way round for a condition the entry words against the request (its ``against``: long-term use of a class it
    limits to short courses); None when the condition is not mentioned."""
    if state.state not in ("documented", "contradicted"):
        return None
    return (state.state == "documented") != (state.name in entry.against)


def rationale_conditions(reading: Recommendation | None, sentences: Iterable[Entity],
                         verdicts: Iterable[TextSpan] = ()) -> tuple[ConditionState, ...]:
    """The conditions of the item's own entry that its rationale states met or unmet (issue 30, item 4): each
    sentence about the case (``role`` ``case``; the verdict sentences left out) read by every condition of the
    entry, with the cues and the negation vocabulary the case summary is read with; one state per sentence and
    condition it names, in the letter's offsets. "There is no documentation of functional improvement" states
    ``objective_functional_improvement`` contradicted; "the patient has failed physical therapy and NSAIDs" states
    ``failed_first_line_care`` documented. Empty when no entry matches, or no sentence names a condition."""
    if reading is None or not reading.conditions:
        return ()
    names = [condition.name for condition in reading.conditions]
    cuts = tuple(verdicts)
    found: list[ConditionState] = []
    for sentence in sentences:
        if sentence.value["role"] != "case" or any(cut.start <= sentence.start < cut.end for cut in cuts):
            continue
        found += [state for state in read_conditions(names, sentence.text, sentence.start)
                  if state.state != "not_mentioned"]
    return tuple(found)


def recommendation(treatment: Treatment | None, summary: str = "", title: str = "", offset: int = 0
                   ) -> Recommendation | None:
    """An item read against the knowledge base: its entry's status in the request's context and each of the
    entry's conditions in the case summary; None when no entry matches (see :func:`uncategorized_reason`)."""
    entry = find_entry(treatment, title)
    if entry is None:
        return None
    context = request_context(treatment, title)
    return Recommendation(entry=entry.id, context=context, status=entry.status_for(context), source=entry.source,
                          conditions=read_conditions(entry.conditions, summary, offset))


_STRENGTH_OR_FORM = re.compile(r"\d|\b(?:tab(?:let)?s?|cap(?:sule)?s?|cream|gel|patch(?:es)?|ointment|lotion|solution|"
                               r"suspension|spray|powder|injection|oral)\b", re.IGNORECASE)
_INITIALS = re.compile(r"^\s*(?:retrospective\s+)?([A-Z]{2,5})\b")


def uncategorized_reason(title: str, treatment: Treatment | None = None) -> dict[str, Any] | None:
    """Why a request stays uncategorized, as the knowledge base's ``uncategorized`` row, when its title has that
    shape and no entry matches it: initials the package does not know (``abbreviated_service``), or a bare name
    with no strength, form or known drug (``brand_name_alone``); None otherwise."""
    if find_entry(treatment, title) is not None:
        return None
    rows = {row["id"]: row for row in uncategorized()}
    if _INITIALS.match(title or ""):
        return rows["abbreviated_service"]
    words = (title or "").split()
    if treatment is None or treatment.name == "unknown":
        if 0 < len(words) <= 3 and words[0][:1].isupper() and not _STRENGTH_OR_FORM.search(title):
            return rows["brand_name_alone"]
    return None
