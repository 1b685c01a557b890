"""The one error type the project raises for input it cannot use."""
from __future__ import annotations

import errno

# an OSError with one of these numbers is a device that cannot take more (no space left, or the quota reached):
# it stops a batch with its own exit code instead of failing one letter
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class LetterError(ValueError):
    """A file or text that cannot be read or parsed as an IMR letter.

    ``reason`` is a short, user-facing sentence; ``source`` names the file when known.
    """

    http_status = 400  # how the server answers it: the request is bad

    def __init__(self, reason: str, source: str | None = None):
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)

    def with_source(self, source: str) -> "LetterError":
        """Return the same error (of the same type) naming ``source``."""
        return type(self)(self.reason, source)


class TooLarge(LetterError):
    """An input over one of the stated limits (file size, pages, characters, unpacked size, nesting, a part's
    length): refused before it is worked on; the server answers it with 413."""

    http_status = 413


class TooDeep(LetterError):
    """A JSON request nested deeper than its limit: refused before anything recurses into it (422)."""

    http_status = 422


class ModelError(RuntimeError):
    """A model directory that is missing, tampered with, unsafe or of the wrong mode."""


class Cancelled(RuntimeError):
    """Work stopped at its next check because its caller gave up on it (the review server's client went away, or
    its time limit passed): a thread cannot be stopped from outside, so long loops look at a cancel token."""
