"""The ``imr`` command line: one module per subcommand in :mod:`nlp_pipeline.app.commands`."""
from __future__ import annotations

import argparse
import importlib
import json
import sys

from nlp_pipeline import __version__
from nlp_pipeline.errors import DISK_FULL

COMMANDS = ("predict", "show", "parse", "evaluate", "train", "serve", "pipeline")
EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_DISK_FULL = 0, 1, 2, 3

DESCRIPTION = """\
imr reads California workers' compensation Independent Medical Review (IMR) determination
letters and predicts, for each disputed treatment item, how the review decides:

  Upheld      the utilization review denial stands: the treatment stays denied
  Overturned  the denial is reversed: the treatment is found medically necessary

Each prediction comes with the probability of Overturned, the reasons in words and the
passages of the letter behind them. On a reviewer's draft or a finished letter, it flags a
stated decision that contradicts the letter's own rationale. Letters can be PDF, Word (.docx)
or text files; a request not yet reviewed can be given as a .json file.
"""

EPILOG = """\
examples:
  imr predict letter.pdf                          each item of one letter, on the screen
  imr predict letters/ --format csv -o out.csv    a folder of letters into a spreadsheet
  imr predict letters/ --format html              a page per letter and an index, in imr-html/
  imr show letter.pdf --html letter.html          what was read in one letter, highlighted
  imr COMMAND --help                              the options of one command, with examples

Exit status: 0 all good; 1 some letters could not be read, or nothing to do; 2 a usage error;
3 the disk is full (the output was not completed; free space and run again, with --resume to continue).
"""


class _VersionAction(argparse.Action):
    """``--version``: the package version and the shipped models (read only when asked)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write(version_text())
        parser.exit()


def version_text() -> str:
    """``imr VERSION`` and, per shipped model (draft, facts), the date it was trained, its model file's SHA-256
    (as its ``metadata.json`` records them) and its ``manifest.json``'s SHA-256 (the manifest lists every file of
    the folder, ``metadata.json`` included, and its SHA-256: whenever the model loads, each file is checked
    against it)."""
    from nlp_pipeline.model import files as model_files

    lines = [f"imr {__version__}", f"shipped models ({model_files.MODELS_DIR}):"]
    for mode in ("draft", "facts"):
        try:
            metadata = json.loads((model_files.MODELS_DIR / mode / model_files.METADATA_FILE).read_text("utf-8"))
        except (OSError, ValueError) as err:
            lines.append(f"  {mode:<6} not available ({type(err).__name__})")
            continue
        lines.append(f"  {mode:<6} trained {metadata.get('trained_at') or 'on an unrecorded date'}, "
                     f"{model_files.MODEL_FILE} sha256 {metadata.get('sha256') or 'not recorded'}")
        manifest = model_files.MODELS_DIR / mode / model_files.MANIFEST_FILE
        lines.append(f"         {model_files.MANIFEST_FILE} sha256 "
                     f"{model_files.sha256(manifest) if manifest.is_file() else 'missing'}")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="imr", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_VersionAction,
                        help="print the version of imr and the training date and SHA-256 of its shipped models "
                             "(their model files and manifests)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"nlp_pipeline.app.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"nlp_pipeline.app.commands.{name}":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns 0 when all good, 1 when some files failed, 2 on usage errors, 3 when the disk is full."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.run(args)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    except KeyboardInterrupt:
        print("imr: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if err.errno not in DISK_FULL:
            raise
        where = f" writing {err.filename}" if err.filename else ""
        print(f"imr: error: no space left on the device{where}: the output is not complete; free some space and "
              "run again (--resume continues a batch written with --output)", file=sys.stderr)
        return EXIT_DISK_FULL


def main_exit() -> None:
    """Console-script entry point: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()
