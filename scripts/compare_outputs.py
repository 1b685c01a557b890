"""Before/after check: every extracted value and every prediction on the shared letters, against a git ref.

    python scripts/compare_outputs.py [--ref HEAD] [--letters DIR ...]

Runs ``imr parse --entities`` and ``imr predict`` (draft and facts) over the shared letters twice, once
with the code of ``--ref`` (checked out into a temporary git worktree, with this checkout's shipped
models, so that only the code differs) and once with the working tree, and compares the JSON records
field by field. With ``--own-models`` each side uses the models of its own commit instead: for a change to
how a model file is written, which the older code cannot read. Prints what differs, or that nothing does; exits 1 when anything differs. A change
meant to be behaviour-neutral (a speed-up, a refactor) must leave this at zero.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
RUNS = {
    "parse": ["parse", "--entities"],
    "predict-draft": ["predict", "--mode", "draft", "--model", "{models}/draft"],
    "predict-facts": ["predict", "--mode", "facts", "--model", "{models}/facts"],
}


def run_outputs(code: Path, letters: list[str], out: Path, models: Path = ROOT / "models") -> dict[str, list[dict]]:
    """The records of every run in ``RUNS`` with the package under ``code`` and the models under ``models``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    records = {}
    for name, run in RUNS.items():
        argv = [part.format(models=models) for part in run]
        target = out / f"{name}.jsonl"
        subprocess.run([sys.executable, "-m", "nlp_pipeline.cli", *argv, *letters, "--format", "jsonl", "-q",
                        "-o", str(target)], env=env, cwd=code, check=False, stderr=subprocess.DEVNULL)
        records[name] = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    return records


def differences(before: list[dict], after: list[dict]) -> Counter:
    """Field → how many records differ in it (``<records>`` when the record lists differ in length)."""
    counts: Counter = Counter()
    if len(before) != len(after):
        counts["<records>"] += abs(len(before) - len(after))
    for old, new in zip(before, after):
        for field in sorted(set(old) | set(new)):
            if field != "html" and old.get(field) != new.get(field):
                counts[field] += 1
    return counts


def main(argv=None) -> int:
    """Compare the working tree's outputs with those of ``--ref``; 0 when identical."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="HEAD", help="git ref of the 'before' code (default HEAD)")
    parser.add_argument("--letters", nargs="+", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--own-models", action="store_true",
                        help="each side uses its own commit's models (default: both use this checkout's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        worktree = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree), args.ref],
                       check=True)
        try:
            (Path(tmp) / "b").mkdir()
            (Path(tmp) / "a").mkdir()
            before = run_outputs(worktree, args.letters, Path(tmp) / "b",
                                 worktree / "models" if args.own_models else ROOT / "models")
            after = run_outputs(ROOT, args.letters, Path(tmp) / "a")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)
    changed = False
    for name in RUNS:
        counts = differences(before[name], after[name])
        changed |= bool(counts)
        detail = ", ".join(f"{field} in {n}" for field, n in counts.most_common()) or "identical"
        print(f"{name}: {len(after[name])} records vs {len(before[name])} at {args.ref}: {detail}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
