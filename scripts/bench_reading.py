"""Print letters per second for reading and for reading + parsing the shared PDFs on one core."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from nlp_pipeline.letters import parse_letter
from nlp_pipeline.reading import read_letter_text

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "letters"


def main() -> None:
    """Time reading, then parsing, of every PDF under the folder (best of ``--repeat`` runs)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = sorted(Path(args.folder).glob("*.pdf"))
    if not paths:
        raise SystemExit(f"no PDFs under {args.folder}")
    read_best = parse_best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        texts = [read_letter_text(p) for p in paths]
        read_best = min(read_best, time.perf_counter() - start)
        start = time.perf_counter()
        items = sum(len(parse_letter(t, normalized=True).items) for t in texts)
        parse_best = min(parse_best, time.perf_counter() - start)
    n = len(paths)
    print(f"letters: {n}, items: {items}")
    print(f"read (pypdfium2 + normalize): {n / read_best:8.1f} letters/s")
    print(f"parse:                        {n / parse_best:8.1f} letters/s")
    print(f"read + parse:                 {n / (read_best + parse_best):8.1f} letters/s")


if __name__ == "__main__":
    main()
