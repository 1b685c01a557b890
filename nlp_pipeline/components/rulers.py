"""``imr_rulers``: every pattern file's matches, in one pass over the doc, written to their span groups.

Five span groups are filled from rule data (``patterns/*.jsonl``): entities, cues, findings, assertion
triggers and stance markers. Five of spaCy's ``span_ruler`` did it before, each with its own matchers, and a
token ``Matcher`` walks every token of the doc whatever its patterns: five walks per doc were about a third
of the extraction's time. Here one :class:`~nlp_pipeline.components._matching.PatternMatcher` holds every
group's patterns; each match carries its group, and each group is written exactly as a ``span_ruler``
writes it (deduplicated, sorted; where overlaps are not kept, the first longest spans win).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from nlp_pipeline.components._matching import PatternMatcher


@Language.factory("imr_rulers", requires=[], assigns=["doc.spans"])
def make_rulers(nlp: Language, name: str) -> Rulers:
    """Create the component (empty: :meth:`Rulers.add` gives each span group its patterns)."""
    return Rulers(nlp)


@dataclass(frozen=True)
class _Target:
    key: str
    label: str
    id: str


class Rulers:
    """Span-ruler patterns of several span groups, matched together."""

    def __init__(self, nlp: Language):
        self.matcher = PatternMatcher(nlp.vocab, nlp.make_doc)
        self.targets: dict[int, _Target] = {}
        self.keep_overlaps: dict[str, bool] = {}

    def add(self, key: str, patterns: list[dict[str, Any]], keep_overlaps: bool = False) -> None:
        """Add span-ruler patterns (``{"label", "pattern", "id"}``; a pattern is a phrase or a token list) whose
        matches go to span group ``key``; without ``keep_overlaps`` the group keeps the first longest spans."""
        self.keep_overlaps[key] = keep_overlaps
        for row in patterns:
            target = _Target(key, row["label"], row.get("id", ""))
            self.targets[self.matcher.add(repr((target.key, target.label, target.id)), [row["pattern"]])] = target

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, set[Span]] = {key: set() for key in self.keep_overlaps}
        for match_id, start, end in self.matcher(doc):
            if start != end:
                target = self.targets[match_id]
                found[target.key].add(Span(doc, start, end, label=target.label, span_id=target.id))
        for key, spans in found.items():
            ordered = sorted(spans)
            doc.spans[key] = ordered if self.keep_overlaps[key] else filter_spans(ordered)
        return doc
