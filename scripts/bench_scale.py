"""Scale benchmark: letters/s and peak memory of ``imr`` batches of 1,000 and 10,000 letters.

The shared PDFs are repeated (as symbolic links) up to the batch size; each run is a separate
``imr`` process whose whole process tree's resident memory is sampled every 50 ms.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "letters"


def _tree_rss_kib(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration, PermissionError):
            continue
    return total


def _make_batch(sources: list[Path], size: int, folder: Path) -> Path:
    batch = folder / f"batch-{size}"
    batch.mkdir()
    for index in range(size):
        source = sources[index % len(sources)]
        (batch / f"{index:06d}-{source.name}").symlink_to(source.resolve())
    return batch


def run_once(command: str, batch: Path, jobs: int, extra: list[str]) -> tuple[float, float]:
    """Run one batch; return (seconds, peak MiB of the process tree)."""
    out = batch.parent / f"out-{batch.name}-{jobs}.jsonl"
    argv = [sys.executable, "-m", "nlp_pipeline.app.cli", command, str(batch), "--format", "jsonl", "-q",
            "--jobs", str(jobs), "-o", str(out), *extra]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kib(process.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed with exit code {process.returncode}")
    out.unlink(missing_ok=True)
    return elapsed, peak / 1024


def main() -> None:
    """Print a table of letters/s and peak memory per batch size and process count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--command", choices=("parse", "predict"), default="predict")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--letters", default=str(DEFAULT))
    args = parser.parse_args()
    sources = sorted(Path(args.letters).glob("*.pdf"))
    if not sources:
        raise SystemExit(f"no PDFs under {args.letters}")
    print(f"imr {args.command}: shared PDFs repeated; cores available: {os.cpu_count()}")
    print(f"{'letters':>8} {'jobs':>5} {'seconds':>9} {'letters/s':>10} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            batch = _make_batch(sources, size, Path(tmp))
            for jobs in args.jobs:
                seconds, peak = run_once(args.command, batch, jobs, [])
                print(f"{size:>8} {jobs:>5} {seconds:>9.1f} {size / seconds:>10.1f} {peak:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
