"""Read California workers' compensation IMR determination letters and predict item outcomes."""
from nlp_pipeline.errors import LetterError, ModelError
from nlp_pipeline.types import Entity, Evidence, Item, Letter, Prediction, Reviewer, TextSpan

__version__ = "0.1.0"

__all__ = [
    "Entity", "Evidence", "Item", "Letter", "LetterError", "ModelError", "Prediction",
    "Reviewer", "TextSpan", "__version__",
]
