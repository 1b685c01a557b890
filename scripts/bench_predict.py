"""Items per second for prediction end to end from PDF on one core, next to reading the PDFs alone.

    python scripts/bench_predict.py [FOLDER] [--mode draft|facts]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from nlp_pipeline.letters import load_letter
from nlp_pipeline.model import load_model
from nlp_pipeline.reading import read_letter_text

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    """Time reading alone, then reading + parsing + extraction + prediction."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", default=str(ROOT / ".." / "shared" / "data" / "letters"))
    parser.add_argument("--mode", choices=("draft", "facts"), default="draft")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    paths = sorted(Path(args.folder).glob("*.pdf"))
    model = load_model(mode=args.mode)
    model.predict(load_letter(paths[0]))  # warm-up: pipeline built, caches filled
    start = time.perf_counter()
    for path in paths:
        read_letter_text(path)
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    items = sum(len(model.predict(path)) for path in paths)
    predict_seconds = time.perf_counter() - start
    print(f"{len(paths)} letters, {items} items, mode {args.mode}, one core")
    print(f"reading PDFs alone:        {read_seconds:6.2f} s  {len(paths) / read_seconds:7.1f} letters/s")
    print(f"predict end to end (PDF):  {predict_seconds:6.2f} s  {items / predict_seconds:7.1f} items/s "
          f"({len(paths) / predict_seconds:.1f} letters/s)")


if __name__ == "__main__":
    main()
