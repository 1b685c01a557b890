"""``imr serve``: a small web page and JSON API over the outcome models (server-rendered, no scripts, no CDN).

``GET /`` is a form (upload a letter or paste its text, pick a model); ``POST /predict`` renders the
predictions; ``POST /api/predict`` returns the records of ``imr predict --format jsonl`` as a JSON list.
Needs the ``serve`` extra (fastapi, uvicorn, python-multipart).
"""
from __future__ import annotations

import threading
from html import escape
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from nlp_pipeline.errors import LetterError, ModelError
from nlp_pipeline.modes import MODE_NAMES
from nlp_pipeline.io.reading import MAX_FILE_BYTES, MAX_TEXT_CHARS, SUPPORTED_SUFFIXES
from nlp_pipeline.types import Prediction
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.predict.service import predict_items
from nlp_pipeline.app import render

MODES = MODE_NAMES
FORM_OVERHEAD = 1024 * 1024  # room for the other form fields and multipart boundaries
# predictions running or waiting for a thread at once; one more is refused with 503 and Retry-After, so a
# burst never grows an unbounded backlog (several `imr serve` processes behind one port scale it out)
MAX_PENDING = 16
RETRY_AFTER_SECONDS = 2
_MODE_HELP = "`draft`: the letter before its decisions (default); `facts`: extracted facts only; `both`."


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"


class InputProblem(Exception):
    """A request the server cannot answer, with its HTTP status, a user-facing ``detail`` and headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers


class _Admission:
    """At most ``limit`` predictions in the server at once (running or queued for a thread); the next one
    is refused at once with 503 and ``Retry-After`` rather than queued without bound."""

    def __init__(self, limit: int):
        self.limit, self.pending, self._lock = limit, 0, threading.Lock()

    def __enter__(self):
        with self._lock:
            if self.pending >= self.limit:
                raise InputProblem(503, f"busy: {self.pending} letters are being read; try again in a moment",
                                   {"Retry-After": str(RETRY_AFTER_SECONDS)})
            self.pending += 1
        return self

    def __exit__(self, *exc):
        with self._lock:
            self.pending -= 1


_WHAT_IF_HELP = ("also per item the edits of the what-if catalogue and how each moves P(Overturned) "
                 "(also as the query parameter what_if=true)")
_YES = {"true", "1", "yes", "on"}


class LetterText(BaseModel):
    """A pasted letter (``application/json`` body of ``POST /api/predict``)."""

    text: str = Field(description="the full text of one IMR determination letter")
    mode: Literal["draft", "facts", "both"] = Field("draft", description=_MODE_HELP)
    what_if: bool = Field(False, description=_WHAT_IF_HELP)


class LetterUpload(BaseModel):
    """An uploaded letter (``multipart/form-data`` body of ``POST /api/predict``); give ``file`` or ``text``."""

    file: bytes | None = Field(None, json_schema_extra={"format": "binary"},
                               description=f"a .pdf, .docx or .txt letter, or a .json before-review request, "
                                           f"at most {_mb(MAX_FILE_BYTES)}")
    text: str | None = Field(None, description="the letter text instead of a file")
    mode: Literal["draft", "facts", "both"] = Field("draft", description=_MODE_HELP)
    what_if: bool = Field(False, description=_WHAT_IF_HELP)


class ErrorRecord(BaseModel):
    """Why a request failed."""

    detail: str


def _request_body_doc() -> dict:
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": LetterUpload.model_json_schema()},
        "application/json": {"schema": LetterText.model_json_schema()},
    }}}


class _BodyLimit:
    """ASGI middleware: stops reading a request body once it is larger than ``limit`` bytes (413)."""

    def __init__(self, app, limit: int, file_limit: int):
        self.app, self.limit, self.file_limit = app, limit, file_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise InputProblem(413, _too_large(received, self.file_limit))
            return message

        await self.app(scope, limited_receive, send)


def _too_large(size: int, limit: int) -> str:
    return f"file too large: over {_mb(size)}, the limit is {_mb(limit)}"


class _Models:
    """The models by mode, loaded on first use (thread-safe)."""

    def __init__(self, models):
        self._models, self._lock = dict(models or {}), threading.Lock()

    def get(self, mode: str):
        with self._lock:
            if mode not in self._models:
                from nlp_pipeline.predict.outcome import load_model

                self._models[mode] = load_model(mode=mode)
            return self._models[mode]


async def read_request(request: Request, max_file_bytes: int = MAX_FILE_BYTES):
    """The parsed Letter, the modes asked for and whether the what-if edits are, from a multipart/urlencoded
    form or a JSON body (``what_if`` also as a query parameter)."""
    letter, modes, what_if = await _read_letter(request, max_file_bytes)
    return letter, modes, what_if or request.query_params.get("what_if", "").lower() in _YES


async def _read_letter(request: Request, max_file_bytes: int):
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_file_bytes + FORM_OVERHEAD:
        raise InputProblem(413, _too_large(int(length), max_file_bytes))
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            payload = LetterText.model_validate_json(await request.body())
        except ValidationError as err:
            raise InputProblem(422, "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                                              for e in err.errors())) from None
        return await run_in_threadpool(_from_text, payload.text), _modes(payload.mode), payload.what_if
    form = await request.form(max_part_size=max_file_bytes)
    upload, text = form.get("file"), form.get("text")
    text = text if isinstance(text, str) else ""
    modes = _modes(form.get("mode") or "draft")
    what_if = str(form.get("what_if") or "").lower() in _YES
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    if has_file and text.strip():
        raise InputProblem(400, "give either a letter file or pasted text, not both")
    if not has_file:
        return await run_in_threadpool(_from_text, text), modes, what_if
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputProblem(415, f"unsupported file type {suffix or '(no extension)'!r}: "
                                f"use {', '.join(SUPPORTED_SUFFIXES)}")
    data = await upload.read(max_file_bytes + 1)
    if len(data) > max_file_bytes:
        raise InputProblem(413, _too_large(len(data), max_file_bytes))
    return await run_in_threadpool(_from_bytes, data, suffix, upload.filename), modes, what_if


def _modes(mode) -> list[str]:
    if mode == "both":
        return list(MODES)
    if mode not in MODES:
        raise InputProblem(422, f"mode must be draft, facts or both, not {str(mode)[:40]!r}")
    return [mode]


def _from_text(text: str):
    if not text.strip():
        raise InputProblem(400, "no letter: upload a letter file or paste its text")
    if len(text) > MAX_TEXT_CHARS:
        raise InputProblem(413, f"text too long: {len(text):,} characters, the limit is {MAX_TEXT_CHARS:,}")
    try:
        return read_letter(text)  # pasted JSON is a before-review request (case summary and items)
    except LetterError as err:
        raise InputProblem(400, err.reason) from None


def _from_bytes(data: bytes, suffix: str, filename: str):
    try:
        return read_letter(data, suffix=suffix, name=filename)
    except LetterError as err:
        raise InputProblem(413 if err.reason.startswith("file too large") else 400, err.reason) from None


def create_app(models: dict | None = None, max_file_bytes: int = MAX_FILE_BYTES,
               max_pending: int = MAX_PENDING) -> FastAPI:
    """The FastAPI app; ``models`` maps mode → OutcomeModel (missing modes are loaded on first use);
    ``max_pending`` bounds the predictions in the server at once (more get 503 with ``Retry-After``)."""
    app = FastAPI(title="IMR outcome prediction", version="1", description=__doc__,
                  docs_url=None, redoc_url=None)  # the docs pages load scripts from a CDN
    app.add_middleware(_BodyLimit, limit=max_file_bytes + FORM_OVERHEAD, file_limit=max_file_bytes)
    registry, admission = _Models(models), _Admission(max_pending)

    async def predict(request: Request):
        with admission:
            letter, modes, what_if = await read_request(request, max_file_bytes)

            def run():
                try:
                    predictions, docs = [], {}  # docs: the parts read once for every mode and the edits
                    for mode in modes:
                        predictions += predict_items(registry.get(mode), letter, what_if, docs)
                    return letter, predictions
                except ModelError as err:
                    raise InputProblem(503, f"model not available: {err}") from None
            return await run_in_threadpool(run)

    @app.exception_handler(InputProblem)
    async def _problem(request: Request, exc: InputProblem):
        return _error(request, exc.status, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_problem(request: Request, exc: StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def form_page():
        return HTMLResponse(render.page("IMR outcome prediction", _form_html()))

    @app.post("/predict", response_class=HTMLResponse, include_in_schema=False)
    async def predict_page(request: Request):
        letter, predictions = await predict(request)
        return HTMLResponse(render.page(f"IMR {letter.case_number or letter.source or 'letter'}",
                                        _results_html(letter, predictions)))

    @app.post("/api/predict", summary="Predict every item of one letter", openapi_extra=_request_body_doc(),
              response_model=None, responses={200: {"model": list[Prediction]},
                                              400: {"model": ErrorRecord, "description": "unreadable letter"},
                                              413: {"model": ErrorRecord, "description": "too large"},
                                              503: {"model": ErrorRecord, "description": "busy: retry after the "
                                                                                        "Retry-After seconds"},
                                              415: {"model": ErrorRecord, "description": "unsupported file type"},
                                              422: {"model": ErrorRecord, "description": "malformed request"}})
    async def predict_api(request: Request) -> JSONResponse:
        """Send ``multipart/form-data`` (``file`` or ``text``, and ``mode``) or JSON ``{"text", "mode"}``.

        Returns one record per item (per model with ``mode=both``), as ``imr predict --format jsonl`` writes them.
        """
        _, predictions = await predict(request)
        return JSONResponse([p.to_dict() for p in predictions])

    return app


def _error(request: Request, status: int, detail: str, headers: dict[str, str] | None = None):
    if request.url.path.startswith("/api") or request.url.path not in ("/", "/predict"):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    return HTMLResponse(render.page("IMR outcome prediction: error", _form_html(detail)), status_code=status,
                        headers=headers)


def _form_html(error: str | None = None) -> str:
    accept = ",".join(SUPPORTED_SUFFIXES)
    alert = (f'<p class="block error" role="alert" style="border-color:#c0392b;color:#c0392b">'
             f"<strong>Error:</strong> {escape(error)}</p>") if error else ""
    options = "".join(f'<option value="{m}"{" selected" if m == "draft" else ""}>{m}</option>'
                      for m in (*MODES, "both"))
    return (
        "<h1>IMR outcome prediction</h1>\n" + alert +
        '<form class="block" method="post" action="/predict" enctype="multipart/form-data">'
        f'<p><label>Letter file ({escape(", ".join(SUPPORTED_SUFFIXES))}, at most {_mb(MAX_FILE_BYTES)}): '
        f'<input type="file" name="file" accept="{accept}"></label></p>'
        '<p><label>or paste the letter text:<br><textarea name="text" rows="10" style="width:100%">'
        "</textarea></label></p>"
        f'<p><label>Model: <select name="mode">{options}</select></label> '
        '<label><input type="checkbox" name="what_if" value="true"> what if: the edits that would move each item'
        '</label> <button type="submit">Predict</button></p></form>'
        '<p class="meta">draft: reads the letter as a reviewer drafts it; facts: uses only the extracted facts.</p>'
    )


def _results_html(letter, predictions) -> str:
    by_mode: dict[str, list] = {}
    for prediction in predictions:
        by_mode.setdefault(prediction.mode, []).append(prediction)
    parts = ['<p class="meta"><a href="/">Predict another letter</a></p>']
    parts += [render.predictions_html(letter, group) for group in by_mode.values()]
    if not predictions:
        parts.append("<p>The letter has no items to predict.</p>")
    return "\n<hr>\n".join(parts)
