"""Letters → labelled feature rows, shared by training, evaluation and the notebooks."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from nlp_pipeline.modes import mode_of
from nlp_pipeline.model.features import ItemFeatures, item_features
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.types import Letter, LetterFacts, Outcome

LABELS = {outcome.value: outcome.label for outcome in Outcome}


@dataclass(frozen=True)
class Example:
    """One item as a model sees it, with where it came from."""

    features: ItemFeatures
    label: int | None  # 1 Overturned, 0 Upheld, None when the letter states no decision
    group: str  # the letter: items of one letter never straddle a train/test split
    source: str | None
    item_index: int
    title: str
    treatment: str | None
    verdict: str = "none"  # what imr_verdict reads in the item's rationale: necessary / not_necessary / none


@dataclass(frozen=True)
class ParsedLetter:
    """A letter and its extracted facts."""

    letter: Letter
    facts: LetterFacts

    @classmethod
    def of(cls, letter: Letter) -> "ParsedLetter":
        """Run the extraction pipeline on a letter."""
        return cls(letter, extract_letter(letter))


def letter_fingerprint(letter: Letter) -> str:
    """A short SHA-256 of the letter's text: recognizes a training letter however the file is named."""
    return hashlib.sha256(letter.text.encode("utf-8")).hexdigest()[:16]


def letter_group(letter: Letter) -> str:
    """The key that keeps a letter's items together in cross-validation."""
    return letter.case_number or letter.source or str(id(letter))


def letter_examples(parsed: ParsedLetter, mode: str) -> list[Example]:
    """One example per item (its features leave the verdict sentences out; the verdict rides along)."""
    letter, facts = parsed.letter, parsed.facts
    group = letter_group(letter)
    out = []
    for item in letter.items:
        item_facts = facts.items[item.index]
        treatment = item_facts.treatment.category if item_facts.treatment else None
        verdict = item_facts.verdict.value if mode_of(mode).reads_verdict else "none"
        out.append(Example(item_features(letter, item, facts, mode), LABELS.get(item.stated_decision or ""), group,
                           letter.source, item.index, item.title, treatment, verdict))
    return out
