"""What the scripts that save figures for the model card share (``--json``, ``--write``): the package's
:mod:`nlp_pipeline.model.gold.common`."""
from nlp_pipeline.model.gold.common import add_output_arguments, publish  # noqa: F401
