"""Pieces shared by the batch subcommands: input arguments, output sinks, error lines."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from nlp_pipeline.batch import atomic_writer


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Add PATH... and --output to a batch subcommand."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="letter files (.pdf .docx .txt) or folders")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the result to FILE atomically")


@contextlib.contextmanager
def output_stream(path: str | None) -> Iterator[TextIO]:
    """Yield stdout, or an atomic writer for ``path``."""
    if path is None:
        yield sys.stdout
        return
    with atomic_writer(path) as handle:
        yield handle


def error_record(source: str, reason: str) -> dict[str, Any]:
    """The JSON line written for a file that failed, also reported on stderr."""
    print(f"imr: {source}: {reason}", file=sys.stderr)
    return {"source": source, "error": reason}


def dump_json_line(record: dict[str, Any], stream: TextIO) -> None:
    """Write one JSON object on one line."""
    stream.write(json.dumps(record, ensure_ascii=False) + "\n")
