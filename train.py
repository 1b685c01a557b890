"""Retrain a model: ``python train.py LETTERS... [--mode draft|facts] [--out DIR]``, the same as ``imr train``.

Labels come from the letters' stated decisions; without ``--out`` the model goes to a new folder
``./imr-model-MODE-YYYYMMDD-HHMMSS``, never over the shipped models.
"""
import argparse
import sys

from nlp_pipeline.app.commands.train import DESCRIPTION, EXAMPLES, add_arguments, run


def main(argv=None) -> int:
    """Parse the arguments and train."""
    parser = argparse.ArgumentParser(prog="train.py", description=DESCRIPTION + "\nThe same as imr train.\n",
                                     epilog="examples:\n" + EXAMPLES.replace("imr train", "python train.py"),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
