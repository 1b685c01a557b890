"""Compare the pipeline's per-item treatment category and requested count with a hand-labelled gold set.

The reader lives in the package: :mod:`nlp_pipeline.model.gold.extraction` (its docstring says more)."""
from nlp_pipeline.model.gold.extraction import main

if __name__ == "__main__":
    main()
