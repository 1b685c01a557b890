"""Dates in free text, normalized to ISO: ``5/27/11``, ``04/17/2009``, ``10-13-16`` → ``2011-05-27``..."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

DATE_PATTERN = r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}"  # m/d/y or m-d-y, as letters write dates
_DATE_IN_TEXT = re.compile(rf"(?<![\d/-])({DATE_PATTERN})(?![\d/-])")


def iso_date(value: str | None) -> str | None:
    """``5/27/11`` / ``04/17/2009`` / ``10-13-16`` → ``2011-05-27``; None when not a real date."""
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})", value.strip())
    if not match:
        return None
    month, day, year = (int(g) for g in match.groups())
    if len(match.group(3)) == 2:
        year += 2000 if year <= 40 else 1900
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@dataclass(frozen=True)
class FoundDate:
    """A date in a text: offsets, the words, the ISO date."""

    start: int
    end: int
    text: str
    iso: str


def find_dates(text: str) -> list[FoundDate]:
    """Every real calendar date written as m/d/y or m-d-y in ``text``; never raises."""
    found = []
    for match in _DATE_IN_TEXT.finditer(text):
        iso = iso_date(match.group(1))
        if iso:
            found.append(FoundDate(match.start(1), match.end(1), match.group(1), iso))
    return found


def days_between(earlier: str | None, later: str | None) -> int | None:
    """Days from one ISO date to another; None when either is missing."""
    if not earlier or not later:
        return None
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def years_between(earlier: str | None, later: str | None) -> float | None:
    """Years from one ISO date to another (one decimal); None when either is missing."""
    days = days_between(earlier, later)
    return None if days is None else round(days / 365.25, 1)
