"""Amounts read from invented case sentences: the earlier amount of the requested treatment, and the requested

The reader lives in the package: :mod:`nlp_pipeline.model.gold.amounts` (its docstring says more)."""
import sys

from nlp_pipeline.model.gold.amounts import main

if __name__ == "__main__":
    sys.exit(main())
