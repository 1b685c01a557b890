"""Before/after check: every extracted value and every prediction on the shared letters, against a git ref.

    python scripts/compare_outputs.py [--ref HEAD] [--letters DIR ...] [--show]

Runs ``imr parse --entities`` and ``imr predict`` (draft and facts, with and without ``--what-if``) over the shared letters twice, once
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
    "what-if-draft": ["predict", "--mode", "draft", "--model", "{models}/draft", "--what-if"],
    "what-if-facts": ["predict", "--mode", "facts", "--model", "{models}/facts", "--what-if"],
}


# an older layout runs with spaCy's entry points switched off: the installed package's spacy_factories would load
# this checkout's components beside the older code's own (a factory registered twice)
_OLDER = ("import catalogue, runpy, sys; catalogue.AVAILABLE_ENTRY_POINTS = {}; sys.argv[0] = 'imr'; "
          "runpy.run_module('nlp_pipeline.cli', run_name='__main__')")


def package_command(code: Path) -> list[str]:
    """The command that runs ``imr`` with the package under ``code`` (the stage layout, or an older flat one)."""
    if (code / "nlp_pipeline" / "app").is_dir():
        return [sys.executable, "-m", "nlp_pipeline.app.cli"]
    return [sys.executable, "-c", _OLDER]


def run_outputs(code: Path, letters: list[str], out: Path, models: Path = ROOT / "models") -> dict[str, list[dict]]:
    """The records of every run in ``RUNS`` with the package under ``code`` and the models under ``models``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    records = {}
    for name, run in RUNS.items():
        argv = [part.format(models=models) for part in run]
        target = out / f"{name}.jsonl"
        done = subprocess.run([*package_command(code), *argv, *letters, "--format", "jsonl", "-q",
                               "-o", str(target)], env=env, cwd=code, check=False, stderr=subprocess.PIPE, text=True)
        if not target.exists():
            raise SystemExit(f"{name} wrote nothing with the code in {code}:\n{done.stderr[-2000:]}")
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


def shown(before: list[dict], after: list[dict]) -> tuple[list[str], int]:
    """What differs record by record, on study letters only (``nlp_pipeline.model.sealed``: a sealed letter is never
    read, so its records are only counted): one line per differing field, and the number of sealed records."""
    from nlp_pipeline.model.sealed import is_sealed

    lines, sealed = [], 0
    for old, new in zip(before, after):
        fields = [f for f in sorted(set(old) | set(new)) if f != "html" and old.get(f) != new.get(f)]
        if not fields:
            continue
        if is_sealed(new.get("case_number"), new.get("source")):
            sealed += 1
            continue
        where = f"{Path(str(new.get('source'))).name}" + (f"#{new['item_index']}" if "item_index" in new else "")
        leaves = [leaf for f in fields for leaf in _leaves(old.get(f), new.get(f), f)]
        lines += [f"  {where} {path}: {a!r} -> {b!r}" for path, a, b in leaves[:SHOWN]]
        lines += [f"  {where} and {len(leaves) - SHOWN} more"] if len(leaves) > SHOWN else []
    return lines, sealed


SHOWN = 6  # differing values shown per record


def _leaves(old, new, path: str):
    """(path, old, new) for each innermost value that differs: "items[1].requested.quantity: 1 -> None"."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) != new.get(key):
                yield from _leaves(old.get(key), new.get(key), f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            if a != b:
                yield from _leaves(a, b, f"{path}[{i}]")
    elif isinstance(old, list) and isinstance(new, list):  # entities found or lost: name those only
        before, after = ([json.dumps(v, sort_keys=True) for v in side] for side in (old, new))
        for gone in (v for v in before if v not in after):
            yield f"{path} lost", _short(json.loads(gone)), None
        for found in (v for v in after if v not in before):
            yield f"{path} found", None, _short(json.loads(found))
    else:
        yield path, old, new


def _short(value):
    """An entity as its label, text and value; anything else as it is."""
    if isinstance(value, dict) and "label" in value and "text" in value:
        return f"{value['label']} {value['text']!r} {value.get('value')} {value.get('role') or ''}".rstrip()
    return value


def main(argv=None) -> int:
    """Compare the working tree's outputs with those of ``--ref``; 0 when identical."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="HEAD", help="git ref of the 'before' code (default HEAD)")
    parser.add_argument("--letters", nargs="+", default=[str(SHARED / "letters"), str(SHARED / "seeds")])
    parser.add_argument("--own-models", action="store_true",
                        help="each side uses its own commit's models (default: both use this checkout's)")
    parser.add_argument("--show", action="store_true",
                        help="print what differs, record by record (study letters only; sealed ones are counted)")
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
        if args.show and counts:
            lines, sealed = shown(before[name], after[name])
            print("\n".join(lines + ([f"  and {sealed} sealed records (not shown)"] if sealed else [])))
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
