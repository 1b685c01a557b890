"""Rule patterns to matches, cheaply: the one place token patterns are compiled for the components.

spaCy's token ``Matcher`` walks every token of a doc as a Python object on each call and evaluates every
``IN`` set as a Python predicate per token, whatever its patterns: a handful of small patterns cost as much
as the rest of a component. A :class:`PatternMatcher` gives the same matches for less:

- a phrase (a string) goes to a ``PhraseMatcher`` on ``LOWER``, as spaCy's ``span_ruler`` puts it;
- a token pattern that only lists exact words of one attribute (``ORTH`` or ``LOWER`` values, ``IN`` sets,
  ``"OP": "?"``) is spelled out into the word sequences it matches (:func:`spelled_out`), which a
  ``PhraseMatcher`` on that attribute finds exactly as the ``Matcher`` would;
- every other pattern, and every pattern of a key matched with ``greedy`` (whose filter must see all of
  the key's matches), goes to one ``Matcher``, its ``IN`` / ``NOT_IN`` word sets turned into lexeme flags
  (``Vocab.add_flag``: the set's test runs once per word of the vocabulary, and the ``Matcher`` reads the
  flag in C instead of calling a Python predicate per token). It runs only on a doc (or span) where one of
  its patterns finds every word it cannot match without (the words of its tokens that are neither optional
  nor wildcards); a pattern without such words lets every doc through.

Matches are ``(match id, start, end)`` with doc token offsets, for a ``Doc`` or a ``Span`` alike.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from spacy.attrs import FLAG19, FLAG63, LOWER, ORTH
from spacy.errors import MatchPatternError
from spacy.matcher import Matcher, PhraseMatcher
from spacy.schemas import validate_token_pattern
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

WORD_ATTRS = {"LOWER": LOWER, "ORTH": ORTH}
_MAX_SPELLED = 2000  # a token pattern spelling out to more word sequences than this stays a token pattern


class PatternMatcher:
    """A ``Matcher`` and ``PhraseMatcher``s behind one ``add`` / ``__call__``, giving what the ``Matcher``
    would give for the same patterns (phrases matched on ``LOWER``), in no particular order."""

    def __init__(self, vocab: Vocab, make_doc: Callable[[str], Doc] | None = None, validate: bool = False):
        self.vocab = vocab
        self.make_doc = make_doc
        self.validate = validate
        self.phrases = {attr: PhraseMatcher(vocab, attr=attr) for attr in WORD_ATTRS}
        self.tokens = Matcher(vocab, validate=False)  # patterns are validated before their sets become flags
        # per pattern of self.tokens, the word sets (column of _ATTR_ORDER, hashes) it cannot match without;
        # None once a pattern has none
        self.required: list[list[tuple[int, frozenset[int]]]] | None = []

    def add(self, key: str, patterns: list[str | list[dict[str, Any]]], greedy: str | None = None) -> int:
        """Add ``patterns`` under ``key`` (a string); return the key's hash, the match id it is found with."""
        for pattern in patterns:
            if isinstance(pattern, str):
                if self.make_doc is None:
                    raise ValueError("phrase patterns need make_doc")
                self.phrases["LOWER"].add(key, [self.make_doc(pattern)])
                continue
            spelled = spelled_out(pattern) if greedy is None else None
            if spelled is not None:
                attr, sequences = spelled
                self.phrases[attr].add(key, [Doc(self.vocab, words=words) for words in sequences])
            else:
                if self.validate and (errors := validate_token_pattern(pattern)):
                    raise MatchPatternError(key, {0: errors})
                self.tokens.add(key, [[_flagged(self.vocab, token) for token in pattern]], greedy=greedy)
                self._require(pattern)
        return self.vocab.strings.add(key)

    def _require(self, pattern: list[dict[str, Any]]) -> None:
        if self.required is None:
            return
        needs = []
        for token in pattern:
            if token.get("OP") not in (None, "+"):
                continue
            for column, attr in enumerate(_ATTR_ORDER):
                words = _words(token.get(attr))
                if words is not None:
                    needs.append((column, frozenset(self.vocab.strings.add(w) for w in words)))
        self.required = self.required + [needs] if needs else None

    def __call__(self, doclike: Doc | Span) -> list[tuple[int, int, int]]:
        """``(match id, start, end)`` of every match in ``doclike``, in doc token offsets."""
        found = [m for phrases in self.phrases.values() for m in phrases(doclike)]
        if len(self.tokens) and self._may_match(doclike):
            offset = doclike.start if isinstance(doclike, Span) else 0  # the Matcher counts from the span's start
            found.extend((match_id, start + offset, end + offset) for match_id, start, end in self.tokens(doclike))
        return found

    def _may_match(self, doclike: Doc | Span) -> bool:
        if self.required is None:
            return True
        present = doclike.to_array([WORD_ATTRS[a] for a in _ATTR_ORDER]).reshape(len(doclike), len(_ATTR_ORDER))
        columns = [set(present[:, column].tolist()) for column in range(len(_ATTR_ORDER))]
        return any(all(not words.isdisjoint(columns[column]) for column, words in needs) for needs in self.required)


_ATTR_ORDER = tuple(WORD_ATTRS)
_FLAG_IDS = range(FLAG19, FLAG63 + 1)  # spaCy's free lexeme flag slots
_FLAGS: dict[int, tuple[Vocab, dict[tuple[str, frozenset[str]], int]]] = {}  # id(vocab) → (vocab, set → flag)


def _flagged(vocab: Vocab, token: dict[str, Any]) -> dict[Any, Any]:
    """A pattern token with its ``IN`` / ``NOT_IN`` word sets on ``LOWER`` or ``ORTH`` read from lexeme flags;
    a set stays a predicate once the vocabulary's flag slots are used up."""
    out: dict[Any, Any] = {}
    for attr, value in token.items():
        test = next(iter(value), None) if isinstance(value, dict) and len(value) == 1 else None
        words = value[test] if test in ("IN", "NOT_IN") else None
        flag = _flag(vocab, attr, words) if attr in WORD_ATTRS and isinstance(words, list) else None
        if flag is None:
            out[attr] = value
        else:
            out[flag] = test == "IN"
    return out


def _flag(vocab: Vocab, attr: str, words: list[str]) -> int | None:
    """The lexeme flag that is set on exactly the words whose ``attr`` is in ``words`` (one per set and
    vocabulary), or None when no slot is left."""
    _, flags = _FLAGS.setdefault(id(vocab), (vocab, {}))
    key = (attr, frozenset(words))
    if key not in flags:
        free = [f for f in _FLAG_IDS if f not in vocab.lex_attr_getters]
        if not free:
            return None
        members = key[1]
        getter = (lambda string: string.lower() in members) if attr == "LOWER" else (lambda string: string in members)
        flags[key] = vocab.add_flag(getter, flag_id=free[0])
    return flags[key]


def _words(value: Any) -> list[str] | None:
    """The words a token's attribute value admits (a string or an ``IN`` list), or None for any other test."""
    if isinstance(value, dict) and set(value) == {"IN"}:
        value = value["IN"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(w, str) for w in value):
        return value
    return None


def spelled_out(pattern: list[dict[str, Any]]) -> tuple[str, list[list[str]]] | None:
    """The word sequences a token pattern matches, with the attribute they are compared on, when the pattern
    only lists exact words of one attribute (values, ``IN`` sets, optional tokens); None otherwise.

    ``[{"LOWER": {"IN": ["was", "were"]}}, {"LOWER": "not", "OP": "?"}, {"LOWER": "provided"}]`` →
    ``("LOWER", [["was", "not", "provided"], ["was", "provided"], ["were", "not", "provided"], ...])``.
    """
    attrs = {key for token in pattern for key in token if key != "OP"}
    if len(attrs) != 1 or not attrs <= set(WORD_ATTRS):
        return None
    (attr,) = attrs
    choices: list[list[str | None]] = []
    for token in pattern:
        words, op = _words(token.get(attr)), token.get("OP")
        if op not in (None, "?") or not words or not all(words):
            return None
        if attr == "LOWER" and any(w != w.lower() for w in words):
            return None  # a LOWER value with capitals never matches; leave such a pattern as it is
        choices.append([*words, *([None] if op == "?" else [])])
    count = 1
    for options in choices:
        count *= len(options)
    if count > _MAX_SPELLED:
        return None
    sequences = (tuple(w for w in combo if w is not None) for combo in itertools.product(*choices))
    return attr, [list(words) for words in dict.fromkeys(s for s in sequences if s)]
