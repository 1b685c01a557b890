"""How much ``--what-if`` costs: ``imr predict`` with and without it over the shared letters, per mode.

    python scripts/bench_what_if.py [LETTERS...] [--mode facts|draft|both] [--repeat 1]
    python scripts/bench_what_if.py --items 25 50 100 [--mode ...]

Each run is a fresh ``imr predict --format jsonl -o FILE`` process on one core, start-up included; the
ratio is what-if over plain (the issue's budget: at most 15x). Also prints how many items got edits, how
many of those exceeding their allowance got an amount edit, and how many a flip was found for.

With ``--items N...``: how what-if grows with the number of items of one letter (issue 31), on letters of N items
made from ``examples/draft_letter.txt`` (its first item repeated, as the tests' many-items letter is); prints the
seconds per item, which stays flat where the work grows linearly with the items.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from bench_predict import _timed  # scripts/ is not a package

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"


def main(argv=None) -> None:
    """Time plain and what-if runs and print the ratio and the coverage of the what-if reports."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("letters", nargs="*", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--mode", choices=("draft", "facts", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--items", type=int, nargs="+", help="time letters of this many items instead")
    args = parser.parse_args(argv)
    if args.items:
        return grow(args.items, args.mode, args.repeat)
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


def grow(counts: list[int], mode: str, repeat: int) -> None:
    """Time ``imr predict --what-if`` (and plain) on one letter of each item count."""
    from tests.bad_inputs import _letter_with_items  # the tests' many-items letter, one builder

    template = (ROOT / "examples" / "draft_letter.txt").read_text(encoding="utf-8")
    for each in ("draft", "facts") if mode == "both" else (mode,):
        for count in counts:
            with tempfile.TemporaryDirectory() as tmp:
                letter, out = Path(tmp) / f"letter-{count}.txt", Path(tmp) / "out.jsonl"
                letter.write_text(_letter_with_items(template, count), encoding="utf-8")
                base = [sys.executable, "-m", "nlp_pipeline.app.cli", "predict", str(letter), "--mode", each,
                        "--format", "jsonl", "-q", "-o", str(out)]
                plain = statistics.median(_timed(base, cores=1) for _ in range(repeat))
                what_if = statistics.median(_timed([*base, "--what-if"], cores=1) for _ in range(repeat))
                records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            edits = sum(len(r.get("what_if") or ()) for r in records)
            print(f"{each}: {count} items: plain {plain:.1f} s, --what-if {what_if:.1f} s "
                  f"({(what_if - plain) / count:.3f} s per item over plain; {edits} edits)")


if __name__ == "__main__":
    main()
