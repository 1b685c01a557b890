"""End-to-end speed of ``imr predict`` against the floor, measured in the same run.

    python scripts/bench_predict.py [FOLDER] [--letters 645] [--repeat 3] [--mode draft|facts]

The shared PDFs are repeated (symbolic links) to ``--letters`` letters. Each measurement is a fresh
process, start-up included, so the two compare like for like:

- **floor**: read every PDF with pypdfium2 and tokenize its text with ``spacy.blank("en")``, one core;
- **predict, 1 job**: ``imr predict FOLDER --format jsonl -o FILE --jobs 1``, one core;
- **predict, 2 jobs**: the same with ``--jobs 2`` on two cores (when the machine has them).

Runs alternate (floor, 1 job, 2 jobs, floor, ...) so that drift on a shared machine touches each alike;
the figures are medians over ``--repeat`` rounds, with the range. The ratio is predict (1 job) / floor.
Start-up (imports, loading the model) is also timed alone, on a batch of one letter, and the per-letter
ratio printed beside: (batch - start-up) of predict over the same of the floor.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import DEFAULT, _make_batch  # scripts/ is not a package


def floor(folder: str) -> None:
    """The floor's work, run in its own process by ``--floor FOLDER``."""
    import pypdfium2 as pdfium
    import spacy

    nlp = spacy.blank("en")
    tokens = 0
    for path in sorted(Path(folder).glob("*.pdf")):
        pdf = pdfium.PdfDocument(path.read_bytes())
        text = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text.append(textpage.get_text_range())
            textpage.close()
            page.close()
        pdf.close()
        tokens += len(nlp("\n".join(text)))
    print(tokens)


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _timed(argv: list[str], cores: int) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_one_core if cores == 1 else None, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr[-500:]}")
    return elapsed


def _predict_argv(batch: Path, out: Path, jobs: int, mode: str) -> list[str]:
    return [sys.executable, "-m", "nlp_pipeline.app.cli", "predict", str(batch), "--mode", mode, "--format", "jsonl",
            "-q", "--jobs", str(jobs), "-o", str(out)]


def _summary(seconds: list[float], letters: int) -> str:
    middle = statistics.median(seconds)
    return (f"{middle:7.2f} s  {letters / middle:6.1f} letters/s  "
            f"(range {min(seconds):.2f}-{max(seconds):.2f} s over {len(seconds)} runs)")


def main(argv=None) -> None:
    """Measure and print the floor, predict with 1 and 2 jobs, and the ratio to the floor."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--letters", type=int, default=645, help="PDFs in the batch (the shared ones repeated)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mode", choices=("draft", "facts"), default="draft")
    parser.add_argument("--floor", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.floor:
        floor(args.floor)
        return
    sources = sorted(Path(args.folder).glob("*.pdf"))
    if not sources:
        raise SystemExit(f"no PDFs under {args.folder}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    job_counts = (1, 2) if cores >= 2 else (1,)
    times: dict[str, list[float]] = {"floor": [], **{f"jobs{j}": [] for j in job_counts},
                                     "floor_startup": [], "jobs1_startup": []}
    with tempfile.TemporaryDirectory() as tmp:
        batch = _make_batch(sources, args.letters, Path(tmp))
        single = _make_batch(sources, 1, Path(tmp))
        out = Path(tmp) / "out.jsonl"
        for _ in range(args.repeat):
            times["floor_startup"].append(_timed([sys.executable, __file__, "--floor", str(single)], cores=1))
            times["jobs1_startup"].append(_timed(_predict_argv(single, out, 1, args.mode), cores=1))
            times["floor"].append(_timed([sys.executable, __file__, "--floor", str(batch)], cores=1))
            for jobs in job_counts:
                times[f"jobs{jobs}"].append(_timed(_predict_argv(batch, out, jobs, args.mode), cores=jobs))
                records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
                if any("error" in r for r in records) or len({r["source"] for r in records}) != args.letters:
                    raise SystemExit("predict did not answer every letter")
    median = {key: statistics.median(values) for key, values in times.items()}
    ratio = median["jobs1"] / median["floor"]
    per_letter = (median["jobs1"] - median["jobs1_startup"]) / (median["floor"] - median["floor_startup"])
    print(f"{args.letters} PDFs ({len(sources)} shared letters repeated), mode {args.mode}, "
          f"each run a fresh process, start-up included")
    print(f"floor (pypdfium2 + spacy.blank), 1 core: {_summary(times['floor'], args.letters)}")
    for jobs in job_counts:
        print(f"imr predict --jobs {jobs}, {jobs} core{'s' if jobs > 1 else ''}:     "
              f"{_summary(times[f'jobs{jobs}'], args.letters)}")
    print(f"start-up alone (a batch of 1 letter): floor {median['floor_startup']:.2f} s, "
          f"imr predict {median['jobs1_startup']:.2f} s")
    print(f"ratio to the floor (1 job, medians): {ratio:.2f}x; per letter, start-up left out: {per_letter:.2f}x")
    if len(job_counts) > 1:
        print(f"2 jobs / 1 job: {statistics.median(times['jobs1']) / statistics.median(times['jobs2']):.2f}x "
              "letters/s")
    if args.json:
        print(json.dumps({"letters": args.letters, "mode": args.mode, "seconds": times, "ratio": round(ratio, 3),
                          "ratio_per_letter": round(per_letter, 3)}))


if __name__ == "__main__":
    main()
