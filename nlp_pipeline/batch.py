"""Walking input folders and writing output files atomically."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from nlp_pipeline.reading import SUPPORTED_SUFFIXES


def iter_letter_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Yield the files named, and the supported letter files under any folder named, in sorted order.

    Folders are walked recursively without following symbolic links to folders, so a link loop
    cannot hang the walk. Files named directly are yielded whatever their suffix, so that the
    caller reports an error for them rather than silently skipping them.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in files:
            candidate = Path(root) / name
            if candidate.suffix.lower() in SUPPORTED_SUFFIXES and not name.startswith("."):
                found.append(candidate)
    yield from sorted(found)


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path``; rename it over ``path`` only when the block succeeds.

    An interrupted or failing write leaves the previous file (or no file) in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
