"""The web page and JSON API (FastAPI TestClient): predictions equal the library's, bad input gets the right status."""
from __future__ import annotations

import html
import json

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nlp_pipeline.letter.parse import parse_letter  # noqa: E402
from nlp_pipeline.io.reading import MAX_FILE_BYTES, decode_letter_bytes  # noqa: E402
from nlp_pipeline.app.server import create_app  # noqa: E402
from nlp_pipeline.types import WHAT_IF_FIELDS  # noqa: E402

MODES = ("draft", "facts")


@pytest.fixture(scope="module")
def models():
    """Both shipped models, loaded once."""
    from nlp_pipeline.predict.outcome import load_model

    return {mode: load_model(mode=mode) for mode in MODES}


@pytest.fixture(scope="module")
def client(models):
    return TestClient(create_app(models))


@pytest.fixture(scope="module")
def draft_bytes(example_draft):
    return example_draft.read_bytes()


def _expected(models, mode, letter) -> list[dict]:
    return json.loads(json.dumps([p.to_dict() for p in models[mode].predict_letter(letter)]))


@pytest.mark.parametrize("mode", MODES)
def test_upload_gives_the_library_predictions(client, models, draft_bytes, mode):
    response = client.post("/api/predict", files={"file": ("draft_letter.txt", draft_bytes, "text/plain")},
                           data={"mode": mode})
    assert response.status_code == 200, response.text
    records = response.json()
    letter = parse_letter(decode_letter_bytes(draft_bytes, ".txt"), source="draft_letter.txt", normalized=True)
    assert len(records) == len(letter.items) > 0
    assert all(r["mode"] == mode and 0 <= r["p_overturned"] <= 1 and r["item"] for r in records)
    assert records == _expected(models, mode, letter)


@pytest.mark.parametrize("mode", MODES)
def test_pasted_json_and_form_give_the_library_predictions(client, models, draft_bytes, mode):
    text = draft_bytes.decode("utf-8")
    expected = _expected(models, mode, parse_letter(text))
    as_json = client.post("/api/predict", json={"text": text, "mode": mode})
    as_form = client.post("/api/predict", data={"text": text, "mode": mode})
    assert as_json.status_code == as_form.status_code == 200
    assert as_json.json() == as_form.json() == expected


def test_both_modes(client, draft_bytes):
    records = client.post("/api/predict", json={"text": draft_bytes.decode(), "mode": "both"}).json()
    assert sorted({r["mode"] for r in records}) == ["draft", "facts"]


@pytest.mark.parametrize("mode", (*MODES, "both"))
def test_result_page(client, draft_bytes, mode):
    response = client.post("/predict", files={"file": ("draft_letter.txt", draft_bytes, "text/plain")},
                           data={"mode": mode})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    letter = parse_letter(draft_bytes.decode())
    for item in letter.items:
        assert html.escape(item.title) in page
    assert "<mark" in page and "toward-" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_pasted_text_page(client, draft_bytes):
    response = client.post("/predict", data={"text": draft_bytes.decode(), "mode": "facts"})
    assert response.status_code == 200 and "<mark" in response.text


def test_form_page(client):
    response = client.get("/")
    assert response.status_code == 200
    for needle in ('type="file"', "<textarea", 'name="mode"', 'value="both"', 'action="/predict"'):
        assert needle in response.text
    assert "<script" not in response.text


@pytest.mark.parametrize("path", ("/api/predict", "/predict"))
def test_broken_pdf_is_400_with_the_reason(client, path):
    response = client.post(path, files={"file": ("broken.pdf", b"not a pdf", "application/pdf")})
    assert response.status_code == 400
    assert "not a PDF file" in (response.json()["detail"] if path.startswith("/api") else response.text)


@pytest.mark.parametrize("path", ("/api/predict", "/predict"))
def test_unsupported_type_is_415(client, path):
    response = client.post(path, files={"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert response.status_code == 415
    assert ".exe" in response.text


def test_oversized_upload_is_413(client):
    response = client.post("/api/predict", files={"file": ("big.txt", b"a" * (MAX_FILE_BYTES + 1), "text/plain")})
    assert response.status_code == 413 and "too large" in response.json()["detail"]


def test_body_limit_without_content_length(models):
    small = TestClient(create_app(models, max_file_bytes=1000))
    body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n"
            + b"a" * (3 * 1024 * 1024) + b"\r\n--B--\r\n")
    response = small.post("/api/predict", content=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                          headers={"content-type": "multipart/form-data; boundary=B"})
    assert response.status_code == 413
    too_big = small.post("/predict", files={"file": ("a.txt", b"a" * 1001, "text/plain")})
    assert too_big.status_code == 413 and "too large" in too_big.text


@pytest.mark.parametrize("request_kwargs", [
    {"json": {"text": ""}}, {"json": {"text": "  \n"}}, {"data": {"text": ""}}, {"data": {"mode": "draft"}},
])
def test_empty_text_is_400(client, request_kwargs):
    response = client.post("/api/predict", **request_kwargs)
    assert response.status_code == 400 and response.json()["detail"]


def test_not_a_letter_is_400(client):
    response = client.post("/api/predict", json={"text": "Dear Sir, thank you for your letter."})
    assert response.status_code == 400 and "not a recognized IMR letter" in response.json()["detail"]
    page = client.post("/predict", data={"text": "Dear Sir, thank you for your letter."})
    assert page.status_code == 400 and "not a recognized IMR letter" in page.text and 'role="alert"' in page.text


def test_bad_mode_and_bad_json_are_422(client, draft_bytes):
    assert client.post("/api/predict", json={"text": "x", "mode": "best"}).status_code == 422
    assert client.post("/api/predict", content=b"{", headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/api/predict", data={"text": draft_bytes.decode(), "mode": "best"}).status_code == 422


def test_openapi_documents_the_api(client, draft_bytes):
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/predict"]["post"]
    assert set(operation["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert {"200", "400", "413", "415"} <= set(operation["responses"])
    assert "/predict" not in schema["paths"]
    documented = schema["components"]["schemas"]["Prediction"]["properties"]
    records = client.post("/api/predict", json={"text": draft_bytes.decode()}).json()
    assert set(documented) == set(records[0]) | set(WHAT_IF_FIELDS)  # those only when what_if is asked for
    with_what_if = client.post("/api/predict?what_if=true", json={"text": draft_bytes.decode()}).json()
    assert set(documented) == set(with_what_if[0])
    assert documented["predicted"]["enum"] == ["Upheld", "Overturned"]


def test_json_request_upload_in_facts_mode(client, models):
    from conftest import ROOT

    data = (ROOT / "examples" / "facts_request.json").read_bytes()
    response = client.post("/api/predict", files={"file": ("request.json", data, "application/json")},
                           data={"mode": "facts"})
    assert response.status_code == 200, response.text
    letter = parse_letter(decode_letter_bytes(data, ".json"), source="request.json", normalized=True)
    assert response.json() == _expected(models, "facts", letter) and len(letter.items) == 3


def test_pasted_json_request(client, models):
    from conftest import ROOT

    text = (ROOT / "examples" / "facts_request.json").read_text(encoding="utf-8")
    response = client.post("/api/predict", json={"text": text, "mode": "facts"})
    assert response.status_code == 200, response.text
    assert [r["p_overturned"] for r in response.json()] == [
        p.p_overturned for p in models["facts"].predict(ROOT / "examples" / "facts_request.json")]
    bad = client.post("/api/predict", json={"text": '{"items": []}', "mode": "facts"})
    assert bad.status_code == 400 and "case_summary" in bad.text


def test_what_if_is_asked_for_by_query_json_or_form_and_equals_the_library(client, models, draft_bytes):
    from nlp_pipeline.predict.what_if import with_what_if

    text = draft_bytes.decode("utf-8")
    letter = parse_letter(text)
    expected = json.loads(json.dumps([p.to_dict() for p in
                                      with_what_if(models["facts"], letter, models["facts"].predict_letter(letter))]))
    by_query = client.post("/api/predict?what_if=true", json={"text": text, "mode": "facts"})
    by_json = client.post("/api/predict", json={"text": text, "mode": "facts", "what_if": True})
    by_form = client.post("/api/predict", data={"text": text, "mode": "facts", "what_if": "true"})
    assert by_query.status_code == by_json.status_code == by_form.status_code == 200
    assert by_query.json() == by_json.json() == by_form.json() == expected
    assert all("what_if" in r for r in expected) and any(r["what_if"] for r in expected)
    plain = client.post("/api/predict", json={"text": text, "mode": "facts"}).json()
    assert not any("what_if" in r for r in plain)
    page = client.post("/predict", data={"text": text, "mode": "facts", "what_if": "true"})
    assert page.status_code == 200 and "What if" in page.text and "what-if" in page.text
