"""The corpus-wide unknowns report: every item the extraction left without a treatment category or

The reader lives in the package: :mod:`nlp_pipeline.model.gold.unknowns` (its docstring says more)."""
import sys

from nlp_pipeline.model.gold.unknowns import main

if __name__ == "__main__":
    sys.exit(main())
