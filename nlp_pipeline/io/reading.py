"""Bytes on disk to normalized letter text: PDF (pypdfium2), Word (python-docx), plain text, and JSON
before-review requests (:mod:`nlp_pipeline.io.requests`).

Every failure is a :class:`LetterError` naming the reason; nothing else escapes.
"""
from __future__ import annotations

import codecs
import io
import re
import threading
import zipfile
from pathlib import Path

import ftfy

from nlp_pipeline.io.requests import MAX_JSON_DEPTH, request_text  # noqa: F401  (the limits are all named here)
from nlp_pipeline.errors import LetterError, TooLarge

# the limits of one input, whatever its type; each is refused with a TooLarge naming it, before the work it bounds
MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as uploaded or read from disk
MAX_PDF_PAGES = 200
MAX_TEXT_CHARS = 2_000_000  # the text a file gives (PDF, Word, text, JSON request), and text given as it is
MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024  # a .docx's parts uncompressed, in all (a letter's are under 1 MB)
SUPPORTED_SUFFIXES = (".pdf", ".docx", ".txt", ".text", ".json")

_OUTCOME_ALONE = re.compile(r":[ \t]*\n[ \t]*((?:Upheld|Overturned)[ \t]*)$", re.MULTILINE)
_SPLIT_WORD = re.compile(r"(?<=[a-z])-\n(?=[a-z]+[ .,;:])")


def read_letter_text(path: str | Path) -> str:
    """Read a letter file and return its normalized text.

    Raises LetterError (with ``source`` set) for anything that is not a readable letter file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TooLarge(f"file too large: {size / 1e6:.1f} MB, the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
        data = path.read_bytes()
    except LetterError as err:
        raise err.with_source(str(path)) from None
    except IsADirectoryError:
        raise LetterError("is a directory", str(path)) from None
    except OSError as err:
        raise LetterError(f"cannot read file: {err.strerror or err}", str(path)) from None
    try:
        return decode_letter_bytes(data, path.suffix.lower())
    except LetterError as err:
        raise err.with_source(str(path)) from None


def decode_letter_bytes(data: bytes, suffix: str = ".txt") -> str:
    """Turn the bytes of a ``.pdf``, ``.docx``, text or ``.json`` request file into normalized text."""
    if not data.strip():
        raise LetterError("empty file")
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge(f"file too large: {len(data) / 1e6:.1f} MB, the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
    if suffix == ".pdf" or data.startswith(b"%PDF"):
        raw = _pdf_text(data)
    elif suffix == ".docx" or data.startswith(b"PK\x03\x04"):
        raw = _docx_text(data)
    elif suffix == ".json":
        raw = request_text(data)
    else:
        raw = _plain_text(data)
    check_text_length(raw)
    text = normalize_text(raw)
    if not text.strip():
        raise LetterError("no text in file")
    return text


def check_text_length(text: str, what: str = "text") -> None:
    """Refuse a text over :data:`MAX_TEXT_CHARS` (:class:`TooLarge`), before it is normalized or read."""
    if len(text) > MAX_TEXT_CHARS:
        raise TooLarge(f"{what} too long: {len(text):,} characters, the limit is {MAX_TEXT_CHARS:,}")


# PDFium is not thread-safe (pypdfium2's own guidance): every use in a process goes through this lock, so a
# server answering several uploads at once in its thread pool reads one PDF at a time (processes, as
# `imr predict --jobs N` uses, each have their own PDFium and their own lock)
_PDFIUM = threading.Lock()


def _pdf_text(data: bytes) -> str:
    if not data.lstrip().startswith(b"%PDF"):
        raise LetterError("not a PDF file (no %PDF header)")
    with _PDFIUM:
        return _pdf_text_locked(data)


def _pdf_text_locked(data: bytes) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        message = str(err).lower()
        if "password" in message:
            raise LetterError("PDF is password-protected") from None
        raise LetterError(f"corrupt or truncated PDF ({err})") from None
    try:
        pages = len(pdf)
        if pages > MAX_PDF_PAGES:
            raise TooLarge(f"PDF has {pages} pages, the limit is {MAX_PDF_PAGES}")
        parts, chars = [], 0
        for index in range(pages):
            page = pdf[index]
            textpage = page.get_textpage()
            chars += textpage.count_chars()  # counted before the text is taken: a page of millions stops here
            if chars > MAX_TEXT_CHARS:
                textpage.close()
                page.close()
                raise TooLarge(f"text too long: the PDF holds over {MAX_TEXT_CHARS:,} characters "
                               f"({chars:,} in its first {index + 1} pages), the limit is {MAX_TEXT_CHARS:,}")
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    text = "\n".join(parts)
    if not text.strip():
        raise LetterError("no text layer: OCR is not supported")
    return text


def _docx_text(data: bytes) -> str:
    import docx

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LetterError("not a Word .docx file (not a zip archive)")
    _check_docx_parts(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx raises several unrelated types for bad archives
        raise LetterError(f"not a readable Word .docx file ({type(err).__name__})") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(paragraphs)


def _check_docx_parts(data: bytes) -> None:
    """Refuse a .docx whose parts, uncompressed, add up to more than :data:`MAX_DOCX_UNPACKED_BYTES`, from the
    sizes its zip directory declares, before any part is inflated (zipfile reads no part past its declared size,
    so the declared sizes bound what parsing it can unpack)."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as err:
        raise LetterError(f"not a readable Word .docx file ({type(err).__name__})") from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise TooLarge(f"Word file too large unpacked: its {len(parts)} parts hold {unpacked / 1e6:,.1f} MB, the "
                       f"limit is {MAX_DOCX_UNPACKED_BYTES / 1e6:.0f} MB")


def _plain_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise LetterError("invalid UTF-16 text") from None
    if b"\x00" in data[:4096]:
        raise LetterError("binary file, not a text letter")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    check_text_length(text)
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > 0.01 * min(len(text), 20000):
        raise LetterError("binary file, not a text letter")
    return text


# a line ftfy only mends the line breaks of: printable ASCII without "&" (an HTML entity may start there), tab,
# form feed, carriage return
_PLAIN_LINE = re.compile(r"[\t\f\r -%'-~]*")


def repair_text(raw: str) -> str:
    """``ftfy.fix_text(raw, normalization="NFC")`` with ftfy run only on the lines that need it.

    ftfy fixes a text line by line (its segments end at each line break) and reads mojibake, entities and
    control characters only where a character other than printable ASCII is, or an "&"; every other line
    comes back as it went in but for its line breaks ("\\r\\n" and "\\r" become "\\n"). ftfy costs most of
    reading a letter and most lines are plain, so they are passed over. One piece of ftfy's state crosses
    lines, and is kept here: after the first "<", HTML entities are no longer unescaped.
    """
    out = []
    unescape_html: bool | str = "auto"
    lines = raw.split("\n")
    for number, line in enumerate(lines):
        if unescape_html == "auto" and "<" in line:
            unescape_html = False
        last = number == len(lines) - 1
        if _PLAIN_LINE.fullmatch(line):
            out.append((line if last or not line.endswith("\r") else line[:-1]).replace("\r", "\n"))
            continue
        fixed = ftfy.fix_text(line if last else line + "\n", normalization="NFC", unescape_html=unescape_html)
        out.append(fixed if last else fixed[:-1])
    return "\n".join(out)


def normalize_text(raw: str) -> str:
    """Repair mojibake and page debris; return one stripped, non-empty line per text line.

    The result is what every character offset in the project points into. Normalizing it again changes
    nothing: line breaks are made lines before ftfy reads them (ftfy reads a line at a time, and a carriage
    return or form feed is not a line to it), and a pass that still changes the text (ftfy can mend a line
    only once another fix has split it off) is followed by another, up to three.
    """
    text = raw
    for _ in range(3):
        again = _normalize_once(text)
        if again == text:
            break
        text = again
    return text


def _normalize_once(raw: str) -> str:
    text = raw.replace("\r\n", "\n")
    for line_break in ("\r", "\f", "\u2028", "\u2029"):
        text = text.replace(line_break, "\n")
    text = repair_text(text)
    text = text.replace("\r", "\n").replace("\t", " ")
    text = text.replace("\u00a0", " ")
    lines = [re.sub(r" {2,}", " ", line.strip()) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    text = _OUTCOME_ALONE.sub(r": \1", text)
    return _SPLIT_WORD.sub("-", text)
