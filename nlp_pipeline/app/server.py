"""``imr serve``: a small web page and JSON API over the outcome models (server-rendered, no CDN).

``GET /`` says what the tool does and is a form (upload one letter, several, or a .zip of letters, or paste a
letter's text, or try the shipped example with one click; pick a model); ``POST /predict`` renders the
predictions (several letters: the QA overview ``imr predict --format html`` writes as index.html, with each
letter's predictions below it); ``POST /api/predict`` returns the records of ``imr predict --format jsonl`` as a
JSON list for one letter. With a token, the API needs ``Authorization: Bearer TOKEN`` and the pages a login
(``/login``: the token typed once, then a session cookie; ``/logout``). Needs the ``serve`` extra (fastapi,
uvicorn, python-multipart).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import secrets
import threading
import time
import unicodedata
import urllib.parse
import zipfile
import zlib
from html import escape
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, cookie_parser

from nlp_pipeline.errors import LetterError, ModelError
from nlp_pipeline.modes import MODE_NAMES
from nlp_pipeline.io.reading import MAX_FILE_BYTES, MAX_TEXT_CHARS, SUPPORTED_SUFFIXES
from nlp_pipeline.types import Prediction
from nlp_pipeline.letter.parse import read_letter
from nlp_pipeline.predict.service import check, predict_items
from nlp_pipeline.app import render

MODES = MODE_NAMES
FORM_OVERHEAD = 1024 * 1024  # room for the other form fields and multipart boundaries
MAX_LETTERS = 50  # letters in one upload (files, or members of a .zip)
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # the members of the .zip files of one upload, unpacked, at most
EXAMPLES = {"draft": "draft_letter.txt"}  # the one-click examples of the main page (package nlp_pipeline.examples)
# predictions running or waiting for a thread at once; one more is refused with 503 and Retry-After, so a
# burst never grows an unbounded backlog (several `imr serve` processes behind one port scale it out)
MAX_PENDING = 16
RETRY_AFTER_SECONDS = 2
# a request's body must arrive within READ_TIMEOUT seconds (else 408), read whole before the request takes one of
# the busy slots, so a slow or stalled sender holds no slot; its work (reading the letters, predicting) is answered
# with 503 after TIME_LIMIT seconds
READ_TIMEOUT = 60.0
TIME_LIMIT = 120.0
# while a request's work runs, every POLL_SECONDS the server looks whether its client is still there and its time
# limit not passed; if not, the work is cancelled (it stops at its next check: between letters, items and what-if
# re-readings) and its slot is freed when its thread ends
POLL_SECONDS = 0.25
# items of one letter given the what-if edits (a handful of re-readings per item: a JSON request listing thousands
# of items would otherwise be that many times the work); the items past it say so in their warnings
WHAT_IF_ITEMS = 20
# an upload over the limit is read on and thrown away up to this size before the 413 is sent (as nginx's
# lingering close does): a client that sends its whole body before reading the answer (urllib, requests) then
# reads the 413 instead of a reset connection; a larger one is cut off at once
DRAIN_BYTES = 64 * 1024 * 1024
_MODE_HELP = "`draft`: the letter before its decisions (default); `facts`: extracted facts only; `both`."


def _script_source(script: str) -> str:
    """A CSP source allowing one inline script, by the SHA-256 of its text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


# on every answer: never cached (result pages carry patients' medical data), nothing loaded but the page's own
# inline style and its one inline script (the QA overview's, allowed by its hash), never framed, never sniffed
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                f"script-src {_script_source(render.INDEX_SCRIPT)}; form-action 'self'; "
                                "base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # no address of the server's pages sent to another site; same-origin rather than no-referrer, under which a
    # browser sends its form posts with "Origin: null" and the login's Origin check could not tell them apart
    "Referrer-Policy": "same-origin",
}


class _SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every response (replacing any of the same name)."""

    _names = {name.lower().encode("latin-1") for name in SECURITY_HEADERS}
    _headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_secured(message):
            if message["type"] == "http.response.start":
                kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in self._names]
                message = {**message, "headers": kept + self._headers}
            await send(message)

        await self.app(scope, receive, send_secured)


TOKEN_ENV = "IMR_SERVE_TOKEN"  # the access token, when not given in a file
PAGE_PATHS = ("/", "/predict")  # the pages a person uses (the login form answers there); the rest is the API
LOGIN_PATH, LOGOUT_PATH = "/login", "/logout"
SESSION_COOKIE = "imr_session"
SESSION_SECONDS = 12 * 3600  # a login lasts a working day
MAX_LOGIN_BYTES = 4096
_UNAUTHORIZED = [(b"www-authenticate", b'Bearer realm="imr"')]


class _Access:
    """Who may use a server that has a token: a program sends ``Authorization: Bearer TOKEN``; a person types the
    token into the login form once, and their browser then carries a session cookie.

    The cookie is ``EXPIRES.NONCE.SIGNATURE``: the SIGNATURE an HMAC-SHA256, keyed by a hash of the token, of the
    expiry time and a random nonce. It is neither the token nor anything the token can be read from; it is
    checked without any state kept (so several worker processes behind one port accept each other's), runs out
    after :data:`SESSION_SECONDS`, and is void for every browser once the token changes. Every comparison is
    constant-time (:func:`hmac.compare_digest`)."""

    def __init__(self, token: str):
        self._bearer = hashlib.sha256(f"Bearer {token}".encode()).digest()
        self._token = hashlib.sha256(token.encode()).digest()
        self._key = hashlib.sha256(b"imr serve session key\0" + token.encode()).digest()

    def bearer_ok(self, header: bytes) -> bool:
        """Whether an ``Authorization`` header carries the token."""
        return hmac.compare_digest(hashlib.sha256(header).digest(), self._bearer)

    def token_ok(self, given: str) -> bool:
        """Whether ``given`` (typed into the login form) is the token (compared as hashes: the same length)."""
        return hmac.compare_digest(hashlib.sha256(given.encode("utf-8", "replace")).digest(), self._token)

    def new_session(self) -> str:
        """A session cookie's value, good for :data:`SESSION_SECONDS`."""
        expires, nonce = str(int(time.time()) + SESSION_SECONDS), secrets.token_urlsafe(16)
        return f"{expires}.{nonce}.{self._sign(expires, nonce)}"

    def session_ok(self, value: str) -> bool:
        """Whether ``value`` is a session cookie this token signed and not yet expired."""
        parts = value.split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            return False
        expires, nonce, signature = parts
        return hmac.compare_digest(signature.encode(), self._sign(expires, nonce).encode()) and \
            int(expires) > time.time()

    def _sign(self, expires: str, nonce: str) -> str:
        return hmac.new(self._key, f"{expires}.{nonce}".encode(), hashlib.sha256).hexdigest()


def same_origin(headers: dict[bytes, bytes], required: bool = True) -> bool:
    """Whether a POST comes from a page of this server: its ``Origin`` names the host of its ``Host`` header (a
    browser sends ``Origin`` with every POST; a form on another site names that site). Without an ``Origin``:
    ``not required``. With SameSite=Strict on the session cookie this is the server's guard against cross-site
    requests (CSRF)."""
    origin = headers.get(b"origin", b"").decode("latin-1").strip().lower()
    if not origin:
        return not required
    host = headers.get(b"host", b"").decode("latin-1").strip().lower()
    return origin.split("://", 1)[-1] == host and origin.startswith(("http://", "https://"))


class _Gate:
    """ASGI middleware: a request must name an allowed host (``hosts``; None: any) and, when the server has a
    token (``access``), carry it, before anything is read: the API as ``Authorization: Bearer TOKEN`` (else 401,
    as JSON); the pages (:data:`PAGE_PATHS`) that header or a session cookie from the login form (else 401 with
    the login form), and a POST with the cookie must come from one of the server's own pages (else 403). The
    login and logout paths are open (their routes check what they are sent)."""

    def __init__(self, app, access: _Access | None = None, hosts: frozenset[str] | None = None):
        self.app, self.access, self.hosts = app, access, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if self.hosts is not None:
            host = _host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.hosts:
                return await _refuse(send, 400, f"host {host[:60]!r} is not served here; the allowed hosts are "
                                                f"{', '.join(sorted(self.hosts))} (imr serve --allow-host)")
        path = scope.get("path", "")
        if self.access is None or path in (LOGIN_PATH, LOGOUT_PATH) or self.access.bearer_ok(
                headers.get(b"authorization", b"")):
            return await self.app(scope, receive, send)
        if path not in PAGE_PATHS:
            return await _refuse(send, 401, "a token is needed: send the header Authorization: Bearer TOKEN",
                                 _UNAUTHORIZED)
        session = cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(SESSION_COOKIE, "")
        if not self.access.session_ok(session):
            return await _refuse(send, 401, "", _UNAUTHORIZED, html=_login_page())
        if scope.get("method") == "POST" and not same_origin(headers):
            return await _refuse(send, 403, "", html=_login_page(
                "this form was not sent from this server's own page; open the page again and send it from there"))
        scope.setdefault("state", {})["session"] = True  # logged in by the form: the pages offer to log out
        await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """The name of a Host header, without its port, lower case (``[::1]:8000`` → ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _refuse(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = (),
                  html: str | None = None) -> None:
    """Answer ``status`` with ``{"detail": detail}`` as JSON, or with the page ``html``."""
    import json

    body = json.dumps({"detail": detail}).encode("utf-8") if html is None else html.encode("utf-8")
    kind = b"application/json" if html is None else b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def shown_name(name: str) -> str:
    """A file name as it is shown: each invisible or direction-changing character (Unicode's format and control
    characters: U+202E RIGHT-TO-LEFT OVERRIDE and the other bidirectional controls, zero-width spaces, ...) written
    as its code point written out (a backslash, ``u`` and four hex digits), so that a name reversed by a
    right-to-left override cannot pass for another (``invoice``, U+202E, ``fdp.txt`` shows as ``invoicetxt.pdf``)."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp", "Cs") else ch
                   for ch in name)


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"


class _ClientGone(Exception):
    """The client closed its connection before its answer: nothing is sent, nothing is logged."""


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
                while message.get("more_body") and received <= DRAIN_BYTES:  # the rest, thrown away
                    message = await receive()
                    received += len(message.get("body", b""))
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


async def read_request(request: Request, max_file_bytes: int = MAX_FILE_BYTES, cancel: threading.Event | None = None):
    """The parsed Letter, the modes asked for and whether the what-if edits are, from a multipart/urlencoded
    form or a JSON body (``what_if`` also as a query parameter); one letter (several are refused: 400)."""
    letters, modes, what_if, batch = await read_letters(request, max_file_bytes, cancel)
    if batch:
        raise InputProblem(400, "the API reads one letter a request: send each letter in a request of its own "
                                "(the page /predict takes several, or a .zip)")
    return letters[0][1], modes, what_if


async def read_letters(request: Request, max_file_bytes: int = MAX_FILE_BYTES, cancel: threading.Event | None = None):
    """The letters of a request as ``(name, Letter or None, error or None)``, the modes, the what-if wish, and
    whether it is a batch (several files, or a .zip: each letter that cannot be read is an error of its own
    there; a single letter that cannot be read raises :class:`InputProblem`). ``cancel``: a batch's letters stop
    being read once it is set (:class:`~nlp_pipeline.errors.Cancelled`)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_file_bytes + FORM_OVERHEAD:
        raise InputProblem(413, _too_large(int(length), max_file_bytes))
    query_what_if = request.query_params.get("what_if", "").lower() in _YES
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            payload = LetterText.model_validate_json(await request.body())
        except ValidationError as err:
            raise InputProblem(422, "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                                              for e in err.errors())) from None
        letter = await run_in_threadpool(_from_text, payload.text)
        return [(letter.source, letter, None)], _modes(payload.mode), payload.what_if or query_what_if, False
    form = await request.form(max_part_size=max_file_bytes)
    uploads = [u for u in form.getlist("file") if isinstance(u, UploadFile) and u.filename]
    text = form.get("text")
    text = text if isinstance(text, str) else ""
    modes = _modes(form.get("mode") or "draft")
    what_if = str(form.get("what_if") or "").lower() in _YES or query_what_if
    example = form.get("example")
    if example:
        return [await run_in_threadpool(_example, str(example))], modes, what_if, False
    if uploads and text.strip():
        raise InputProblem(400, "give either letter files or pasted text, not both")
    if not uploads:
        letter = await run_in_threadpool(_from_text, text)
        return [(letter.source, letter, None)], modes, what_if, False
    batch = len(uploads) > 1 or any(Path(u.filename).suffix.lower() == ".zip" for u in uploads)
    files = []  # (name, bytes or None, error or None)
    for upload in uploads:
        suffix = Path(upload.filename).suffix.lower()
        upload.filename = shown_name(upload.filename)
        if suffix != ".zip" and suffix not in SUPPORTED_SUFFIXES:
            problem = InputProblem(415, f"unsupported file type {suffix or '(no extension)'!r}: "
                                        f"use {', '.join(SUPPORTED_SUFFIXES)}" + (" or .zip" if batch else ""))
            if not batch:
                raise problem
            files.append((upload.filename, None, problem.detail))
            continue
        data = await upload.read(max_file_bytes + 1)
        if len(data) > max_file_bytes:
            if not batch:
                raise InputProblem(413, _too_large(len(data), max_file_bytes))
            files.append((upload.filename, None, _too_large(len(data), max_file_bytes)))
        elif suffix == ".zip":
            files += await run_in_threadpool(zip_members, data, upload.filename, max_file_bytes)
        else:
            files.append((upload.filename, data, None))
    if len(files) > MAX_LETTERS:
        raise InputProblem(400, f"too many letters: {len(files)}, at most {MAX_LETTERS} in one upload")
    if not batch:
        name, data, _ = files[0]
        letter = await run_in_threadpool(_from_bytes, data, Path(name).suffix.lower(), name)
        return [(name, letter, None)], modes, what_if, False
    return await run_in_threadpool(_read_all, files, cancel), modes, what_if, True


def zip_members(data: bytes, name: str, max_file_bytes: int = MAX_FILE_BYTES) -> list[tuple[str, bytes | None, str | None]]:
    """The letters inside a .zip as ``(name, bytes or None, error or None)``: every member's uncompressed size is
    checked before it is read (one over ``max_file_bytes`` is an error of its own; all of them over
    :data:`MAX_UNPACKED_BYTES`, or more than :data:`MAX_LETTERS`, refuse the upload: 413), and no more than it
    declares is ever read; folders, hidden files and files of other types are passed over or named."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return [(name, None, "not a zip file")]
    members = [info for info in archive.infolist() if not info.is_dir()
               and not any(part.startswith(".") or part == "__MACOSX" for part in Path(info.filename).parts)]
    if len(members) > MAX_LETTERS:
        raise InputProblem(413, f"too many files in {name}: {len(members)}, at most {MAX_LETTERS} letters")
    unpacked = sum(info.file_size for info in members if info.file_size <= max_file_bytes)
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputProblem(413, f"{name} is too large unpacked: {_mb(unpacked)}, the limit is "
                                f"{_mb(MAX_UNPACKED_BYTES)}")
    out = []
    for info in members:
        member = f"{name}/{shown_name(info.filename)}"
        suffix = Path(info.filename).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            out.append((member, None, f"unsupported file type {suffix or '(no extension)'!r}: "
                                      f"use {', '.join(SUPPORTED_SUFFIXES)}"))
        elif info.file_size > max_file_bytes:
            out.append((member, None, _too_large(info.file_size, max_file_bytes)))
        else:
            try:
                with archive.open(info) as handle:
                    content = handle.read(info.file_size + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error) as err:
                out.append((member, None, f"cannot unpack it: {err}"))
                continue
            if len(content) > info.file_size:  # more than it declares: refused, never read on
                out.append((member, None, "its size differs from the size the zip declares"))
            else:
                out.append((member, content, None))
    return out


def _read_all(files, cancel: threading.Event | None = None):
    """Each file of a batch read: ``(name, Letter or None, error or None)``; stopped once ``cancel`` is set."""
    out = []
    for name, data, error in files:
        check(cancel)
        if error is not None:
            out.append((name, None, error))
            continue
        try:
            out.append((name, _from_bytes(data, Path(name).suffix.lower(), name), None))
        except InputProblem as problem:
            out.append((name, None, problem.detail))
    return out


def _example(name: str):
    """A shipped example letter (:data:`EXAMPLES`), read as an upload of it is."""
    from importlib.resources import files

    if name not in EXAMPLES:
        raise InputProblem(422, f"no example {name[:40]!r}: the examples are {', '.join(EXAMPLES)}")
    data = files("nlp_pipeline.examples").joinpath(EXAMPLES[name]).read_bytes()
    return EXAMPLES[name], _from_bytes(data, Path(EXAMPLES[name]).suffix, EXAMPLES[name]), None


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
        raise InputProblem(err.http_status, err.reason) from None


def _from_bytes(data: bytes, suffix: str, filename: str):
    try:
        return read_letter(data, suffix=suffix, name=filename)
    except LetterError as err:  # 413 over a limit, 422 nested too deep, 400 not a letter
        raise InputProblem(err.http_status, err.reason) from None


def create_app(models: dict | None = None, max_file_bytes: int = MAX_FILE_BYTES,
               max_pending: int = MAX_PENDING, token: str | None = None,
               allowed_hosts: set[str] | frozenset[str] | None = None, time_limit: float = TIME_LIMIT,
               read_timeout: float = READ_TIMEOUT, what_if_items: int = WHAT_IF_ITEMS) -> FastAPI:
    """The FastAPI app; ``models`` maps mode → OutcomeModel (missing modes are loaded on first use);
    ``max_pending`` bounds the predictions in the server at once (more get 503 with ``Retry-After``); ``token``:
    every request must carry ``Authorization: Bearer TOKEN`` (401 without); ``allowed_hosts``: the names a request's
    Host header may give (400 otherwise; None: any, as for ``uvicorn --factory``; ``imr serve`` always gives them);
    ``read_timeout``: seconds for a body to arrive (408 after); ``time_limit``: seconds of work a request gets (503
    after); ``what_if_items``: the items of one letter given the what-if edits (the rest say so in a warning)."""
    app = FastAPI(title="IMR outcome prediction", version="1", description=__doc__,
                  docs_url=None, redoc_url=None)  # the docs pages load scripts from a CDN
    app.add_middleware(_BodyLimit, limit=max_file_bytes + FORM_OVERHEAD, file_limit=max_file_bytes)
    access = _Access(token) if token else None
    app.add_middleware(_Gate, access=access,
                       hosts=None if allowed_hosts is None else frozenset(_host_name(h) for h in allowed_hosts))
    app.add_middleware(_SecurityHeaders)  # the outermost: on every answer, the refusals of the others too
    registry, admission = _Models(models), _Admission(max_pending)
    app.state.admission = admission  # its ``pending``: the busy slots taken (read by the load tests)

    def predict_letter(letter, modes, what_if, cancel=None):
        try:
            predictions, docs = [], {}  # docs: the parts read once for every mode and the edits
            for mode in modes:
                predictions += predict_items(registry.get(mode), letter, what_if, docs, what_if_items, cancel=cancel)
            return predictions
        except ModelError as err:
            raise InputProblem(503, f"model not available: {err}") from None
        except LetterError as err:  # a part longer than the pipeline reads at once: 413
            raise InputProblem(err.http_status, err.reason) from None

    def usual_rates(modes) -> dict[str, float | None]:
        return {mode: registry.get(mode).usual_rate for mode in modes}

    async def received(request: Request) -> None:
        """The request's body read whole (and size-checked, :class:`_BodyLimit`) within ``read_timeout``, before
        the request takes a busy slot: a slow sender waits without one (408 when it is too slow). A body declared
        over the limit is refused unread when its client waits for ``100-continue`` (it then sends nothing) or when
        it is over :data:`DRAIN_BYTES`."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_file_bytes + FORM_OVERHEAD and (
                "100-continue" in request.headers.get("expect", "").lower() or int(length) > DRAIN_BYTES):
            raise InputProblem(413, _too_large(int(length), max_file_bytes))
        try:
            await asyncio.wait_for(request.body(), read_timeout)
        except asyncio.TimeoutError:
            raise InputProblem(408, f"the request did not arrive within {read_timeout:g} s; send it again") from None
        except ClientDisconnect:  # the sender went away before its body was whole
            raise _ClientGone() from None

    async def bounded(request: Request, read, work):
        """``read(cancel)`` (the letters of a received request) then ``work(*read(cancel), cancel)`` in a thread, in
        one busy slot, watched every :data:`POLL_SECONDS`: when the client goes away or ``time_limit`` seconds pass
        (503), the cancel token is set, and the work stops at its next check (between letters, items and what-if
        re-readings: :func:`nlp_pipeline.predict.service.check`). The slot stays taken until the work's thread ends
        (a thread cannot be stopped from outside), so work that was given up on never lets more than
        ``max_pending`` run at once; the token makes that end come within one re-reading of a letter."""
        admission.__enter__()
        cancel = threading.Event()

        async def job():
            got = await read(cancel)
            check(cancel)
            return got, await run_in_threadpool(work, *got, cancel)

        task = asyncio.ensure_future(job())
        task.add_done_callback(_release_when_done)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + time_limit
        while not task.done():
            await asyncio.wait({task}, timeout=max(0.0, min(POLL_SECONDS, deadline - loop.time())))
            if task.done():
                break
            if await request.is_disconnected():
                cancel.set()
                raise _ClientGone()
            if loop.time() >= deadline:
                cancel.set()
                raise InputProblem(503, f"the letters took longer than the {time_limit:g} s a request may take; "
                                        "send fewer letters or items, or leave out what if",
                                   {"Retry-After": str(RETRY_AFTER_SECONDS)})
        return task.result()

    def _release_when_done(task) -> None:
        admission.__exit__()
        if not task.cancelled():
            task.exception()  # retrieved: when the work was given up on, its answer was given already (or not wanted)

    async def predict(request: Request):
        await received(request)
        (letter, _, _), predictions = await bounded(
            request, lambda cancel: read_request(request, max_file_bytes, cancel), predict_letter)
        return letter, predictions

    async def predict_batch(request: Request):
        """Each letter of the request and its predictions (or its error), the modes, and whether it is a batch."""
        await received(request)

        def run(letters, modes, what_if, batch, cancel):
            results = []
            for name, letter, error in letters:
                if letter is not None:
                    try:
                        error = predict_letter(letter, modes, what_if, cancel)
                    except InputProblem as problem:  # in a batch, a letter that cannot be read is a row of its own
                        if not batch or problem.status == 503:
                            raise
                        letter, error = None, problem.detail
                results.append((name, letter, error))
            return results, usual_rates(modes)
        (_, _, _, batch), (results, rates) = await bounded(
            request, lambda cancel: read_letters(request, max_file_bytes, cancel), run)
        return results, rates, batch

    @app.exception_handler(InputProblem)
    async def _problem(request: Request, exc: InputProblem):
        return _error(request, exc.status, exc.detail, exc.headers)

    @app.exception_handler(_ClientGone)
    async def _gone(request: Request, exc: _ClientGone):
        # the client is not there to read it (the server drops it unsent); 499, as nginx logs a client that closed
        return Response(status_code=499)

    @app.exception_handler(StarletteHTTPException)
    async def _http_problem(request: Request, exc: StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def form_page(request: Request):
        return HTMLResponse(render.page("IMR outcome prediction", _form_html(logout=_logged_in(request))))

    @app.get(LOGIN_PATH, response_class=HTMLResponse, include_in_schema=False)
    async def login_page():
        return HTMLResponse(_login_page()) if access is not None else RedirectResponse("/", 303)

    @app.post(LOGIN_PATH, response_class=HTMLResponse, include_in_schema=False)
    async def login(request: Request):
        """The login form's token checked: right, a session cookie and back to the page; wrong, 401 and the form."""
        if access is None:
            return RedirectResponse("/", 303)
        if not same_origin(dict(request.scope["headers"]), required=False):
            return HTMLResponse(_login_page("this form was not sent from this server's own page"), 403)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_LOGIN_BYTES:
            raise InputProblem(413, "the login form is too large")
        await received(request)
        body = await request.body()
        given = urllib.parse.parse_qs(body[:MAX_LOGIN_BYTES].decode("utf-8", "replace")).get("token", [""])[0]
        if not access.token_ok(given):
            return HTMLResponse(_login_page("that is not the access token"), 401,
                                headers={"WWW-Authenticate": 'Bearer realm="imr"'})
        answer = RedirectResponse("/", 303)
        answer.set_cookie(SESSION_COOKIE, access.new_session(), max_age=SESSION_SECONDS, path="/", httponly=True,
                          samesite="strict", secure=request.url.scheme == "https")
        return answer

    @app.get(LOGOUT_PATH, include_in_schema=False)
    async def logout(request: Request):
        answer = RedirectResponse("/", 303)
        answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                             secure=request.url.scheme == "https")
        return answer

    @app.post("/predict", response_class=HTMLResponse, include_in_schema=False)
    async def predict_page(request: Request):
        results, rates, batch = await predict_batch(request)
        if batch:
            return HTMLResponse(_batch_page(results, rates, _logged_in(request)))
        _, letter, predictions = results[0]
        return HTMLResponse(render.page(f"IMR {letter.case_number or letter.source or 'letter'}",
                                        _results_html(letter, predictions, rates, _logged_in(request))))

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
    if request.url.path == LOGIN_PATH:
        return HTMLResponse(_login_page(detail), status_code=status, headers=headers)
    if request.url.path not in PAGE_PATHS:
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    return HTMLResponse(render.page("IMR outcome prediction: error", _form_html(detail, _logged_in(request))),
                        status_code=status, headers=headers)


def _logged_in(request: Request) -> bool:
    """Whether the request came with a session cookie from the login form (its pages offer to log out)."""
    return bool(request.scope.get("state", {}).get("session"))


def _logout_link(logout: bool) -> str:
    return f' · <a href="{LOGOUT_PATH}">Log out</a>' if logout else ""


def _alert(error: str | None) -> str:
    return (f'<p class="block error" role="alert" style="border-color:#b0281a;color:#b0281a">'
            f"<strong>Error:</strong> {escape(error)}</p>") if error else ""


def _login_page(error: str | None = None) -> str:
    """The login form: the access token typed once (a password field), posted to :data:`LOGIN_PATH`."""
    return render.page("IMR outcome prediction: log in", (
        "<h1>IMR outcome prediction</h1>\n" + _alert(error) +
        '<form class="block" method="post" action="/login"><p>This server is shared: type the access token you '
        "were given to use it. Your browser keeps you logged in for 12 hours, or until you log out.</p>"
        '<p><label>Access token: <input type="password" name="token" autocomplete="current-password" required '
        'autofocus></label> <button type="submit">Log in</button></p></form>'))


def _form_html(error: str | None = None, logout: bool = False) -> str:
    accept = ",".join((*SUPPORTED_SUFFIXES, ".zip"))
    alert = _alert(error) + (f'<p class="meta"><a href="{LOGOUT_PATH}">Log out</a></p>' if logout else "")
    options = "".join(f'<option value="{m}"{" selected" if m == "draft" else ""}>{m}</option>'
                      for m in (*MODES, "both"))
    return (
        "<h1>IMR outcome prediction</h1>\n" + alert +
        '<section class="block intro"><p>This tool reads a California workers\' compensation <strong>Independent '
        "Medical Review (IMR) determination letter</strong>, or a draft of one, and predicts for each disputed "
        "item whether the utilization review denial will be "
        f'{render.outcome_badge("Upheld")} (the denial stands: the treatment stays denied) or '
        f'{render.outcome_badge("Overturned")} (the denial is reversed: the treatment is found medically '
        "necessary). It shows the probability, the passages of the letter that weigh for and against, the reasons "
        "in words, and flags for a second look: a <strong>contradiction</strong> (the stated decision contradicts "
        "the rationale's own verdict) or a <strong>question</strong> (the reasoning leans the other way). A "
        "letter's stated decisions are never read to make the prediction; they are compared with it.</p>"
        '<form method="post" action="/predict"><input type="hidden" name="example" value="draft">'
        '<input type="hidden" name="mode" value="draft"><input type="hidden" name="what_if" value="true">'
        '<button type="submit" id="try-example">Try the shipped example letter</button> '
        '<span class="meta">a draft letter with three items, read with the what-if edits</span></form></section>'
        '<form class="block" method="post" action="/predict" enctype="multipart/form-data">'
        f'<p><label>Letter files ({escape(", ".join(SUPPORTED_SUFFIXES))}, or a .zip of them; at most '
        f'{_mb(MAX_FILE_BYTES)} in all): <input type="file" name="file" accept="{accept}" multiple></label><br>'
        '<span class="meta">Several letters, or a .zip, give a QA overview: every item in one table, '
        "contradictions first.</span></p>"
        '<p><label>or paste one letter\'s text:<br><textarea name="text" rows="10" style="width:100%">'
        "</textarea></label></p>"
        f'<p><label>Model: <select name="mode">{options}</select></label> '
        '<label><input type="checkbox" name="what_if" value="true"> what if: the edits that would move each item'
        '</label> <button type="submit">Predict</button></p></form>'
        '<p class="meta">draft: reads the letter as a reviewer drafts it (its rationale included); facts: uses only '
        "the extracted facts (case summary, request, denial), as before review; both: the two side by side.</p>"
    )


def _results_html(letter, predictions, usual_rates=None, logout: bool = False) -> str:
    by_mode: dict[str, list] = {}
    for prediction in predictions:
        by_mode.setdefault(prediction.mode, []).append(prediction)
    parts = [f'<p class="meta"><a href="/">Predict another letter</a>{_logout_link(logout)}</p>']
    parts += [render.predictions_html(letter, group, usual_rates, anchor_prefix=f"{mode}-", legend=n == 0)
              for n, (mode, group) in enumerate(by_mode.items())]
    if not predictions:
        parts.append("<p>The letter has no items to predict.</p>")
    return "\n<hr>\n".join(parts)


def _batch_page(results, usual_rates, logout: bool = False) -> str:
    """Several letters: the QA overview (the index ``imr predict --format html`` writes, by the same function),
    each row linked to its item in the letters' predictions below it."""
    records, sections = [], []
    for number, (name, letter, outcome) in enumerate(results, 1):
        if letter is None:
            records.append({"source": name, "error": outcome})
            continue
        if not outcome:
            records.append({"source": name, "error": "no items to predict"})
            continue
        by_mode: dict[str, list] = {}
        for prediction in outcome:
            by_mode.setdefault(prediction.mode, []).append(prediction)
        for mode, group in by_mode.items():
            prefix = f"l{number}-{mode}-"
            records += [dict(p.to_dict(), anchor=render.item_anchor(prefix, p.item_index)) for p in group]
            sections.append(f'<section class="letter" id="l{number}-{mode}">'
                            + render.predictions_html(letter, group, usual_rates, anchor_prefix=prefix, legend=False)
                            + "</section>")
    after = ('\n<hr>\n<h2 id="letters">The letters</h2>' + render.legend_html("prediction", next(
        (rate for rate in usual_rates.values() if rate is not None), None)) + "\n<hr>\n".join(sections)
        if sections else "")
    return render.index_page(records, usual_rates, '<p class="meta"><a href="/">Predict other letters</a>'
                             f"{_logout_link(logout)}</p>" + after)
