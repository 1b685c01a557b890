"""``imr pipeline save DIR``: write the extraction pipeline as a spaCy pipeline folder (``spacy.load(DIR)`` reads it)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """examples:
  imr pipeline save imr-extraction
  python -c "import spacy; nlp = spacy.load('imr-extraction'); print(nlp.pipe_names)"

The folder holds spaCy's config, the tokenizer and the imr_* components with their rule data. spacy.load finds
the components through this package's spacy_factories entry point, so the package must be installed where the
pipeline is loaded. A part of a letter is read as its region (doc._.imr_region: summary, heading, ca_guideline,
maximus_guideline, rationale); nlp_pipeline.facts.extract.extract_letter(letter, nlp=...) does that for a whole
letter."""


def add_parser(subparsers) -> None:
    """Register ``imr pipeline``."""
    parser = subparsers.add_parser("pipeline", help="save the extraction pipeline for use in spaCy",
                                   description="Save the extraction pipeline as a spaCy pipeline folder.",
                                   epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    help="save: write the pipeline to a folder")
    save = actions.add_parser("save", help="write the pipeline to a folder (spacy.load reads it back)",
                              description="Write the extraction pipeline to DIR.", epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    save.add_argument("folder", metavar="DIR", help="the folder to write (created; an existing one is replaced)")
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Write the pipeline; 0 when written."""
    from nlp_pipeline.extraction.pipeline import new_nlp

    target = Path(args.folder)
    if target.exists() and not target.is_dir():
        print(f"imr: error: {target} is a file, not a folder", file=sys.stderr)
        return 2
    new_nlp().to_disk(target)
    print(f"extraction pipeline written to {target} (load it with spacy.load({str(target)!r}))", file=sys.stderr)
    return 0
