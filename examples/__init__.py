"""The shipped example letters, installed as ``nlp_pipeline.examples`` (package data: a wheel carries them)."""
