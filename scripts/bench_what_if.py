"""How much ``--what-if`` costs: ``imr predict`` with and without it over the shared letters, per mode.

    python scripts/bench_what_if.py [LETTERS...] [--mode facts|draft|both] [--repeat 1]

Each run is a fresh ``imr predict --format jsonl -o FILE`` process on one core, start-up included; the
ratio is what-if over plain (the issue's budget: at most 15x). Also prints how many items got edits, how
many of those exceeding their allowance got an amount edit, and how many a flip was found for.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_predict import _timed  # scripts/ is not a package

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def main(argv=None) -> None:
    """Time plain and what-if runs and print the ratio and the coverage of the what-if reports."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("letters", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--mode", choices=("draft", "facts", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    for mode in ("draft", "facts") if args.mode == "both" else (args.mode,):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.jsonl"
            base = [sys.executable, "-m", "nlp_pipeline.app.cli", "predict", *args.letters, "--mode", mode,
                    "--format", "jsonl", "-q", "-o", str(out)]
            plain = [_timed(base, cores=1) for _ in range(args.repeat)]
            what_if = [_timed([*base, "--what-if"], cores=1) for _ in range(args.repeat)]
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        items = [r for r in records if "error" not in r]
        with_edits = sum(bool(r["what_if"]) for r in items)
        flips = sum(r["smallest_flip"] is not None for r in items)
        print(f"{mode}: plain {statistics.median(plain):.1f} s, --what-if {statistics.median(what_if):.1f} s "
              f"({statistics.median(what_if) / statistics.median(plain):.1f}x); {len(items)} items, "
              f"{with_edits} with edits, {sum(len(r['what_if']) for r in items)} edits, "
              f"a flip found for {flips}")


if __name__ == "__main__":
    main()
