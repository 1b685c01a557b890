"""``imr_rulers``: every pattern file's matches, in one pass over the doc, written to their span groups.

Five span groups are filled from rule data (``patterns/*.jsonl``): entities, cues, findings, assertion
triggers and stance markers. Five of spaCy's ``span_ruler`` did it before, each with its own matchers, and a
token ``Matcher`` walks every token of the doc whatever its patterns: five walks per doc were about a third
of the extraction's time. Here one :class:`~nlp_pipeline.extraction.components._matching.PatternMatcher` holds every
group's patterns; each match carries its group, and each group is written exactly as a ``span_ruler``
writes it (deduplicated, sorted; where overlaps are not kept, the first longest spans win).

As spaCy's own rulers do, the component starts empty; ``initialize`` gives it the package's rule data (or the
groups it is given) and ``to_disk`` / ``from_disk`` save and load the patterns with the pipeline, so
``spacy.load`` of a saved pipeline matches what the package's pipeline matches.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path, filter_spans

from nlp_pipeline.extraction.components._matching import PatternMatcher
from nlp_pipeline.extraction.extensions import CUES_KEY, FINDINGS_KEY, SPANS_KEY, STANCE_KEY, TRIGGERS_KEY
from nlp_pipeline.extraction.negation import AFTER_KINDS, FINDING_KINDS, trigger_patterns
from nlp_pipeline.extraction.rules import pattern_rows

# span group → the pattern files it is filled from; the negation words join the triggers and the stance words
# from the one vocabulary (nlp_pipeline.extraction.negation)
RULES = {
    SPANS_KEY: ("treatments", "guidelines", "anatomy"),
    CUES_KEY: ("cues",),
    FINDINGS_KEY: ("findings",),
    TRIGGERS_KEY: ("assertion_triggers", "roles"),
    STANCE_KEY: ("stance",),
}
# span groups that keep overlapping matches (the components resolve them); the others keep the first longest
OVERLAPPING = {TRIGGERS_KEY, STANCE_KEY}
PATTERNS_FILE = "groups.jsonl"


def default_groups() -> dict[str, dict[str, Any]]:
    """The package's rule data as span groups: ``{key: {"patterns": [...], "keep_overlaps": bool}}``."""
    negations = {
        TRIGGERS_KEY: trigger_patterns("NEGATED_BEFORE", FINDING_KINDS) + trigger_patterns("NEGATED_AFTER", AFTER_KINDS),
        STANCE_KEY: trigger_patterns("STANCE_AGAINST"),
    }
    return {key: {"patterns": [row for name in files for row in pattern_rows(name)] + negations.get(key, []),
                  "keep_overlaps": key in OVERLAPPING}
            for key, files in RULES.items()}


@Language.factory("imr_rulers", requires=[], assigns=["doc.spans"])
def make_rulers(nlp: Language, name: str) -> Rulers:
    """Create the component (empty: ``initialize`` or ``from_disk`` gives each span group its patterns)."""
    return Rulers(nlp)


@dataclass(frozen=True)
class _Target:
    key: str
    label: str
    id: str


class Rulers:
    """Span-ruler patterns of several span groups, matched together."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.clear()

    def clear(self) -> None:
        """Forget every pattern."""
        self.matcher = PatternMatcher(self.nlp.vocab, self.nlp.make_doc)
        self.targets: dict[int, _Target] = {}
        self.keep_overlaps: dict[str, bool] = {}
        self.groups: dict[str, dict[str, Any]] = {}

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None,
                   groups: dict[str, dict[str, Any]] | None = None) -> None:
        """Load the span groups' patterns: ``groups`` (``{key: {"patterns", "keep_overlaps"}}``) or, by default,
        the package's rule data (:func:`default_groups`)."""
        self.clear()
        for key, group in (groups if groups is not None else default_groups()).items():
            self.add(key, group["patterns"], group.get("keep_overlaps", False))

    def add(self, key: str, patterns: list[dict[str, Any]], keep_overlaps: bool = False) -> None:
        """Add span-ruler patterns (``{"label", "pattern", "id"}``; a pattern is a phrase or a token list) whose
        matches go to span group ``key``; without ``keep_overlaps`` the group keeps the first longest spans."""
        self.keep_overlaps[key] = keep_overlaps
        group = self.groups.setdefault(key, {"patterns": [], "keep_overlaps": keep_overlaps})
        group["patterns"].extend(patterns)
        group["keep_overlaps"] = keep_overlaps
        for row in patterns:
            target = _Target(key, row["label"], row.get("id", ""))
            self.targets[self.matcher.add(repr((target.key, target.label, target.id)), [row["pattern"]])] = target

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write every span group's patterns to ``path/groups.jsonl``."""
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / PATTERNS_FILE, [{"key": key, **group} for key, group in self.groups.items()])

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Rulers:
        """Read the patterns :meth:`to_disk` wrote."""
        rows = srsly.read_jsonl(ensure_path(path) / PATTERNS_FILE)
        self.initialize(groups={row.pop("key"): row for row in rows})
        return self

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
