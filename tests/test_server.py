"""The web page and JSON API (FastAPI TestClient): predictions equal the library's, bad input gets the right status."""
from __future__ import annotations

import html
import json
import re

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


# --- several letters in one upload: the QA overview (issue 29) ---------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _finished(draft_bytes: bytes) -> bytes:
    return draft_bytes.replace(b"[decision pending]", b"Upheld")


def test_several_files_give_the_overview_linked_to_each_item(client, draft_bytes):
    response = client.post("/predict", files=[
        ("file", ("draft_letter.txt", draft_bytes, "text/plain")),
        ("file", ("finished.txt", _finished(draft_bytes), "text/plain")),
        ("file", ("broken.pdf", b"not a pdf", "application/pdf"))], data={"mode": "draft"})
    assert response.status_code == 200, response.text
    page = response.text
    assert "QA overview" in page and "<script>" in page and not re.search(r"https?://|\bsrc=", page)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 7 and "CONTRADICTION" in rows[0] and 'href="#l2-draft-item-3"' in rows[0]
    assert 'id="l2-draft-item-3"' in page and 'id="l1-draft-item-1"' in page  # the anchors the rows link to
    assert "broken.pdf: not a PDF file" in page


def test_a_zip_of_letters_is_read_member_by_member(client, draft_bytes):
    archive = _zip({"a/draft_letter.txt": draft_bytes, "b/finished.txt": _finished(draft_bytes),
                    "notes.exe": b"MZ", "__MACOSX/._x.txt": b"x", ".hidden.txt": b"x"})
    response = client.post("/predict", files={"file": ("letters.zip", archive, "application/zip")})
    assert response.status_code == 200, response.text
    assert "letters.zip/a/draft_letter.txt" in response.text and "letters.zip/notes.exe: unsupported" in response.text
    assert "._x.txt" not in response.text and ".hidden.txt" not in response.text


def test_a_zip_member_too_large_is_refused_before_it_is_read(models, client, draft_bytes, monkeypatch):
    import zipfile

    from nlp_pipeline.app import server

    small = TestClient(create_app(models, max_file_bytes=len(draft_bytes) + 10))
    archive = _zip({"big.txt": b"a" * (len(draft_bytes) + 11), "ok.txt": draft_bytes})
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info, *a, **k: opened.append(
        getattr(info, "filename", info)) or real_open(self, info, *a, **k))
    response = small.post("/predict", files={"file": ("l.zip", archive, "application/zip")})
    assert response.status_code == 200 and "l.zip/big.txt: file too large" in response.text
    assert opened == ["ok.txt"]  # the large member was never opened
    monkeypatch.setattr(zipfile.ZipFile, "open", real_open)
    too_many = _zip({f"{n}.txt": b"x" for n in range(server.MAX_LETTERS + 1)})
    assert client.post("/predict", files={"file": ("m.zip", too_many, "application/zip")}).status_code == 413
    monkeypatch.setattr(server, "MAX_UNPACKED_BYTES", len(draft_bytes))
    two = _zip({"a.txt": draft_bytes, "b.txt": draft_bytes})
    refused = client.post("/predict", files={"file": ("two.zip", two, "application/zip")})
    assert refused.status_code == 413 and "too large unpacked" in refused.text


def test_the_api_reads_one_letter_a_request(client, draft_bytes):
    response = client.post("/api/predict", files=[("file", ("a.txt", draft_bytes, "text/plain")),
                                                  ("file", ("b.txt", draft_bytes, "text/plain"))])
    assert response.status_code == 400 and "one letter a request" in response.json()["detail"]


def test_the_main_page_explains_and_runs_the_shipped_example(client, models):
    form = client.get("/").text
    assert "Independent Medical Review" in form and "medically necessary" in form
    assert 'name="example" value="draft"' in form and 'multiple' in form
    response = client.post("/predict", data={"example": "draft", "mode": "draft", "what_if": "true"})
    assert response.status_code == 200 and "CM26-0000001" in response.text
    assert "what-if-label" in response.text and "How to read this page" in response.text
    assert client.post("/predict", data={"example": "../secret"}).status_code == 422


def test_the_example_is_package_data():
    from importlib.resources import files

    from conftest import ROOT

    shipped = files("nlp_pipeline.examples").joinpath("draft_letter.txt")
    assert shipped.read_bytes() == (ROOT / "examples" / "draft_letter.txt").read_bytes()
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "draft_letter.txt" in config["package-data"]["nlp_pipeline.examples"]
