"""Sentence boundaries against a gold set: the pipeline's splitter beside spaCy's plain sentencizer, and

The reader lives in the package: :mod:`nlp_pipeline.model.gold.sentences` (its docstring says more)."""
import sys

from nlp_pipeline.model.gold.sentences import main

if __name__ == "__main__":
    sys.exit(main())
