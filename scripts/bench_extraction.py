"""Print letters per second on one core for reading, reading + parsing, and the whole extraction pipeline.

Stages, each timed over every PDF under the folder (best of ``--repeat`` runs):

- read: ``read_letter_text`` (pypdfium2 + normalize);
- read + parse: ``load_letter``;
- read + parse + extract: ``load_letter`` then ``extract_letter`` (the nlp is built once, before timing);
- for reference, tokenization only: ``spacy.blank("en")`` over the same letter texts.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import spacy

from nlp_pipeline.errors import LetterError
from nlp_pipeline.letter.parse import load_letter
from nlp_pipeline.extraction.pipeline import build_nlp
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.io.reading import read_letter_text

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "letters"


def _pin_one_core() -> str:
    """Restrict this process to one CPU (where the OS allows it); return a note saying which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def _best(repeat: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    """Time each stage over the folder's PDFs and print letters/s."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(Path(args.folder).glob("*.pdf"))
    if not paths:
        raise SystemExit(f"no PDFs under {args.folder}")
    pinned = _pin_one_core()
    nlp = build_nlp()
    blank = spacy.blank("en")

    def read():
        return [read_letter_text(p) for p in paths]

    def load():
        letters, failed = [], 0
        for p in paths:
            try:
                letters.append(load_letter(p))
            except LetterError:
                failed += 1
        return letters, failed

    def full():
        items = 0
        for p in paths:
            try:
                letter = load_letter(p)
            except LetterError:
                continue
            items += len(extract_letter(letter, nlp).items)
        return items

    # one untimed pass warms the file cache and any lazy initialization
    texts = read()
    extract_letter(load_letter(paths[0]), nlp)

    read_s, _ = _best(args.repeat, read)
    load_s, (letters, failed) = _best(args.repeat, load)
    full_s, items = _best(args.repeat, full)
    tok_s, tokens = _best(args.repeat, lambda: sum(len(doc) for doc in blank.pipe(texts)))

    n = len(paths)
    print(f"letters: {n} ({failed} not parsed), items: {items}, tokens: {tokens}; {pinned}; best of {args.repeat}")
    print(f"read (pypdfium2 + normalize):      {n / read_s:8.1f} letters/s")
    print(f"read + parse (load_letter):        {n / load_s:8.1f} letters/s")
    print(f"read + parse + extract_letter:     {n / full_s:8.1f} letters/s")
    print(f"extract_letter alone (difference): {n / max(full_s - load_s, 1e-9):8.1f} letters/s")
    print(f"reference: spacy.blank('en') tokenization of the texts: {n / tok_s:8.1f} letters/s")


if __name__ == "__main__":
    main()
