"""Treatment category and requested count of invented request titles, each read as a one-item request.

The reader lives in the package: :mod:`nlp_pipeline.model.gold.titles` (its docstring says more)."""
import sys

from nlp_pipeline.model.gold.titles import main

if __name__ == "__main__":
    sys.exit(main())
