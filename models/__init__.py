"""The shipped outcome models (``draft/``, ``facts/``), installed as package data ``nlp_pipeline.shipped_models``.

This folder is mapped into the package by ``pyproject.toml`` so a wheel carries the models; code finds it through
:data:`nlp_pipeline.model.files.MODELS_DIR`, never by a path relative to a checkout.
"""
