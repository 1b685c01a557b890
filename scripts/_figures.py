"""What the scripts that save figures for the model card (``eval_sealed.py``, ``eval_verdict.py``) share:
``--json`` to print them as JSON, ``--write`` to save them under ``models/``."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parents[1] / "models"


def add_output_arguments(parser: argparse.ArgumentParser, file_name: str) -> None:
    """``--json`` and ``--write`` (to ``models/FILE_NAME``)."""
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--write", action="store_true", help=f"save the figures to models/{file_name}")


def publish(figures: dict[str, Any], args: argparse.Namespace, file_name: str) -> bool:
    """Save ``figures`` with ``--write``; print them with ``--json`` and return True (nothing else to print)."""
    if args.write:
        (MODELS / file_name).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(figures, indent=2))
    return args.json
