"""Batches of letters: walking folders, streaming work over processes, resumable atomic output.

A batch turns every input file into a list of JSON records (one per letter for ``parse``, one
per item for ``predict``) or one error record, and writes them as JSON lines. With ``--output``,
records go to a journal (``FILE.partial``) as they are made and the journal replaces ``FILE``
atomically at the end, so an interrupted batch leaves the previous ``FILE`` (or none) and a
journal that ``--resume`` continues from. Beside it, ``FILE.sha256`` (journal ``FILE.sha256.partial``)
lists the content hash of every letter written, in ``sha256sum``'s format, so that ``--resume`` also knows a
letter done under another path (a copy, a renamed file).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from nlp_pipeline.io.reading import SUPPORTED_SUFFIXES

Records = list[dict[str, Any]]


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Start-up of a batch process: what is made inside (imports, the model, the pipeline) lives as long as the
    process. The cyclic garbage collector is off while it is made (it would walk the growing heap of start-up
    objects again and again, finding nothing to free) and it is frozen after (``gc.freeze``: later collections,
    one every few thousand allocations over a batch, never walk it again). Garbage made before is collected
    first, so none is frozen. For command-line batch processes only: in a notebook or a server it would also
    freeze whatever its user holds."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def iter_letter_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Yield the files named, and the supported letter files under any folder named.

    Folders are walked recursively in sorted order without following symbolic links to folders,
    so a link loop cannot hang the walk. Files named directly are yielded whatever their suffix,
    so that the caller reports an error for them rather than silently skipping them.
    """
    yield from find_letter_paths(paths).files


@dataclass
class LetterPaths:
    """The input of a batch, found up front: the letter files (in order) and the files skipped inside folders
    because they are not letters (hidden files are left out of both)."""

    files: list[Path]
    skipped: list[Path]


def find_letter_paths(paths: Iterable[str | Path]) -> LetterPaths:
    """The files :func:`iter_letter_paths` yields, as a list (so a progress bar knows the total), with the
    non-letter files met in the folders walked (a ``.png`` or ``.csv`` beside the letters), to be named."""
    files: list[Path] = []
    skipped: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            files.append(path)
            continue
        for candidate, letter in _walk(path):
            (files if letter else skipped).append(candidate)
    return LetterPaths(files, skipped)


def skipped_summary(skipped: list[Path], limit: int = 10) -> str:
    """One line naming the files a folder walk skipped (the first ``limit`` of them)."""
    names = ", ".join(str(p) for p in skipped[:limit])
    more = f" and {len(skipped) - limit} more" if len(skipped) > limit else ""
    noun = "file that is not a letter" if len(skipped) == 1 else "files that are not letters"
    return f"skipped {len(skipped)} {noun}: {names}{more}"


def _walk(folder: Path) -> Iterator[tuple[Path, bool]]:
    """Every file under ``folder`` that is not hidden, with whether it is a letter file (by its suffix)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            candidate = Path(root) / name
            yield candidate, candidate.suffix.lower() in SUPPORTED_SUFFIXES


def same_terminal(stream: TextIO, other: TextIO | None = None) -> bool:
    """Whether ``stream`` and ``other`` (default: stderr) write to one terminal, where a line printed on both
    would be read twice."""
    other = sys.stderr if other is None else other
    try:
        first, second = stream.fileno(), other.fileno()
        return (os.isatty(first) and os.isatty(second)
                and os.path.samestat(os.fstat(first), os.fstat(second)))
    except (AttributeError, OSError, ValueError):  # a stream without a file (captured, in memory) is no terminal
        return False


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path``; rename it over ``path`` only when the block succeeds.

    An interrupted or failing write leaves the previous file (or no file) in place. The file gets the
    permissions of any other new file (``0o666`` less the umask), not the ``0o600`` of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass
class BatchStats:
    """What a batch did: files seen, failed, skipped by --resume."""

    files: int = 0
    failed: int = 0
    skipped: int = 0


def journal_path(output: str | Path) -> Path:
    """The journal a batch writing ``output`` appends to while it runs."""
    output = Path(output)
    return output.with_name(output.name + ".partial")


def letter_identity(source: str | Path) -> str:
    """What makes two spellings of a letter's path the same letter: its resolved path (``letters/a.pdf``,
    ``./letters/a.pdf`` and ``/home/me/letters/a.pdf`` are one letter)."""
    return os.path.realpath(os.fspath(source))


def hashes_path(output: str | Path) -> Path:
    """The list of content hashes kept beside ``output`` (``FILE.sha256``, the format of ``sha256sum``)."""
    output = Path(output)
    return output.with_name(output.name + ".sha256")


def content_hash(path: str | Path) -> str | None:
    """The SHA-256 of a file's bytes (hex), or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def completed_hashes(output: str | Path, done: Records) -> dict[str, str]:
    """The content hash of each letter of ``done`` (by :func:`letter_identity`): as ``FILE.sha256`` and its
    journal recorded it when it was done, else (an output written before the hashes were kept) as the file reads
    now, when it still exists. Lines for letters not in ``done`` are passed over, so a list out of step with its
    output never marks a letter done that the output lacks."""
    wanted = {letter_identity(record["source"]) for record in done}
    found: dict[str, str] = {}
    for path in (hashes_path(output), journal_path(hashes_path(output))):
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]:
            digest, _, name = line.partition("  ")
            if len(digest) == 64 and name in wanted:
                found.setdefault(name, digest)
    for name in wanted - found.keys():
        digest = content_hash(name)
        if digest is not None:
            found[name] = digest
    return found


def completed_records(output: str | Path) -> Records:
    """Records already done for ``output``: the finished file, then the journal of a cut-off run.

    A torn last line is dropped, and so is the journal's last letter, whose records may be
    incomplete; it is simply done again. Each letter (by :func:`letter_identity`) is kept once, with the
    records it got where it was met first: a completed run followed by a rerun that was killed leaves the
    same letters in both files.
    """
    records: Records = []
    seen: set[str] = set()
    for path in (Path(output), journal_path(output)):
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        parsed = []
        for line in lines[:-1]:  # the text after the last newline is empty or torn
            with contextlib.suppress(json.JSONDecodeError):
                record = json.loads(line)
                if isinstance(record, dict) and isinstance(record.get("source"), str):
                    parsed.append(record)
        if path != Path(output) and parsed:
            last = parsed[-1]["source"]
            parsed = [r for r in parsed if r["source"] != last]
        current, keep = None, False
        for record in parsed:  # a letter's records are consecutive: its first run of them is kept
            key = letter_identity(record["source"])
            if key != current:
                current, keep = key, key not in seen
                seen.add(key)
            if keep:
                records.append(record)
    return records


def run_batch(
    paths: Iterable[Path],
    process: Callable[[Path], Records],
    write: Callable[[Records, TextIO], None],
    *,
    output: str | None = None,
    resume: bool = False,
    jobs: int = 1,
    progress: bool | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    finish: Callable[[TextIO], None] | None = None,
    desc: str | None = None,
) -> BatchStats:
    """Run ``process`` on every path (in order, on ``jobs`` processes) and ``write`` the records.

    ``process`` must never raise for a bad file: it returns an error record instead. Memory stays
    flat: records are written as soon as each file is done (the paths are listed first, so that the
    progress bar knows the total and the time left). ``progress``: None shows the bar when stderr is a
    terminal, True always, False never.

    With ``output``, each letter's content hash goes to ``FILE.sha256`` beside it; ``resume`` skips a letter
    whose resolved path or content is already done (a copy or a renamed file is not read again, nor written
    twice), and each letter is written once.
    """
    stats = BatchStats()
    done: Records = completed_records(output) if (output and resume) else []
    hashes = completed_hashes(output, done) if done else {}
    todo = _skip_done(paths, {letter_identity(r["source"]) for r in done}, set(hashes.values()), stats)
    with _sink(output, done, write) as stream, _hash_sink(output, hashes) as note:
        results = progress_bar(_map(process, iter(todo), jobs, initializer, initargs), len(todo), desc, progress)
        for records, path in zip(results, todo):  # the bar first: zip ends it, so it shows its total
            stats.files += 1
            stats.failed += any("error" in r for r in records)
            write(records, stream)
            stream.flush()
            note(path)
        if finish is not None:
            finish(stream)
    return stats


def _skip_done(paths: Iterable[Path], done: set[str], done_hashes: set[str], stats: BatchStats) -> list[Path]:
    """The paths still to do: neither their resolved path nor (when any letter is done) their content done."""
    todo = []
    for path in paths:
        if letter_identity(path) in done or (done_hashes and content_hash(path) in done_hashes):
            stats.skipped += 1
            continue
        todo.append(path)
    return todo


@contextlib.contextmanager
def _hash_sink(output: str | None, done: dict[str, str]):
    """A function noting the content hash of each letter written (none without ``output``): lines go to the
    journal of ``FILE.sha256``, which replaces it once the batch is complete, the done letters' lines first."""
    if output is None:
        yield lambda path: None
        return
    journal = journal_path(hashes_path(output))
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "w", encoding="utf-8") as stream:
        stream.write("".join(f"{digest}  {name}\n" for name, digest in done.items()))

        def note(path: Path) -> None:
            digest = content_hash(path)
            if digest is not None:
                stream.write(f"{digest}  {letter_identity(path)}\n")
                stream.flush()

        yield note
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(journal, hashes_path(output))


@contextlib.contextmanager
def _sink(output: str | None, done: Records, write: Callable[[Records, TextIO], None]):
    if output is None:
        yield sys.stdout
        return
    journal = journal_path(output)
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "w", encoding="utf-8") as stream:
        if done:
            write(done, stream)
        yield stream
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(journal, output)


def _map(process, paths: Iterator[Path], jobs: int, initializer, initargs) -> Iterator[Records]:
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from (process(path) for path in paths)
        return
    context = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "forkserver")
    with context.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap(process, paths, chunksize=4)


def progress_bar(iterable: Iterable, total: int | None, desc: str | None = None, enabled: bool | None = None,
                 unit: str = "letter"):
    """``iterable`` with a progress bar on stderr showing the count out of ``total``, the rate and the time left.
    ``enabled``: None shows it when stderr is a terminal (the convention of every subcommand; ``--quiet`` passes
    False), True always, False never."""
    if enabled is False:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=None if enabled is None else False)
