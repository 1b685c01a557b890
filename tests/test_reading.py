"""Reading files into normalized text, and the errors for files that are not letters."""
from __future__ import annotations

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_pipeline.errors import LetterError
from nlp_pipeline.io.reading import (
    decode_letter_bytes,
    normalize_text,
    read_letter_text,
    repair_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a \r\nb\r\n", "a\nb"),
        ("line one  \n\n \n\nline two", "line one\nline two"),
        ("8 C.C.R. Â§Â§9792.20", "8 C.C.R. §§9792.20"),
        ("the request is:\nUpheld\nClaims", "the request is: Upheld\nClaims"),
        ("lumbar spine x-\nrays were taken", "lumbar spine x-rays were taken"),
        ("  double   spaced  ", "double spaced"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("data", "suffix", "reason"),
    [
        (b"", ".txt", "empty file"),
        (b"   \n\t  \n", ".txt", "empty file"),
        (bytes(range(256)) * 20, ".txt", "binary file"),
        (b"hello, this is not a pdf", ".pdf", "not a PDF"),
        (b"%PDF-1.7\n1 0 obj garbage", ".pdf", "corrupt or truncated PDF"),
        (b"plain words", ".docx", "not a Word .docx file"),
    ],
)
def test_bad_bytes_give_clear_errors(data, suffix, reason):
    with pytest.raises(LetterError, match=reason):
        decode_letter_bytes(data, suffix)


def test_utf16_with_bom():
    assert decode_letter_bytes("Case § 9792\nline".encode("utf-16"), ".txt") == "Case § 9792\nline"


def test_cp1252_fallback():
    text = decode_letter_bytes("caf\u00e9 \u00a7 9792".encode("cp1252"), ".txt")
    assert text == "caf\u00e9 \u00a7 9792"


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(LetterError) as info:
        read_letter_text(missing)
    assert info.value.source == str(missing)
    assert "cannot read" in info.value.reason


def test_docx_round_trip(tmp_path, example_draft):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for line in example_draft.read_text().splitlines():
        document.add_paragraph(line)
    path = tmp_path / "draft.docx"
    document.save(path)
    assert read_letter_text(path) == read_letter_text(example_draft)


def test_pdf_reads_encrypted_letters(letters_dir):
    text = read_letter_text(sorted(letters_dir.glob("*.pdf"))[0])
    assert text.startswith("Case Number: CM")
    assert "IMR ISSUES, DECISIONS AND RATIONALES" in text
    assert "\r" not in text and " \n" not in text


def test_pdfs_read_from_many_threads_at_once(letters_dir):
    """PDFium is not thread-safe: 16 threads reading every real PDF at once (as the review server's thread
    pool does) get every text, the same as one thread, and the process survives (without the lock in
    nlp_pipeline.io.reading this run dies of a segmentation fault). In a subprocess, so a crash fails the test
    rather than the test run."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from pathlib import Path\n"
        "from nlp_pipeline.io.reading import read_letter_text\n"
        f"paths = sorted(Path({str(letters_dir)!r}).glob('*.pdf')) * 3\n"
        "alone = {p: read_letter_text(p) for p in set(paths)}\n"
        "with ThreadPoolExecutor(max_workers=16) as pool:\n"
        "    together = list(pool.map(read_letter_text, paths))\n"
        "print('same' if together == [alone[p] for p in paths] else 'different')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "same"


# pieces ftfy reads differently: mojibake, entities before and after a "<", control and width characters,
# ligatures, curly quotes, every kind of line break
_PIECES = ["plain words", " ", "\n", "\r\n", "\r", "\t", "\f", "&amp;", "&lt;", "<", "Ã©", "â€™", "â€œ", "Ã",
           "\u00a0", "\u2028", "\x1b[31m", "\x00", "\x85", "ﬁ", "ＡＢ", "“quoted”", "e\u0301", "\ufeff", "&"]


@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
@settings(max_examples=400, deadline=None)
def test_ftfy_on_the_lines_that_need_it_equals_ftfy_on_the_whole_text(raw):
    assert repair_text(raw) == ftfy.fix_text(raw, normalization="NFC")


def test_ftfy_skipping_plain_lines_changes_no_letter_of_the_corpus(letters_dir):
    from nlp_pipeline.io.reading import _pdf_text

    for path in sorted(letters_dir.glob("*.pdf"))[::4]:
        raw = _pdf_text(path.read_bytes())
        assert repair_text(raw) == ftfy.fix_text(raw, normalization="NFC"), path.name
