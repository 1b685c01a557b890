"""Coverage and status agreement of the guideline knowledge base (``data/recommendations.jsonl``) on invented

The reader lives in the package: :mod:`nlp_pipeline.model.gold.recommendations` (its docstring says more)."""
import sys

from nlp_pipeline.model.gold.recommendations import main

if __name__ == "__main__":
    sys.exit(main())
