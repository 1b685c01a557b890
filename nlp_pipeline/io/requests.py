"""A before-review request as JSON → the letter layout the parser reads (for ``imr predict --mode facts``).

A claims administrator or attorney knows the case summary, the disputed items and the guideline each
denial cited, but has no IMR letter yet. They can write::

    {"case_number": "CM26-0000003", "date_of_injury": "2026-06-02", "ur_denial_date": "2026-09-12",
     "case_summary": "The injured worker ...",
     "items": [{"request": "Right shoulder arthroscopic rotator cuff repair",
                "claims_administrator_guideline": "Decision based on MTUS ACOEM Shoulder Complaints."}]}

Only ``case_summary`` and ``items`` (each with ``request``) are required. Dates may be ISO
(``2026-06-02``) or ``6/2/2026``. An item may also carry what a finished review adds
(``maximus_guideline``, ``rationale``, ``decision``): training tables of labelled items use that.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from nlp_pipeline.errors import LetterError, TooDeep
from nlp_pipeline.types import CA_GUIDELINE, DECISIONS, MAXIMUS_GUIDELINE, RATIONALE

_HEADER = {"case_number": "Case Number", "date_of_injury": "Date of Injury", "ur_denial_date": "UR Denial Date"}
_REVIEW_PARTS = {part.attribute: part.opening for part in (MAXIMUS_GUIDELINE, RATIONALE)}
# the fields of a request and of each of its items (training tables use the same column names)
CASE_FIELDS = (*_HEADER, "case_summary")
ITEM_FIELDS = ("request", CA_GUIDELINE.attribute, *_REVIEW_PARTS, "decision")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MAX_JSON_DEPTH = 32  # nesting of a JSON request (a request is 3 deep: the request, its items, an item)


def request_text(data: bytes | str | dict[str, Any]) -> str:
    """The letter text for a JSON request (bytes, text or an already parsed dict); LetterError when malformed."""
    if not isinstance(data, dict):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise LetterError(f"not a JSON request: {err}") from None
        except RecursionError:  # the decoder gives up near Python's recursion limit
            raise _too_deep() from None
    _check_depth(data)
    if not isinstance(data, dict):
        raise LetterError("a JSON request is an object with case_summary and items")
    summary, items = data.get("case_summary"), data.get("items")
    if not isinstance(summary, str) or not summary.strip():
        raise LetterError("a JSON request needs a case_summary (text)")
    if not isinstance(items, list) or not items:
        raise LetterError("a JSON request needs items: a list of {request, claims_administrator_guideline}")
    lines = [f"{label}: {_header_value(key, data[key])}" for key, label in _HEADER.items() if data.get(key)]
    lines += ["CLINICAL CASE SUMMARY", " ".join(summary.split()), "IMR ISSUES, DECISIONS AND RATIONALES"]
    for number, item in enumerate(items, 1):
        request = item.get("request") if isinstance(item, dict) else None
        if not isinstance(request, str) or not request.strip():
            raise LetterError(f"item {number} of the JSON request has no request (the treatment asked for)")
        guideline = item.get("claims_administrator_guideline") or "not given"
        decision = _decision(item.get("decision"), number)
        lines += [f"{' '.join(request.split()).rstrip(':')}:{' ' + decision if decision else ''}",
                  f"Claims Administrator guideline: {guideline}"]
        lines += [f"{label} {' '.join(str(item[key]).split())}" for key, label in _REVIEW_PARTS.items() if item.get(key)]
    return "\n".join(lines) + "\n"


def _too_deep() -> TooDeep:
    return TooDeep(f"JSON request nested too deep: the limit is {MAX_JSON_DEPTH} levels (a request is 3 deep)")


def _check_depth(data: Any) -> None:
    """Refuse a request nested deeper than :data:`MAX_JSON_DEPTH` (walked without recursion, stopping at the first
    container too deep), so that nothing after it recurses into its values."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _decision(value: Any, number: int) -> str | None:
    """``Upheld`` / ``Overturned`` (any case), or None when the item has no decision yet."""
    if value is None or not str(value).strip():
        return None
    decision = next((d for d in DECISIONS if d.lower() == str(value).strip().lower()), None)
    if decision is None:
        raise LetterError(f"item {number}: decision must be Upheld or Overturned, not {value!r}")
    return decision


def _header_value(key: str, value: Any) -> str:
    """Header values as the letters write them (dates m/d/yyyy)."""
    text = str(value).strip()
    match = _ISO.fullmatch(text) if key != "case_number" else None
    if match:
        try:
            day = date(*(int(g) for g in match.groups()))
        except ValueError:
            raise LetterError(f"{key} is not a real date: {text!r}") from None
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    return text
