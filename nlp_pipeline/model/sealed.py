"""The study / sealed split of a corpus: a fixed hash of each letter's case number; and the later-cases split, by
the year in the case number (``scripts/eval_later_letters.py``).

Two thirds of the letters are the *study* set, the only letters read when a pattern or a feature is
written or changed; one third is the *sealed* set, scored in aggregate only (``scripts/eval_sealed.py``)
and never read. The split depends on the case number alone (the file's stem when a letter has none,
as the seed letters), so it never moves when letters are added, and a new letter falls on its side
by the same rule.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

SEALED_SHARE = 3  # one letter in three is sealed
_SALT = "sealed:"  # fixed once (46 of the 134 shared letters fall in the sealed third); never changed


def split_key(case_number: str | None, source: str | Path | None = None) -> str:
    """The key a letter is split by: its case number, else its file's stem."""
    if case_number:
        return case_number.strip().upper()
    return Path(str(source or "")).stem


def is_sealed(case_number: str | None, source: str | Path | None = None) -> bool:
    """Whether a letter belongs to the sealed third (SHA-256 of the salted key, modulo 3, is 0)."""
    digest = hashlib.sha256((_SALT + split_key(case_number, source)).encode("utf-8")).hexdigest()
    return int(digest, 16) % SEALED_SHARE == 0


_YEAR = re.compile(r"^CM(\d{2})-")


def split_by_year(letters: list[Path]) -> tuple[list[Path], list[Path]]:
    """(letters of the earlier years, letters of the latest year), by the year in the case number."""
    years = {path: int(_YEAR.match(path.name).group(1)) for path in letters if _YEAR.match(path.name)}
    latest = max(years.values())
    return [p for p, y in years.items() if y < latest], [p for p, y in years.items() if y == latest]
