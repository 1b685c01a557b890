"""Counts and drug amounts in free text, with normalized values.

``find_quantities(text)`` returns non-overlapping matches in text order; each value is a plain dict:

- visits: ``{"kind": "visits", "min": 6, "max": 10, "per_week": [3, 3], "weeks": [5, 6], "unit": "visits"}``
  (``min == max`` for a single number; ``per_week`` / ``weeks`` only when stated);
- drug: ``{"kind": "drug", "strength": "10/325", "strength_unit": "mg", "quantity": 60}`` (a combination
  strength may come without its unit: "Norco 10/325 #90"), or with a dosage form instead of a strength
  ``{"kind": "drug", "quantity": 60, "form": "grams"}`` ("#60 grams", "Terocin patches #30").

These functions never raise on arbitrary text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ONES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORDS = {**_ONES, **_TEENS, **_TENS, "once": 1, "twice": 2, "single": 1}


def _alternatives(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


# a number in words: "six", "fourteen", "twenty-four", "thirty six"; a number word may carry its figure after it,
# as legal writing does ("six (6)", "twenty-four (24)"): the words are read, the figure is part of the number
_WORD_NUM = (rf"(?:(?:{_alternatives(_TENS)})(?:[- ](?:{_alternatives(_ONES)}))?|{_alternatives(_TEENS)}|"
             rf"{_alternatives(_ONES)})\b(?:\s*\(\d{{1,3}}\))?")
_NUM = rf"(?:\d{{1,3}}(?!\d|/\d)|{_WORD_NUM})"
NUMBER = _NUM  # a number as the count patterns read it, in figures or words, for patterns elsewhere
_RANGE = rf"{_NUM}(?:\s*(?:-|to|–)\s*{_NUM})?"
_UNIT = r"(?:(?:[a-z]+ed|additional|more|further|physical\s+therapy|PT|acupuncture|chiropractic|psychotherapy|" \
        r"psychology|CBT|therapy|treatment|follow-up|manual|infrared|elect|electro|electrical|aquatic|" \
        r"postoperative|post-operative|post-op)\s+){0,2}" \
        r"(?P<unit>sessions?|visits?|treatments?|appointments?|office\s+visits?|injections?|units?|(?:round[- ])?trips?)"
_PER_WEEK = r"(?:x|times?|visits?|sessions?)\s*(?:(?:a|per|/|each|every)?\s*(?:week|wk)\b|weekly)"
_FREQ = rf"(?:(?P<f>{_RANGE})\s*{_PER_WEEK}|(?P<fw>once|twice)\s+(?:(?:a|per)\s+week|weekly))"

# words a pattern cannot match without (the texts it is tried on are searched for them first, a much cheaper
# scan: most parts of a letter never mention weeks); tests/test_properties.py checks every pattern against them
_WEEK = r"w(?:ee)?k"
_UNIT_WORD = r"session|visit|treatment|appointment|injection|unit|trip"
_TIMES_NUMBER = rf"(?:times|x)\s*{_NUM}"
_MORE = r"more|additional|further"
_COUNT_GUARD = rf"{_UNIT_WORD}|{_MORE}"
_PREPOSITION = r"(?:for|to|of|in|and|or|with|at|on|over|per|each|from|by|as|times|x)"
_UNIT_COMMA = rf"(?:{_UNIT_WORD})s?\s*,"  # a unit word and the comma before a count written after it
# what a match's first character must be (each pattern's third field), put before the pattern as a lookahead:
# Python's re then skips ahead to such characters instead of trying the whole pattern at every position (half
# the time or less); a number starts with a digit or a number word's first letter, a unit phrase with a letter;
# None for a pattern that starts with "#", "(" or a rarer word
_FIRST = {"number": "(?=[" + "".join(sorted({w[0] for w in _WORDS})) + r"\d])", "letter": "(?=[a-z])"}
_PATTERNS = [
    # "3 times a week for 2 weeks", "two times a week times six weeks", "2x/week x 6 weeks"
    ("freq_weeks", _WEEK, "number", rf"\b{_FREQ}\s*(?:,\s*)?(?:for|x|times|over)?\s*(?P<w>{_RANGE})\s*(?:weeks?|wks?)\b"
                   rf"(?:\s*\((?P<paren>\d{{1,3}})(?:\s+{_UNIT})?\))?"),
    # "1 time a week for 20 sessions"
    ("freq_count", _WEEK, "number", rf"\b{_FREQ}\s*(?:,\s*)?(?:for|x|times)\s*(?P<n>{_RANGE})\s*{_UNIT}"),
    # "6-10 visits over 5-6 weeks", "24 visits over 16 weeks"
    ("count_weeks", _WEEK, "number", rf"\b(?P<n>{_RANGE})\s*{_UNIT}\s+(?:over|in|for|within)\s+(?:a\s+period\s+of\s+)?"
                    rf"(?P<w>{_RANGE})\s*(?:weeks?|wks?)\b"),
    # "two times four (8)", "2 x 4 visits", "2 x 6 weeks" (so many a week for so many weeks)
    ("times", _TIMES_NUMBER, "number", rf"\b(?P<a>{_NUM})\s*(?:times|x)\s*(?P<b>{_NUM})\b"
              rf"(?:\s*(?:weeks?|wks?)\b|(?!\s*(?:months?|days?|hours?|%|mg)))"
              rf"(?:\s*{_UNIT})?(?:\s*\((?P<paren>\d{{1,3}})\))?"),
    # "six (6) sessions", "12 sessions", "8 additional visits", "3-6 treatments"; the part done or given of a course,
    # "6 of 8 authorized sessions", "four of the twelve visits"; a count whose unit is the one just named, "4
    # sessions were authorized and 8 more were requested" (one pattern: each number of a text is tried once)
    ("count", _COUNT_GUARD, "number", (rf"\b(?P<n>{_RANGE})(?:\s*\(\d{{1,3}}\))?(?:\s*(?:of\s+(?:the\s+)?{_NUM}\s+)?{_UNIT}"
                                       rf"|\s+(?:{_MORE})\b(?=\s+(?:were|was|are|is|have|has|had|will|would|being)\b))")),
    # "x8 visits", "X16 visits", "times 12", "sessions #8", "#6"
    ("marked", None, None, rf"(?:\b(?:x|times)\s*|#\s*)(?P<n>\d{{1,3}})\b(?!\s*(?:weeks?|wks?|months?|days?|hours?|cm|mm|inch|in\b))"
               rf"(?:\s*{_UNIT})?"),
    # the count after the noun: "Physical therapy sessions, 12", "Psychotherapy sessions, six"; a number followed by
    # a word other than a preposition counts that word ("TENS unit, 8 pairs", "sessions, 6 weeks")
    ("count_after", _UNIT_COMMA, "letter", (rf"\b{_UNIT}\s*,\s*(?P<n>{_RANGE})\b"
                                            rf"(?!\s*(?:%|(?!{_PREPOSITION}\b)[a-z]))")),
    # "QTY: 8", "quantity 30", "(quantity: 12)"
    ("qty", None, None, rf"\b(?:qty|quantity)\s*:?\s*(?P<n>\d{{1,3}}|{_WORD_NUM})\b"),
    # "series of 3", "a series of three injections": so many of the requested thing
    ("series", "series", None, rf"\bseries\s+of\s+(?P<n>{_RANGE})\b(?:\s*{_UNIT})?"),
    # a bare "(12)" after a request
    ("paren", None, None, r"\((?P<n>\d{1,3})\)"),
]
_DRUG = re.compile(
    r"(?P<strength>\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?){0,2})\s*(?P<sunit>mg|mcg|gm|g|ml|%)(?![a-z])"
    r"(?P<mid>[^#\n.;]{0,50}?)#\s*(?P<qty>\d{1,4})\b",
    re.IGNORECASE,
)
# an amount dispensed in a dosage form, with no strength before it: "#60 grams", "#1 box", "#30 tablets"
_FORMS = r"grams?|gm|ml|box(?:es)?|tab(?:let)?s?|cap(?:sule)?s?|patch(?:es)?|tubes?|bottles?|containers?|jars?"
_DISPENSED = re.compile(rf"#\s*(?P<qty>\d{{1,4}})\s*(?P<form>{_FORMS})\b", re.IGNORECASE)
# "#90" with what names the drug amount right before it: a combination strength without its unit ("Norco
# 10/325 #90", "Ultracet 37.5/325, #60") or a dosage form ("Terocin patches #30"); found from the rare "#"
_HASH_AMOUNT = re.compile(r"#\s*(?P<qty>\d{1,4})\b(?!\s*(?:sessions?|visits?|treatments?))", re.IGNORECASE)
_BEFORE_AMOUNT = (
    (re.compile(r"(?<![\d/.])(?P<strength>\d{1,4}(?:\.\d+)?/\d{1,3}(?:\.\d+)?)\s*,?\s*$"),
     lambda m: {"strength": m["strength"]}),
    (re.compile(rf"\b(?P<form>{_FORMS}|creams?|gels?|ointments?|lotions?)\s*,?\s*$", re.IGNORECASE),
     lambda m: {"form": m["form"].lower()}),
)
_LOOK_BACK = 30
# a number of dosage units: "30 tablets", "90 count" (a drug amount without "#"; never a weight or volume)
# ("thirty tablets" too); a number followed by its schedule is a dose, not an amount ("1 tablet twice daily")
_DOSE_SCHEDULE = (r"by\s+mouth|po\b|orally|daily|nightly|once|twice|three|four|every|at\s+bedtime|as\s+needed|prn\b|"
                  r"[bt]id\b|qid\b|qhs\b|q\.?\s?\d|a\s+day|per\s+day")
_COUNTED_GUARD = re.compile(r"tab|cap|patch|pill|film|count", re.IGNORECASE)  # the words _COUNTED cannot match without
_COUNTED = re.compile(rf"{_FIRST['number']}\b(?P<qty>\d{{1,4}}|{_WORD_NUM})\s*"
                      rf"(?:tab(?:let)?s?|cap(?:sule)?s?|patch(?:es)?|pills?|films?|count)\b"
                      rf"(?!\s*(?:mg|%|{_DOSE_SCHEDULE}))", re.IGNORECASE)
# what makes "QTY: 60" a drug amount: a strength or a dosage form before it
_DRUG_BEFORE = re.compile(rf"\d\s*(?:mg|mcg|%|ml)(?![a-z])|\b(?:{_FORMS}|creams?|gels?|ointments?|lotions?)\b",
                          re.IGNORECASE)
_COMPILED = [(name, guard and re.compile(guard, re.IGNORECASE),
              re.compile((_FIRST[start] if start else "") + p, re.IGNORECASE))
             for name, guard, start, p in _PATTERNS]


def _ascii_twin(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` compiled with ``re.ASCII``: on a text :func:`reads_as_ascii` accepts it finds exactly what
    ``pattern`` finds, faster."""
    return re.compile(pattern.pattern, (pattern.flags & ~re.UNICODE) | re.ASCII)


_UNICODE_ONLY_SPACE = re.compile("[\x1c-\x1f]")  # the ASCII characters only Unicode's \\s counts as space


def reads_as_ascii(text: str) -> bool:
    """Whether ``re.ASCII`` changes nothing for ``text``: ASCII characters only (the flag changes case folding,
    ``\\b``, ``\\d`` and ``\\w`` for other characters only) and none of the four separators Unicode's ``\\s``
    counts as space. Nearly every letter part is such a text after :func:`nlp_pipeline.io.reading.normalize_text`."""
    return text.isascii() and _UNICODE_ONLY_SPACE.search(text) is None


_ASCII = {pattern: _ascii_twin(pattern)
          for pattern in (_DRUG, _DISPENSED, _HASH_AMOUNT, _COUNTED, _COUNTED_GUARD, _DRUG_BEFORE,
                          *(tail for tail, _ in _BEFORE_AMOUNT), *(p for _, _, p in _COMPILED))}
# a guard read on an ASCII text's lower-case copy, case-sensitively: the same answer as the guard itself there (its
# words are written in lower case), about five times faster
_LOWER = {guard: re.compile(guard.pattern) for _, guard, _ in _COMPILED if guard is not None}


@dataclass(frozen=True)
class Quantity:
    """One count or drug amount found in a text, with character offsets into it."""

    start: int
    end: int
    text: str
    value: dict[str, Any]


_ECHO = re.compile(r"\s*\(\d{1,3}\)\Z")  # the figure a number word may carry ("six (6)")
_SEPARATOR = re.compile(r"\s*(?:-|to|–)\s*")


def number(token: str | None) -> int | None:
    """``"six"`` → 6, ``"12"`` → 12, ``"twenty-four (24)"`` → 24; None when it is not a number."""
    if token is None:
        return None
    token = _ECHO.sub("", token.strip().lower())
    if token.isdigit():
        return int(token)
    if token in _WORDS:
        return _WORDS[token]
    tens, _, ones = token.replace(" ", "-").partition("-")
    return _TENS[tens] + _ONES[ones] if tens in _TENS and ones in _ONES else None


def number_range(text: str | None) -> tuple[int, int] | None:
    """``"6-10"`` → (6, 10), ``"six"`` → (6, 6), ``"twenty-four"`` → (24, 24); None when no number is there."""
    if not text:
        return None
    text = text.strip()
    whole = number(text)
    if whole is not None:
        return (whole, whole)
    for separator in _SEPARATOR.finditer(text):  # the separator with a number on each side ("twenty-four to thirty")
        parts = number(text[:separator.start()]), number(text[separator.end():])
        if None not in parts:
            return (min(parts), max(parts))
    parts = [number(p) for p in _SEPARATOR.split(text, maxsplit=1)]
    parts = [p for p in parts if p is not None]
    return (min(parts), max(parts)) if parts else None


def _unit(match: re.Match) -> str:
    unit = (match.groupdict().get("unit") or "visits").lower().split()[-1]
    return unit if unit.endswith("s") else unit + "s"


def _visits(match: re.Match, name: str) -> dict[str, Any] | None:
    groups = match.groupdict()
    value: dict[str, Any] = {"kind": "visits", "unit": _unit(match)}
    if name in ("freq_weeks", "freq_count"):
        freq = number_range(groups.get("f")) or (number_range(groups.get("fw")) or (None,))
        if groups.get("fw"):
            freq = (number(groups["fw"]),) * 2
        if not freq or freq[0] is None:
            return None
        value["per_week"] = list(freq)
        if name == "freq_weeks":
            weeks = number_range(groups["w"])
            value["weeks"] = list(weeks)
            low, high = freq[0] * weeks[0], freq[1] * weeks[1]
            if groups.get("paren"):
                low = high = int(groups["paren"])
        else:
            low, high = number_range(groups["n"])
    elif name == "count_weeks":
        (low, high), weeks = number_range(groups["n"]), number_range(groups["w"])
        value["weeks"] = list(weeks)
    elif name == "times":
        a, b = number(groups["a"]), number(groups["b"])
        low = high = int(groups["paren"]) if groups.get("paren") else a * b
        value["per_week"] = [a, a]
        value["weeks"] = [b, b]
    else:
        low, high = number_range(groups["n"])
    if not (0 < low <= high <= 400):
        return None
    value["min"], value["max"] = low, high
    return value


def find_quantities(text: str) -> list[Quantity]:
    """All counts and drug amounts in ``text``, longest first where they overlap, in text order."""
    found: list[Quantity] = []

    def free(start: int, end: int) -> bool:
        return all(end <= q.start or start >= q.end for q in found)

    def keep(start: int, end: int, value: dict[str, Any]) -> None:
        found.append(Quantity(start, end, text[start:end], value))

    ascii = reads_as_ascii(text)
    low = text.lower() if ascii else text

    def rx(pattern: re.Pattern) -> re.Pattern:
        return _ASCII[pattern] if ascii else pattern

    def holds(guard: re.Pattern) -> bool:
        return (_LOWER[guard].search(low) if ascii else guard.search(text)) is not None

    hashed = "#" in text  # the drug, dispensed and hash amounts all need one
    for match in rx(_DRUG).finditer(text) if hashed else ():
        keep(*match.span(), {"kind": "drug", "strength": re.sub(r"\s+", "", match["strength"]),
                             "strength_unit": match["sunit"].lower(), "quantity": int(match["qty"])})
    for match in rx(_DISPENSED).finditer(text) if hashed else ():
        if free(*match.span()):
            keep(*match.span(), {"kind": "drug", "quantity": int(match["qty"]), "form": match["form"].lower()})
    for match in rx(_HASH_AMOUNT).finditer(text) if hashed else ():
        window = max(0, match.start() - _LOOK_BACK)
        for tail, described in _BEFORE_AMOUNT:
            before = rx(tail).search(text, window, match.start())
            if before and free(before.start(), match.end()):
                keep(before.start(), match.end(), {"kind": "drug", **described(before), "quantity": int(match["qty"])})
                break
    for match in rx(_COUNTED).finditer(text) if rx(_COUNTED_GUARD).search(text) else ():
        if free(*match.span()) and rx(_DRUG_BEFORE).search(text, 0, match.start()):
            keep(*match.span(), {"kind": "drug", "quantity": number(match["qty"])})
    present: dict[re.Pattern, bool] = {}  # each guard searched for once per text
    for name, guard, pattern in _COMPILED:
        if guard is not None:
            if guard not in present:
                present[guard] = holds(guard)
            if not present[guard]:
                continue
        for match in rx(pattern).finditer(text):
            value = _visits(match, name) if free(*match.span()) else None
            if value is not None and name == "qty" and rx(_DRUG_BEFORE).search(text, 0, match.start()):
                value = {"kind": "drug", "quantity": value["min"]}
            if value is not None:
                keep(*match.span(), value)
    return sorted(found, key=lambda q: q.start)
