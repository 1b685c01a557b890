"""The review server under concurrent users: a real `imr serve` process on loopback, 240 PDF uploads from
8 threads. Every request is answered (2xx, or 503 with Retry-After when the bounded queue is full, never a
crash), the process is alive after, and the answers equal the library's on the same files."""
from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

UPLOADS, CLIENTS = 240, 8  # the load: 240 uploads from 8 concurrent clients


@pytest.fixture(scope="module")
def server():
    port = free_port()
    code = f"from nlp_pipeline.app.cli import main; main(['serve', '--port', '{port}', '--max-pending', '6'])"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("imr serve did not start: " + process.stderr.read().decode()[-2000:])
    yield process, base
    process.terminate()
    process.wait(timeout=20)


def test_concurrent_pdf_uploads_are_all_answered(server, letters_dir, draft_model):
    process, base = server
    paths = sorted(letters_dir.glob("*.pdf"))
    jobs = [paths[i % len(paths)] for i in range(UPLOADS)]

    def upload(path):
        """Post until answered: a 503 (queue full, by design) is retried, as its Retry-After asks (sooner)."""
        seen = []
        for _ in range(200):
            response = httpx.post(base + "/api/predict", data={"mode": "draft"}, timeout=120,
                                  files={"file": (path.name, path.read_bytes(), "application/pdf")})
            seen.append(response)
            if response.status_code != 503:
                break
            time.sleep(0.05)
        return path, response, seen

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(upload, jobs))
    every = [r for _, _, seen in results for r in seen]
    assert all(r.status_code in (200, 503) for r in every), sorted({r.status_code for r in every})
    assert all(r.headers.get("retry-after") for r in every if r.status_code == 503)
    answers = [(path, response) for path, response, _ in results]
    assert all(response.status_code == 200 for _, response in answers)
    assert process.poll() is None and httpx.get(base + "/", timeout=5).status_code == 200
    expected = {}
    for path, response in answers:
        if response.status_code != 200:
            continue
        if path not in expected:
            expected[path] = [(p.item_index, p.predicted, p.p_overturned, p.basis)
                              for p in draft_model.predict(path)]
        got = [(r["item_index"], r["predicted"], r["p_overturned"], r["basis"]) for r in response.json()]
        assert got == expected[path], path.name


def test_a_30_mb_upload_is_refused_with_413(server):
    process, base = server
    response = httpx.post(base + "/api/predict", files={"file": ("big.pdf", b"%PDF" + b"0" * (30 * 2**20), "application/pdf")},
                          timeout=120)
    assert response.status_code == 413
    assert process.poll() is None
