"""Shared fixtures: the shared letters (read in place, never copied) and the example draft."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
LETTERS_DIR = SHARED_DATA / "letters"
SEEDS_DIR = SHARED_DATA / "seeds"
EXAMPLE_DRAFT = ROOT / "examples" / "draft_letter.txt"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(folder: Path) -> Path:
    if not folder.is_dir():
        if IN_CI:
            pytest.fail(f"{folder} is missing: in CI the tests that need the shared letters must run")
        pytest.skip(f"{folder} is not available (the shared letters; with CI=true they must be present)")
    return folder


@pytest.fixture(scope="session")
def letters_dir() -> Path:
    """The 129 real PDF letters."""
    return _require(LETTERS_DIR)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The 5 seed letters (text)."""
    return _require(SEEDS_DIR)


def free_port() -> int:
    """A free TCP port on loopback, for a server a test starts."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_letter_paths() -> list[Path]:
    """Every shared letter (empty when the folder is absent outside CI)."""
    paths = sorted(LETTERS_DIR.glob("*.pdf")) + sorted(SEEDS_DIR.glob("*.txt"))
    if not paths and IN_CI:
        raise RuntimeError(f"no shared letters under {SHARED_DATA}: in CI they must be present")
    return paths


def shared_letter_params(names: tuple[str, ...] | None = None) -> list:
    """The shared letters (those named, when ``names`` is given) as parameters of a test; without the folder
    (outside CI) one skipped parameter whose reason names the folder, so the skip says what is missing."""
    paths = [p for p in shared_letter_paths() if names is None or p.name in names]
    if paths:
        return [pytest.param(p, id=p.name) for p in paths]
    return [pytest.param(None, id="no-shared-letters",
                         marks=pytest.mark.skip(reason=f"{SHARED_DATA} is not available (the shared letters)"))]


@pytest.fixture(scope="session")
def example_draft() -> Path:
    """The invented draft letter the project ships."""
    return EXAMPLE_DRAFT


@pytest.fixture(scope="session")
def nlp():
    """The extraction pipeline (blank English + the project's components)."""
    from nlp_pipeline.extraction.pipeline import build_nlp

    return build_nlp()


@pytest.fixture(scope="session")
def seed_facts(seeds_dir):
    """Seed file prefix → (Letter, LetterFacts)."""
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.facts.extract import extract_letter

    out = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        letter = load_letter(path)
        out[path.name[:3]] = (letter, extract_letter(letter))
    return out


@pytest.fixture(scope="session")
def draft_model():
    """The shipped draft-mode model."""
    from nlp_pipeline.predict.outcome import load_model

    return load_model(mode="draft")


@pytest.fixture(scope="session")
def facts_model():
    """The shipped facts-mode model."""
    from nlp_pipeline.predict.outcome import load_model

    return load_model(mode="facts")


@contextlib.contextmanager
def serving(app):
    """``app`` served by uvicorn on a free loopback port in a thread (logging left to the root logger, so caplog
    sees every record); its base URL and port."""
    import threading
    import time

    uvicorn = pytest.importorskip("uvicorn")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
