"""Normalized letter text to a typed :class:`Letter` with character offsets for every part."""
from __future__ import annotations

import re
from pathlib import Path

from nlp_pipeline.errors import LetterError
from nlp_pipeline.io.reading import check_text_length, decode_letter_bytes, normalize_text, read_letter_text
from nlp_pipeline.io.requests import request_text
from nlp_pipeline.letter.dates import DATE_PATTERN, iso_date
from nlp_pipeline.types import DECISIONS, Item, Letter, ParseWarning, Reviewer, TextSpan

_HEADER_FIELDS = {
    "case_number": r"Case\s+Number:\s*(CM\d{2}-\d{4,8})",
    "date_assigned": rf"Date\s+Assigned:\s*({DATE_PATTERN})",
    "date_of_injury": rf"Date\s+of\s+Injury:\s*({DATE_PATTERN})",
    "decision_date": rf"Decision\s+Date:\s*({DATE_PATTERN})",
    "ur_denial_date": rf"UR\s+Denial\s+Date:\s*({DATE_PATTERN})",
    "application_received": rf"Application\s+Received:\s*({DATE_PATTERN})",
    "priority": r"Priority:\s*([A-Za-z]+)",
}
_SECTIONS = {
    "determination": r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE",
    "summary": r"CLINICAL\s+CASE\s+SUMMARY",
    "issues": r"IMR\s+ISSUES,?\s+DECISIONS\s+AND\s+RATIONALES?",
}
_SUMMARY_PREAMBLE = re.compile(
    r"\s*The\s+expert\s+reviewer\s+developed\s+the\s+following\s+clinical\s+case\s+summary\s+based\s+on\s+"
    r"a\s+review\s+of\s+the\s+case\s+file,\s+including\s+all\s+medical\s+records:\s*",
    re.IGNORECASE,
)
_ISSUES_PREAMBLE = re.compile(
    r"The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions\s+for\s+the\s+disputed\s+items/services\s+"
    r"set\s+forth\s+below:",
    re.IGNORECASE,
)
_CA_MARKER = re.compile(r"^Claims\s+Administrator\s+guideline\s*:", re.MULTILINE | re.IGNORECASE)
_MAXIMUS_MARKER = re.compile(r"^MAXIMUS\s+guideline\s*:", re.MULTILINE | re.IGNORECASE)
_RATIONALE_MARKER = re.compile(r"^Decision\s+rationale\s*:", re.MULTILINE | re.IGNORECASE)
_DECISION_TAIL = re.compile(
    r":\s*(?P<decision>Upheld|Overturned|\[[^\]\n]*\]|TBD|To be determined|Pending|Decision pending|_{2,}|\?+)?\s*\Z",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(r"\A(?P<part>.+?)\s+was\s+the\s+original\s+request\.", re.DOTALL)
_ORIGINAL_ANYWHERE = re.compile(r"was\s+the\s+original\s+request")
_AUTHORIZED = re.compile(
    r"(?:(?<=\.\s)|\A)(?P<part>[^.]+?)\s+was\s+authorized\s+by\s+the\s+Claims\s+Administrator\."
    r"|The\s+Claims\s+Administrator\s+authorized\s+(?P<part2>.+?),\s+leaving\s+the\s+original\s+request",
    re.DOTALL,
)
_REMAINING = re.compile(
    r"(?:remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request|The\s+original\s+request)"
    r"(?:,|\s+is)\s+(?P<part>.+?)(?:\s+is)?\s*:",
    re.DOTALL,
)
_TERMINAL = (".", "!", "?", '"', "\u201d")
_MODIFIED_HINT = re.compile(r"authorized\s+by\s+the\s+Claims|eligible\s+portion|leaving\s+the\s+original", re.I)
_AGE_SEX = re.compile(
    r"\b(\d{2})[- ]year[- ]old\b(?:[^.\n]{0,40}?\b(male|female|man|woman|gentleman|lady)\b)?", re.IGNORECASE
)
_LICENSURE = re.compile(r"State\(s\)\s+of\s+Licensure:\s*(?P<v>[^\n]+)")
_SPECIALTY = re.compile(r"Certification\(s\)/Specialty:\s*(?P<v>[^\n]*?[&,]\n[^\n]+|[^\n]+)")
_BOARD = re.compile(
    r"(?P<kind>physician|expert)\s+reviewer\s+is\s+(?:Board\s+Certified|a\s+[A-Z][\w ]+?)\s+in\s+(?P<spec>.+?)\s+"
    r"and\s+is\s+licensed\s+to\s+practice\s+in\s+(?P<states>.+?)\.",
    re.DOTALL,
)
_REVIEWER_KIND = re.compile(r"case\s+file\s+to\s+an?\s+(physician|expert)\s+reviewer", re.IGNORECASE)


def read_letter(source: str | Path | Letter | dict | bytes, *, suffix: str = ".txt", name: str | None = None
                ) -> Letter:
    """Any input a user gives, as a parsed :class:`Letter`: the one place the kind of input is told apart.

    A Letter is returned as it is; a dict is a before-review request (:mod:`nlp_pipeline.io.requests`); bytes are
    a file's contents (``suffix`` says which kind, ``name`` names it); a :class:`~pathlib.Path`, or a one-line
    string naming a file that exists, is a letter file; any other string is a letter's text, or a request's JSON
    when it opens with ``{``."""
    if isinstance(source, Letter):
        return source
    if isinstance(source, dict):
        return parse_letter(request_text(source), source=name)
    if isinstance(source, bytes):
        return parse_letter(decode_letter_bytes(source, suffix), source=name, normalized=True)
    if isinstance(source, Path) or ("\n" not in source and len(source) < 4096 and Path(source).is_file()):
        return load_letter(source)
    return parse_letter(request_text(source) if source.lstrip().startswith("{") else source, source=name)


def load_letter(path: str | Path) -> Letter:
    """Read and parse a letter file (.pdf, .docx, .txt); raises LetterError naming the file."""
    text = read_letter_text(path)
    try:
        return parse_letter(text, source=str(path), normalized=True)
    except LetterError as err:
        raise err.with_source(str(path)) from None


def parse_letter(text: str, source: str | None = None, normalized: bool = False) -> Letter:
    """Parse letter text into a :class:`Letter`.

    Offsets refer to the normalized text (``Letter.text``); pass ``normalized=True`` when the
    text already went through :func:`normalize_text`.
    """
    check_text_length(text)
    if not normalized:
        text = normalize_text(text)
    if not text.strip():
        raise LetterError("empty letter text")
    sections = _find_sections(text)
    ca_markers = list(_CA_MARKER.finditer(text))
    if not ca_markers:
        missing = "no 'IMR ISSUES, DECISIONS AND RATIONALES' section and " if "issues" not in sections else ""
        raise LetterError(
            f"not a recognized IMR letter: {missing}no 'Claims Administrator guideline:' item blocks found"
        )
    items_floor = sections["issues"][1] if "issues" in sections else 0
    preamble = _ISSUES_PREAMBLE.search(text, items_floor)
    if preamble and preamble.start() < ca_markers[-1].start():
        items_floor = preamble.end()
    ca_markers = [marker for marker in ca_markers if marker.start() >= items_floor]
    if not ca_markers:
        raise LetterError("not a recognized IMR letter: no item blocks after 'IMR ISSUES, DECISIONS AND RATIONALES'")
    items, warnings = _parse_items(text, ca_markers, items_floor)
    header = {name: _header_value(text, name) for name in _HEADER_FIELDS}
    for name in ("date_assigned", "date_of_injury", "decision_date", "ur_denial_date", "application_received"):
        header[name] = iso_date(header[name])
    summary = _summary_span(text, sections, items[0].start)
    age, sex, phrase = _age_sex(text, summary)
    return Letter(
        text=text,
        source=source,
        reviewer=_reviewer(text[: sections.get("summary", (len(text),))[0]]),
        patient_age=age,
        patient_sex=sex,
        patient_phrase=phrase,
        determination=_section_span(text, sections, "determination", "summary"),
        summary=summary,
        issues=TextSpan(items[0].start, len(text), text[items[0].start:]) if items else None,
        items=tuple(items),
        warnings=tuple(warnings),
        **header,
    )





def header_span(text: str, name: str) -> tuple[int, int] | None:
    """Character offsets of a header field's value (``date_of_injury``: the date after "Date of Injury:")."""
    match = re.search(_HEADER_FIELDS[name], text)
    return match.span(1) if match else None


def _header_value(text: str, name: str) -> str | None:
    span = header_span(text, name)
    return text[span[0]:span[1]] if span else None


def _find_sections(text: str) -> dict[str, tuple[int, int]]:
    found = {}
    for name, pattern in _SECTIONS.items():
        match = re.search(pattern, text)
        if match:
            found[name] = (match.start(), match.end())
    return found


def _span(text: str, start: int, end: int) -> TextSpan | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return TextSpan(start, end, text[start:end]) if end > start else None


def _section_span(text: str, sections: dict, name: str, following: str) -> TextSpan | None:
    if name not in sections:
        return None
    end = sections[following][0] if following in sections else len(text)
    return _span(text, sections[name][1], end)


def _summary_span(text: str, sections: dict, first_item_start: int) -> TextSpan | None:
    if "summary" not in sections:
        return None
    start = sections["summary"][1]
    end = sections["issues"][0] if "issues" in sections and sections["issues"][0] > start else first_item_start
    preamble = _SUMMARY_PREAMBLE.match(text, start, end)
    return _span(text, preamble.end() if preamble else start, end)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _heading_start(text: str, marker_start: int, floor: int) -> int:
    """Walk back from the line before a guideline marker to where the item heading begins."""
    start = _line_start(text, max(marker_start - 1, 0))
    while start > floor:
        prev_start = _line_start(text, start - 1)
        if prev_start < floor:
            break
        prev = text[prev_start:start].strip()
        heading = text[start:marker_start]
        modified_incomplete = _MODIFIED_HINT.search(heading) and not _ORIGINAL_ANYWHERE.search(heading)
        if prev.endswith(_TERMINAL) and not modified_incomplete:
            break
        start = prev_start
    return max(start, floor)


def _parse_items(text: str, ca_markers: list[re.Match], floor: int) -> tuple[list[Item], list[ParseWarning]]:
    starts = []
    for marker in ca_markers:
        previous_rationale_start = floor
        if starts:
            rationale = _RATIONALE_MARKER.search(text, starts[-1][1], marker.start())
            previous_rationale_start = rationale.end() if rationale else starts[-1][1]
        starts.append((_heading_start(text, marker.start(), previous_rationale_start), marker.start()))
    items, warnings = [], []
    for index, (start, ca_start) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
        item, item_warnings = _parse_item(text, index, start, ca_start, end)
        items.append(item)
        warnings.extend(item_warnings)
    return items, warnings


def _parse_item(text: str, index: int, start: int, ca_start: int, end: int) -> tuple[Item, list[ParseWarning]]:
    warnings = []
    heading = _span(text, start, ca_start)
    if heading is None:
        heading = TextSpan(start, start, "")
        warnings.append(ParseWarning(f"item {index}: no heading before 'Claims Administrator guideline:'", index,
                                     "heading"))
    tail = _DECISION_TAIL.search(heading.text)
    decision_span, stated, title_end = None, None, heading.end
    if tail:
        title_end = heading.start + tail.start()
        if tail.group("decision"):
            d_start = heading.start + tail.start("decision")
            decision_span = TextSpan(d_start, d_start + len(tail.group("decision")), tail.group("decision"))
            stated = next((d for d in DECISIONS if d.lower() == tail.group("decision").lower()), None)
    else:
        warnings.append(ParseWarning(f"item {index}: heading does not end with ': <decision>'", index, "decision"))
    title = " ".join(text[heading.start:title_end].split())
    maximus = _MAXIMUS_MARKER.search(text, ca_start, end)
    rationale = _RATIONALE_MARKER.search(text, maximus.end() if maximus else ca_start, end)
    ca_end = maximus.start() if maximus else (rationale.start() if rationale else end)
    ca_marker_end = _CA_MARKER.match(text, ca_start).end()
    if rationale is None:
        warnings.append(ParseWarning(f"item {index}: no 'Decision rationale:' block", index, "rationale"))
    parts = _modified_parts(text, heading.start, title_end)
    return Item(
        index=index,
        title=title,
        stated_decision=stated,
        start=heading.start,
        end=_span(text, start, end).end if _span(text, start, end) else end,
        heading=heading,
        decision=decision_span,
        claims_administrator_guideline=_span(text, ca_marker_end, ca_end),
        maximus_guideline=_span(text, maximus.end(), rationale.start() if rationale else end) if maximus else None,
        rationale=_span(text, rationale.end(), end) if rationale else None,
        **parts,
    ), warnings


def _modified_parts(text: str, start: int, end: int) -> dict[str, TextSpan | None]:
    heading = text[start:end]
    original = _ORIGINAL.search(heading)
    if not original:
        return {}
    authorized = _AUTHORIZED.search(heading, original.end())
    remaining = _REMAINING.search(heading + ":", authorized.end() if authorized else original.end())
    parts = {"original_request": _span(text, start + original.start("part"), start + original.end("part"))}
    if authorized:
        group = "part" if authorized.group("part") else "part2"
        parts["authorized_portion"] = _span(text, start + authorized.start(group), start + authorized.end(group))
    if remaining:
        parts["remaining_portion"] = _span(text, start + remaining.start("part"), start + remaining.end("part"))
    return parts


def _age_sex(text: str, summary: TextSpan | None) -> tuple[int | None, str | None, TextSpan | None]:
    """The patient's age and sex from the case summary's first "52-year-old ... female", and that phrase's span."""
    match = _AGE_SEX.search(summary.text) if summary else None
    if not match:
        return None, None, None
    sex = (match.group(2) or "").lower()
    sex = {"man": "male", "gentleman": "male", "woman": "female", "lady": "female"}.get(sex, sex) or None
    return int(match.group(1)), sex, _span(text, summary.start + match.start(), summary.start + match.end())


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r",|\band\b", " ".join(value.split())) if part.strip())


# one name for a specialty letters write two ways (as it reads in a table or a plot); the parsed Reviewer keeps the
# letter's own words
SPECIALTY_NAMES = {"pain management": "Pain Medicine", "occupational": "Occupational Medicine"}


def specialty_name(name: str) -> str:
    """A reviewer specialty under one name: title case, "Pain Management" as "Pain Medicine", "Occupational" as
    "Occupational Medicine" (the letters' own words stay in ``Reviewer.specialties``)."""
    words = " ".join(name.split())
    return SPECIALTY_NAMES.get(words.lower(), words.title())


def _reviewer(head: str) -> Reviewer:
    kind = _REVIEWER_KIND.search(head)
    kind_name = f"{kind.group(1).lower()} reviewer" if kind else None
    licensure, specialty = _LICENSURE.search(head), _SPECIALTY.search(head)
    if licensure or specialty:
        return Reviewer(
            licensure=_split_list(licensure.group("v")) if licensure else (),
            specialties=_split_list(specialty.group("v")) if specialty else (),
            kind=kind_name,
        )
    board = _BOARD.search(head)
    if board:
        return Reviewer(
            licensure=_split_list(board.group("states")),
            specialties=_split_list(board.group("spec")),
            kind=f"{board.group('kind').lower()} reviewer",
        )
    return Reviewer(kind=kind_name)
