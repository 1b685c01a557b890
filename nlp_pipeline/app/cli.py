"""The ``imr`` command line: a thin layer over the library, one module per subcommand."""
from __future__ import annotations

import argparse
import importlib
import sys

from nlp_pipeline import __version__

COMMANDS = ("parse", "show", "predict", "evaluate", "train", "serve", "pipeline")
EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="imr", description=__doc__)
    parser.add_argument("--version", action="version", version=f"imr {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    """Run the CLI; returns 0 when all good, 1 when some files failed, 2 on usage errors."""
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


def main_exit() -> None:
    """Console-script entry point: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()
