"""The one predict flow the command line, the review server and evaluation call: a letter in whatever form a
user has it, every item predicted by a loaded model, with the what-if edits when asked."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from nlp_pipeline.errors import Cancelled
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.types import Letter, Prediction

if TYPE_CHECKING:
    import threading

    from nlp_pipeline.predict.outcome import OutcomeModel


def check(cancel: threading.Event | None) -> None:
    """Raise :class:`~nlp_pipeline.errors.Cancelled` when ``cancel`` (a cancel token) is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("the work was given up on (its client went away or its time ran out)")


class _Checked:
    """``model`` with every reading of a letter preceded by a look at the cancel token: the what-if edits re-read
    the letter once per edit through it, so work given up on stops at the next edit."""

    def __init__(self, model: OutcomeModel, cancel: threading.Event):
        self._model, self._cancel = model, cancel

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def predict_letter(self, *args, **kwargs):
        check(self._cancel)
        return self._model.predict_letter(*args, **kwargs)


def predict_items(model: OutcomeModel, letter: Letter, what_if: bool = False, docs: dict | None = None,
                  what_if_items: int | None = None, cancel: threading.Event | None = None) -> list[Prediction]:
    """Every item of a parsed letter predicted by ``model``; with ``what_if`` each carries the catalogue's edits
    and how each moves it (:mod:`nlp_pipeline.predict.what_if`). ``docs`` keeps the parts the pipeline read, so
    that a second model (the server's "both" modes) or the edits' re-reading does not read them again.

    ``what_if_items`` caps how many items of one letter get the edits (each item's edits are a handful of
    re-readings): the items past the cap carry a warning that says so, and no edits.

    ``cancel``: a cancel token (a :class:`threading.Event`) looked at before the letter is read and before each
    what-if re-reading; once it is set, :class:`~nlp_pipeline.errors.Cancelled` is raised there (the review server
    sets it when the client goes away or the time limit passes, so the thread ends within one re-reading)."""
    if what_if and docs is None:
        docs = {}
    if cancel is not None:
        model = _Checked(model, cancel)
    predictions = model.predict_letter(letter, docs=docs)
    if what_if and predictions:
        from nlp_pipeline.predict.what_if import with_what_if

        cap = len(predictions) if what_if_items is None else max(0, what_if_items)
        shown = with_what_if(model, letter, predictions[:cap], docs) if cap else []
        note = (f"what-if edits not computed for this item: the letter has {len(predictions)} items, over the cap of "
                f"{cap} items per letter")
        predictions = shown + [replace(p, warnings=(*p.warnings, note)) for p in predictions[cap:]]
    return predictions


def predict_source(model: OutcomeModel, source: str | Path | Letter | dict | bytes, what_if: bool = False
                   ) -> tuple[Letter, list[Prediction]]:
    """The letter read from ``source`` (:func:`nlp_pipeline.letter.parse.read_letter`) and its predictions."""
    letter = read_letter(source)
    return letter, predict_items(model, letter, what_if)
