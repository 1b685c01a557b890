"""``imr_assertions``: affirmed / negated / possible for treatments, findings and cues, scoped to the clause.

A trigger before a target ("no documentation of", "may") reaches forward to the target unless a
terminator ("with", "but", "however", ...) or a clause break (. ; :) stands between them; a trigger
after a target ("was not documented") reaches back the same way. So "no documentation of functional
improvement with prior physical therapy" negates the improvement and leaves the therapy affirmed.
"""
from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp_pipeline.extraction.components._spans import group
from nlp_pipeline.extraction.extensions import REPORTED_KEYS, TRIGGERS_KEY

_TARGET_LABELS = {"TREATMENT", "BODY_PART", "DIAGNOSIS", "FINDING", "CUE"}  # a verdict reads its own negation
_CLAUSE_BREAKS = {".", ";", ":", "?", "!"}
_SCOPED = {"NEGATED_BEFORE", "POSSIBLE_BEFORE", "NEGATED_AFTER"}  # the triggers that reach a target


@dataclass(frozen=True)
class _Triggers:
    """A doc's trigger spans, read once: the scoped ones (kind, start, end) and the terminators (start, end)."""

    scoped: tuple[tuple[str, int, int], ...]
    terminators: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, spans) -> _Triggers:
        read = [(span.label_, span.start, span.end) for span in spans]
        return cls(tuple(t for t in read if t[0] in _SCOPED),
                   tuple((start, end) for kind, start, end in read if kind == "TERMINATOR"))


@Language.factory("imr_assertions", default_config={"window": 6}, requires=["doc.spans"],
                  assigns=["span._.imr_assertion"])
def make_assertions(nlp: Language, name: str, window: int) -> AssertionTagger:
    """Create the component; ``window`` is how many tokens a trigger reaches."""
    return AssertionTagger(window)


class AssertionTagger:
    """Sets ``span._.imr_assertion`` on every target span."""

    def __init__(self, window: int):
        self.window = window

    def __call__(self, doc: Doc) -> Doc:
        triggers = _Triggers.of(group(doc, TRIGGERS_KEY))
        for key in REPORTED_KEYS:
            for span in group(doc, key):
                if span.label_ in _TARGET_LABELS:
                    span._.imr_assertion = self.assertion(doc, span, triggers)
        return doc

    def assertion(self, doc: Doc, target: Span, triggers: _Triggers) -> str:
        """The assertion of one target given the doc's trigger spans."""
        best: tuple[int, str] | None = None
        for kind, start, end in triggers.scoped:
            if kind in ("NEGATED_BEFORE", "POSSIBLE_BEFORE") and end <= target.start:
                gap = (end, target.start)
            elif kind == "NEGATED_AFTER" and start >= target.end:
                gap = (target.end, start)
            else:
                continue
            distance = gap[1] - gap[0]
            if distance > self.window or not self._open(doc, triggers, *gap):
                continue
            if best is None or distance < best[0]:
                best = (distance, "possible" if kind == "POSSIBLE_BEFORE" else "negated")
        return best[1] if best else "affirmed"

    @staticmethod
    def _open(doc: Doc, triggers: _Triggers, start: int, end: int) -> bool:
        """True when no clause break or terminator lies in tokens ``start:end``."""
        if any(doc[i].text in _CLAUSE_BREAKS for i in range(start, end)):
            return False
        return not any(start <= t_start and t_end <= end for t_start, t_end in triggers.terminators)
