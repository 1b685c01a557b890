"""Retrain a model: ``python train.py LETTERS_DIR... [--mode draft|facts] [--out models/NAME]``.

The same as ``imr train``; labels come from the letters' stated decisions.
"""
import argparse
import sys

from nlp_pipeline.app.commands.train import add_arguments, run


def main(argv=None) -> int:
    """Parse the arguments and train."""
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
