"""Compare the ``imr_stance`` component's sentence role and polarity with a hand-labelled gold set.

The reader lives in the package: :mod:`nlp_pipeline.model.gold.stance` (its docstring says more)."""
from nlp_pipeline.model.gold.stance import main

if __name__ == "__main__":
    main()
