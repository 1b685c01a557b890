"""What if: the edits to a letter's text that would move an item's predicted outcome, smallest first.

Every edit is text: a rewrite of the letter as read (``Edit``: start, end, replacement) drawn from the
declared catalogue ``data/what_if.jsonl``; the edited letter is parsed and read again from scratch by the
same pipeline and model, never a feature set by hand. Four kinds:

- ``amount``: the requested amount rewritten to the upper and to the lower end of its guideline allowance,
  where one applies and the request exceeds it (an authorized portion of a modified request counts
  against the allowance, as the extraction counts it);
- ``documentation`` (facts mode: draft mode's rationale model does not read the case summary): one
  sentence added to the end of the case summary, documenting what the guideline asks for (functional
  improvement from earlier sessions, an objective finding of the item's body part, failed conservative
  care, a completed trial), worded by the catalogue per treatment category; a row naming a guideline
  ``condition`` gives way to the knowledge base when the item's guideline reading sets that condition (its
  condition edit, below, says the same thing in the guideline's words: one edit, not two that disagree);
- ``condition`` (facts mode, as documentation): for each condition the guideline sets for the request that the
  case summary does not document (the item's ``recommendation``, :mod:`nlp_pipeline.facts.recommendations`; a
  condition the guideline words against the request left out), one sentence added to the end of the case summary
  stating it met, worded from the knowledge base's ``document`` for that condition ("The records document
  objective functional improvement from the earlier course."), which the condition reader reads as documented;
- ``remove_sentence`` (draft mode): each case sentence of the rationale left out in turn, its verdict
  sentences never, so a reviewer sees which sentences the reasoning hinges on.

In facts mode the edits move the facts model's P(Overturned); in draft mode they move the verdict-free
rationale model's (``p_rationale``): an edit never touches the stated decision or the verdict, so the
verdict, where the rationale states one, stays what decides. Each single edit is scored, then every pair
of the most effective ones (the three most effective that move it toward the other outcome, and beside them the
most effective condition edit); ``smallest_flip`` is the smallest edit whose reading crosses the model's cut, or
None when none in the catalogue does. Smallest: fewest edits; then the kind in catalogue order (the
request's own amount, then added documentation, then a guideline condition documented, then left-out reasoning);
then the least change within the kind (the fewest units taken off the request; the fewest characters).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

from nlp_pipeline.explain.reasons import short_quote
from nlp_pipeline.facts.derive import requested_entity
from nlp_pipeline.facts.recommendations import conditions, entry_by_id
from nlp_pipeline.extraction.pipeline import letter_regions
from nlp_pipeline.letter.parse import parse_letter
from nlp_pipeline.types import (
    Edit,
    Letter,
    Prediction,
    WhatIf,
    WhatIfPair,
    WhatIfReport,
)

if TYPE_CHECKING:
    from nlp_pipeline.types import Treatment
    from nlp_pipeline.predict.outcome import OutcomeModel

TOP_FOR_PAIRS = 3  # pairs are formed from this many of the most effective single edits (those that move it),
# the condition edits apart: the most effective of them is paired with those
SENTENCE_SHOWN = 90  # a left-out sentence is quoted in its edit's label up to this many characters


@lru_cache(maxsize=1)
def catalogue() -> tuple[dict[str, Any], ...]:
    """The rows of ``data/what_if.jsonl``."""
    text = resources.files("nlp_pipeline").joinpath("data/what_if.jsonl").read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


class Candidate(NamedTuple):
    """A catalogue edit that applies to an item, before it is read: ``magnitude`` is how much it changes
    (units taken off the request for an amount, characters for a text edit)."""

    kind: str
    change: str
    edit: Edit
    magnitude: int
    condition: str | None = None  # a condition edit: the guideline condition it documents


def candidate_edits(letter: Letter, item_index: int, facts, mode: str) -> list[Candidate]:
    """Every catalogue edit that applies to one item."""
    item = letter.items[item_index]
    item_facts = facts.items[item_index]
    out: list[Candidate] = []
    for row in catalogue():
        if row.get("mode", mode) != mode:  # a row for one mode only
            continue
        if row["kind"] == "amount":
            out.extend(_amount_edits(row, letter, item, item_facts, facts))
        elif row["kind"] == "documentation":
            edit = _documentation_edit(row, letter, item_facts)
            if edit is not None:
                out.append(edit)
        elif row["kind"] == "condition":
            out.extend(_condition_edits(row, letter, item_facts))
        elif row["kind"] == "remove_sentence":
            for sentence in item_facts.sentences:
                if sentence.value["role"] == "case" and not item_facts.in_verdict(sentence.start):
                    shown = short_quote(sentence.text, SENTENCE_SHOWN)
                    edit = Edit(sentence.start, sentence.end, "")
                    out.append(Candidate("remove_sentence", row["change"].format(sentence=shown), edit, edit.size))
    unique: dict[tuple[int, int, str], Candidate] = {}
    for candidate in out:
        unique.setdefault((candidate.edit.start, candidate.edit.end, candidate.edit.replacement), candidate)
    return list(unique.values())


def _amount_edits(row, letter: Letter, item, item_facts, facts) -> list[Candidate]:
    allowance = item_facts.allowance
    if allowance is None or allowance.status != "above" or not allowance.allowed:
        return []
    heading = [e for e in item_facts.entities if e.region == "heading"]
    category = item_facts.treatment.category if item_facts.treatment else None
    entity = requested_entity(item, heading, list(facts.summary_entities), category)
    if entity is None:
        return []
    low, high = allowance.allowed
    bound = high if row["bound"] == "upper" else low
    amount = max(1, bound - (allowance.earlier or 0))
    if amount >= allowance.requested:
        return []
    unit = (entity.value or {}).get("unit") or "visits"
    change = row["change"].format(amount=amount, unit=unit, requested=" ".join(entity.text.split()),
                                  allowed=f"{low}-{high}" if low != high else str(high),
                                  citation=allowance.citation or "the guideline")
    return [Candidate("amount", change, Edit(entity.start, entity.end, f"{amount} {unit}"),
                      allowance.requested - amount)]


def _documentation_edit(row, letter: Letter, item_facts) -> Candidate | None:
    if letter.summary is None:
        return None
    treatment = item_facts.treatment
    if treatment is None or treatment.category not in row["categories"]:
        return None
    reading = item_facts.recommendation
    if row.get("condition") and reading is not None and any(c.name == row["condition"] for c in reading.conditions):
        return None  # the guideline sets this condition for the request: its own condition edit words it
    words = {"treatment": _treatment_words(treatment)}
    earlier = item_facts.allowance.earlier if item_facts.allowance else 0
    if row.get("when") == "earlier_sessions" and not (item_facts.prior or earlier):
        return None
    if row.get("when") == "body_part":
        part = next((e for e in item_facts.entities if e.region == "heading" and e.label == "BODY_PART"), None)
        if part is None:
            return None
        words["body_part"] = " ".join(part.text.lower().split())
    sentence = row["sentence"].format(**words)
    end = letter.summary.end
    edit = Edit(end, end, " " + sentence)
    return Candidate("documentation", row["change"].format(**words), edit, edit.size)


def _condition_edits(row, letter: Letter, item_facts) -> list[Candidate]:
    """One edit per condition of the item's guideline reading that the case summary does not document: a sentence
    stating it met (:func:`condition_sentence`) added to the end of the summary."""
    reading = item_facts.recommendation
    if letter.summary is None or reading is None:
        return []
    against = set(entry_by_id(reading.entry).against)
    end, out = letter.summary.end, []
    for state in reading.conditions:
        if state.state == "documented" or state.name in against:
            continue
        sentence = condition_sentence(state.name, row)
        if sentence is None:
            continue
        edit = Edit(end, end, " " + sentence)
        out.append(Candidate("condition", row["change"].format(document=conditions()[state.name].document), edit,
                             edit.size, state.name))
    return out


def condition_sentence(name: str, row: dict[str, Any] | None = None) -> str | None:
    """The sentence a condition edit adds to the case summary: the catalogue's ``condition`` row worded with the
    knowledge base's ``document`` for condition ``name`` ("The records document objective functional improvement
    from the earlier course."); None when the knowledge base gives the condition no such wording."""
    row = row or next(r for r in catalogue() if r["kind"] == "condition")
    document = conditions()[name].document
    return row["sentence"].format(document=document) if document else None


def _treatment_words(treatment: Treatment) -> str:
    name = treatment.name or treatment.category or "the treatment"
    return name if name.isupper() else name.lower()


def overlapping(edits: list[Edit]) -> bool:
    """Whether two of ``edits`` touch the same text (or insert at the same place)."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    return any(a.end > b.start or a.start == b.start for a, b in itertools.pairwise(ordered))


def apply_all(text: str, edits: list[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` made (right to left, so offsets stay valid)."""
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = edit.apply(text)
    return text


class _Reader:
    """Re-reads edited versions of one letter for one item at a time. Regions whose text an edit leaves alone are
    not processed again (the pipeline reads each region on its own, so their results are the same by
    construction), and an edit that leaves every other item's parts as they were re-derives only the edited item's
    facts (:func:`~nlp_pipeline.facts.extract.extract_item`), so an edit costs the same however many items the
    letter has."""

    def __init__(self, model: OutcomeModel, letter: Letter, docs: dict | None = None):
        from nlp_pipeline.facts.extract import extract_letter

        self.model = model
        self.letter = letter
        self.docs: dict = {} if docs is None else docs
        self.facts = extract_letter(letter, docs=self.docs)
        self._others: dict[int, list] = {}  # item index → the other items' parts in the letter as it stands

    def probability(self, text: str, item_index: int) -> tuple[float, Prediction] | None:
        from nlp_pipeline.facts.extract import extract_item

        edited = parse_letter(text, source=self.letter.source, normalized=True)
        if len(edited.items) != len(self.letter.items):
            return None
        if edited.items[item_index].stated_decision != self.letter.items[item_index].stated_decision:
            return None
        if item_index not in self._others:
            self._others[item_index] = _other_parts(self.letter, item_index)
        # every other item's parts as they were: only this item's facts (and the summary's) are read again
        facts = (extract_item(edited, item_index, self.facts, docs=self.docs)
                 if _other_parts(edited, item_index) == self._others[item_index] else None)
        prediction = self.model.predict_letter(edited, docs=self.docs, items=[item_index], facts=facts)[0]
        return _read(prediction), prediction


def _other_parts(letter: Letter, item_index: int) -> list[tuple[str, int, str]]:
    """The parts of every item but ``item_index`` (region, item, text), as the pipeline reads them."""
    return [(region, index, span.text) for region, index, span in letter_regions(letter)
            if index is not None and index != item_index]


def _read(prediction: Prediction) -> float:
    return prediction.p_overturned if prediction.mode == "facts" else float(prediction.p_rationale)


def what_if(model: OutcomeModel, letter: Letter, predictions: list[Prediction],
            docs: dict | None = None) -> list[WhatIfReport]:
    """One report per prediction (item) of ``letter``; ``docs``: the parts the predictions were read from
    (``model.predict_letter(letter, docs=docs)``), which are then not processed again."""
    reader = _Reader(model, letter, docs)
    return [_report(reader, prediction, candidate_edits(letter, prediction.item_index, reader.facts, model.mode))
            for prediction in predictions]


def _report(reader: _Reader, prediction: Prediction, candidates: list[Candidate]) -> WhatIfReport:
    """Every candidate read, sorted toward the other outcome; then the pairs of the most effective."""
    base, threshold, index = _read(prediction), prediction.threshold, prediction.item_index
    overturned = base >= threshold
    toward = -1.0 if overturned else 1.0  # the other outcome's direction

    def scored(edits: list[Edit]) -> tuple[float, float, bool] | None:
        read = reader.probability(apply_all(reader.letter.text, edits), index)
        if read is None or _verdict_changed(read[1], prediction):
            return None
        p = read[0]
        return round(p, 6), round(p - base, 6), (p >= threshold) != overturned

    singles = []
    for candidate in candidates:
        result = scored([candidate.edit])
        if result is not None:
            singles.append((WhatIf(candidate.kind, candidate.change, candidate.edit, *result, candidate.condition),
                            _cost(candidate)))
    singles.sort(key=lambda pair: (-toward * pair[0].delta, pair[1]))
    edits, costs = [entry for entry, _ in singles], [cost for _, cost in singles]
    helpful = [i for i, w in enumerate(edits) if toward * w.delta > 0]
    # the most effective of the other kinds, and the most effective condition edit beside them (never in their place:
    # a condition edit that moves a little more alone must not push out an edit that flips it in a pair)
    helpful = sorted([i for i in helpful if edits[i].kind != "condition"][:TOP_FOR_PAIRS]
                     + [i for i in helpful if edits[i].kind == "condition"][:1])
    pairs = []
    for i, j in itertools.combinations(helpful, 2):
        result = None if overlapping([edits[i].edit, edits[j].edit]) else scored([edits[i].edit, edits[j].edit])
        if result is not None:
            pairs.append(WhatIfPair((i, j), *result))
    return WhatIfReport("facts" if prediction.mode == "facts" else "rationale", round(base, 6), threshold,
                        tuple(edits), tuple(pairs), _smallest_flip(edits, costs, pairs))


def _verdict_changed(edited: Prediction, original: Prediction) -> bool:
    """An edit must leave the verdict's reading as it was (draft mode); one that does not is not offered."""
    def reading(p: Prediction) -> tuple[str | None, str | None]:
        return (p.verdict.value, p.verdict.kind) if p.verdict is not None else (None, None)

    return original.mode != "facts" and reading(edited) != reading(original)


@lru_cache(maxsize=1)
def _kind_order() -> dict[str, int]:
    """Each edit kind's place in the catalogue (the order "smallest" ranks kinds by)."""
    return {kind: place for place, kind in enumerate(dict.fromkeys(row["kind"] for row in catalogue()))}


def _cost(candidate: Candidate) -> tuple[int, int]:
    """How big an edit is, for "smallest": its kind's place in the catalogue, then its magnitude."""
    return _kind_order()[candidate.kind], candidate.magnitude


def _smallest_flip(singles: list[WhatIf], costs: list[tuple[int, int]],
                   pairs: list[WhatIfPair]) -> int | tuple[int, int] | None:
    flipping = [(costs[i], i) for i, w in enumerate(singles) if w.flips]
    if flipping:
        return min(flipping)[1]
    flipping_pairs = [(sorted((costs[p.edits[0]], costs[p.edits[1]]), reverse=True), p.edits) for p in pairs if p.flips]
    return min(flipping_pairs)[1] if flipping_pairs else None


def with_what_if(model: OutcomeModel, letter: Letter, predictions: list[Prediction],
                 docs: dict | None = None) -> list[Prediction]:
    """The predictions with their what-if fields filled in (``docs``: see :func:`what_if`)."""
    return [replace(p, what_if=r.edits, what_if_pairs=r.pairs, smallest_flip=r.smallest_flip, what_if_reads=r.reads)
            for p, r in zip(predictions, what_if(model, letter, predictions, docs))]


def edit_label(entry: WhatIf) -> str:
    """A short name for the catalogue row an edit came from ("amount: upper", "documentation:
    functional_improvement", "condition: time_limited_trial", "remove_sentence"), for counting edits across
    letters."""
    for row in catalogue():
        if row["kind"] == entry.kind and entry.change.startswith(row["change"].split("{")[0]):
            detail = row.get("bound") or row.get("need") or entry.condition
            if row["kind"] == "amount" and f"{detail} end" not in entry.change:
                continue
            return f"{row['kind']}: {detail}" if detail else row["kind"]
    return entry.kind
