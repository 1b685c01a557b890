"""Train on earlier cases, score on later ones: how the models carry over to letters of a later period.

The shared letters' case numbers carry the year the IMR application was received (``CM16-…``,
``CM17-…``). This trains a model per mode with ``imr train`` on the cases of the earlier years (and
the seed letters, which have no case number) and scores it with ``imr evaluate`` on the cases of the
latest year, in draft mode also with each rationale's verdict sentences cut (``--cut verdicts``).
Models go to a temporary folder; nothing in ``models/`` changes, except that ``--write`` saves the
figures to ``models/later_report.json``, which the model card is generated from.

    python scripts/eval_later_letters.py [--letters DIR] [--seeds DIR] [--mode draft|facts|both] [--write]

``--mode`` runs one mode; with ``--write`` its runs replace that mode's in the saved report, the other mode's kept.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
from pathlib import Path

from nlp_pipeline.app.cli import main as imr
from nlp_pipeline.app.commands.evaluate import result_table
from nlp_pipeline.model.sealed import split_by_year

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
REPORT = ROOT / "models" / "later_report.json"


def main(argv: list[str] | None = None) -> None:
    """Train on the earlier cases, evaluate on the latest year's, print both modes' tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", default=str(SHARED / "letters"), help="folder of the letter PDFs")
    parser.add_argument("--seeds", default=str(SHARED / "seeds"), help="folder of extra training letters")
    parser.add_argument("--mode", choices=("draft", "facts", "both"), default="both")
    parser.add_argument("--write", action="store_true", help=f"also save the figures to {REPORT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    earlier, later = split_by_year(sorted(Path(args.letters).glob("*.pdf")))
    print(f"training on {len(earlier)} earlier cases (+ {args.seeds}), scoring {len(later)} later ones\n")
    results = {"earlier_letters": len(earlier), "later_letters": len(later), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, cuts in (("draft", (None, "verdicts")), ("facts", (None,))):
            if args.mode not in (mode, "both"):
                continue
            model = str(Path(tmp) / mode)
            imr(["train", *map(str, earlier), args.seeds, "--mode", mode, "--out", model, "--quiet",
                 "--cv-repeats", "1", "--bootstrap", "100", "--bootstrap-models", "0"])  # no intervals needed here
            for cut in cuts:
                captured = io.StringIO()
                with contextlib.redirect_stdout(captured):
                    imr(["evaluate", *map(str, later), "--mode", mode, "--model", model, "--format", "json",
                         *(["--cut", cut] if cut else [])])
                result = json.loads(captured.getvalue())
                results["runs"][f"{mode}{'_cut_' + cut if cut else ''}"] = {
                    key: result[key] for key in ("items", "letters", "overturned", "metrics", "ci95", "base_rate_brier")}
                print("\n" + result_table(result))
    if args.write:
        if args.mode != "both" and REPORT.exists():  # the other mode's runs stay as they were
            saved = json.loads(REPORT.read_text(encoding="utf-8"))
            kept = {name: run for name, run in saved["runs"].items() if not name.startswith(args.mode)}
            results["runs"] = {**kept, **results["runs"]}
        REPORT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
