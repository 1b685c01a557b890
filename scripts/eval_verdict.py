"""How often the verdict ``imr_verdict`` reads agrees with the stated decision, item by item.

The reader lives in the package: :mod:`nlp_pipeline.model.gold.verdict` (its docstring says more)."""
import sys

from nlp_pipeline.model.gold.verdict import main

if __name__ == "__main__":
    sys.exit(main())
