"""How far a letter travels through the package: ``imr predict LETTER`` traced call by call.

    python scripts/trace_path.py [LETTER] [--code DIR]

Records the first call of every function of ``nlp_pipeline`` while ``imr predict`` runs on one letter (after the
model and the pipeline are loaded, so that only the path of the letter counts; a function called again, as in a
loop over tokens, counts once), collapses consecutive functions of one file into one step, and prints the files entered, the steps, the returns to a file already left (the
path doubling back), and the calls that climb back up: from a file to one of a later stage (stages as in
``tests/test_layout.py``; an older flat layout's modules ranked by the stage they moved to). ``--code`` runs the package found in another checkout (an earlier commit's worktree) to
compare layouts.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACE = r"""
import sys, os
from pathlib import Path
import catalogue
catalogue.AVAILABLE_ENTRY_POINTS = {}  # an older layout must not load the installed package's spaCy factories
root = Path(sys.argv[1]).resolve() / "nlp_pipeline"
letter = sys.argv[2]
new = (root / "app").is_dir()
if new:
    from nlp_pipeline.app.commands import predict as command
else:
    from nlp_pipeline.commands import predict as command
command._load(None, "draft")
steps, seen, calls = [], set(), set()
def profile(frame, event, arg):
    if event != "call":
        return
    code = frame.f_code
    path = code.co_filename
    if path.startswith(str(root)):
        caller = frame.f_back.f_code.co_filename if frame.f_back else ""
        if caller.startswith(str(root)) and caller != path:
            calls.add((os.path.relpath(caller, root), os.path.relpath(path, root)))
        if code not in seen:  # each function counts once: the path, not the loops
            seen.add(code)
            name = os.path.relpath(path, root)
            if not steps or steps[-1] != name:
                steps.append(name)
sys.setprofile(profile)
records = command.predict_one(Path(letter))
sys.setprofile(None)
assert records and "error" not in records[0], records
left, returns = set(), 0
for before, after in zip(steps, steps[1:]):
    left.add(before)
    if after in left:
        returns += 1
STAGES = ["io", "letter", "extraction", "facts", "model", "explain", "predict", "app"]
OLD = {"reading": "io", "case_request": "io", "batch": "io", "letters": "letter", "dates": "letter",
       "pipeline": "extraction", "negation": "extraction", "quantities": "extraction", "rules": "extraction",
       "extensions": "extraction", "components": "extraction", "facts": "facts", "allowances": "facts",
       "features": "model", "estimator": "model", "linear": "model", "model_files": "model", "training": "model",
       "evaluation": "model", "sealed": "model", "dataset": "model", "explain": "explain", "reasons": "explain",
       "qa": "explain", "model": "predict", "what_if": "predict", "cli": "app", "commands": "app", "server": "app",
       "render": "app"}
def rank(name):
    first = name.split("/")[0].removesuffix(".py")
    stage = first if "/" in name and first in STAGES else OLD.get(first)
    return STAGES.index(stage) if stage else -1  # errors, types, modes: the base
up = sorted((a, b) for a, b in calls if rank(b) > rank(a))
print(len(set(steps)), len(steps), returns, len(up))
print(" > ".join(steps[:80]))
"""


def trace(code: Path, letter: str) -> tuple[int, int, int, int, str]:
    """(files entered, steps, returns to a file already left, calls up the stages, the first steps) for the
    package under ``code`` (an older flat layout's modules are ranked by the stage they moved to)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", TRACE, str(code), letter], env=env, cwd=code, capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"tracing {code} failed:\n{done.stderr[-2000:]}")
    out = done.stdout.splitlines()
    files, steps, returns, up = map(int, out[0].split())
    return files, steps, returns, up, out[1]


def main(argv=None) -> int:
    """Print the path's figures for this checkout (and ``--code``'s)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("letter", nargs="?", default=str(ROOT / "examples" / "draft_letter.txt"))
    parser.add_argument("--code", action="append", default=[], help="another checkout to trace as well")
    parser.add_argument("--show", action="store_true", help="print the steps")
    args = parser.parse_args(argv)
    for code in [ROOT, *map(Path, args.code)]:
        files, steps, returns, up, shown = trace(code.resolve(), str(Path(args.letter).resolve()))
        print(f"{code}: {files} files entered, {steps} steps, {returns} returns to a file already left, "
              f"{up} calls from a file to one of a later stage")
        if args.show:
            print("  " + shown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
