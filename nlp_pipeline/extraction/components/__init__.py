"""spaCy components of the extraction pipeline, one per module, each a registered ``imr_*`` factory."""
from nlp_pipeline.extraction.components import assertions, citations, dates, quantities, roles, rulers, sentences, stance, verdict  # noqa: F401  (registers)
