"""How fast, and in how much memory, inputs over the stated limits are refused (issue 31).

    python scripts/bench_bounded_inputs.py [--docx-mb 300] [--depth 5000]

Each case runs in a fresh process (so its peak memory is its own) and prints the seconds to the refusal, the
reason given and the process's peak resident memory:

- a ``.docx`` whose one part is ``--docx-mb`` MB of XML unpacked (a few hundred kB on disk);
- a JSON request nested ``--depth`` deep;
- a text file of 2 million and one characters.

The issue's targets: the 300 MB .docx refused within 2 s with the process under 1 GB; the 5,000-deep request
refused with a 4xx (here: a ``TooLarge``).
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

CHILD = """
import sys, time
from nlp_pipeline.errors import LetterError
from nlp_pipeline.io.reading import decode_letter_bytes
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
try:
    decode_letter_bytes(data, sys.argv[2])
    reason = "read (not refused)"
except LetterError as err:
    reason = f"{type(err).__name__}: {err.reason}"
seconds = time.perf_counter() - start
# VmHWM: this process's own peak (ru_maxrss would carry the parent's over fork and exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(f"{seconds:.3f}\\t{peak:.0f}\\t{reason}")
"""


def docx_bomb(megabytes: int) -> bytes:
    """A minimal .docx whose document part is ``megabytes`` MB of XML once unpacked (written in pieces)."""
    paragraph = b"<w:p><w:r><w:t>" + b"a" * 1000 + b"</w:t></w:r></w:p>"
    chunk = paragraph * 1000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.'
                         'org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType='
                         '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                         '</Types>')
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://'
                       b'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            for _ in range(megabytes * 1024 * 1024 // len(chunk)):
                part.write(chunk)
            part.write(b"</w:body></w:document>")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docx-mb", type=int, default=300)
    parser.add_argument("--depth", type=int, default=5000)
    args = parser.parse_args()
    nested = "[" * args.depth + "]" * args.depth
    cases = [
        (f"docx, {args.docx_mb} MB unpacked", ".docx", docx_bomb(args.docx_mb)),
        (f"JSON request {args.depth} deep", ".json",
         ('{"case_summary": "x", "items": [{"request": "x", "rationale": ' + nested + "}]}").encode()),
        ("text, 2,000,001 characters", ".txt", b"a" * 2_000_001),
    ]
    print(f"{'case':<32} {'on disk':>10} {'seconds':>8} {'peak MB':>8}  reason")
    with tempfile.TemporaryDirectory() as folder:
        for name, suffix, data in cases:
            path = Path(folder) / f"case{suffix}"
            path.write_bytes(data)
            done = subprocess.run([sys.executable, "-c", CHILD, str(path), suffix], capture_output=True, text=True,
                                  check=True)
            seconds, peak, reason = done.stdout.strip().split("\t", 2)
            print(f"{name:<32} {len(data) / 1e6:>8.2f}MB {float(seconds):>8.3f} {float(peak):>8.0f}  {reason}")


if __name__ == "__main__":
    main()
