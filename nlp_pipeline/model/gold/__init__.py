"""The hand-labelled and invented gold sets (``tests/data/``) read against the pipeline: one module per set, each
with the ``main`` its script in ``scripts/`` runs."""
