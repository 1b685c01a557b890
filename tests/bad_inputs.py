"""Builders of the hostile and broken inputs a claims-system folder holds (made at test time)."""
from __future__ import annotations

import io
import os
from pathlib import Path


def _pdf(pages: int = 1, password: str | None = None) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _letter_with_items(template: str, count: int) -> str:
    head, _, rest = template.partition("Physical therapy 2 times a week")
    block = "Physical therapy 2 times a week" + rest.split("MRI of the lumbar spine without contrast:")[0]
    return head + "".join(block.replace("for 6 weeks", f"for {i + 1} weeks", 1) for i in range(count))


def make_bad_inputs(folder: Path, good_letter: Path) -> dict[str, str]:
    """Write every bad case into ``folder``; return file name → expected error fragment (None: parses)."""
    template = good_letter.read_text(encoding="utf-8")
    no_items = template.split("IMR ISSUES, DECISIONS AND RATIONALES")[0]
    cases: dict[str, tuple[bytes, str | None]] = {
        "empty.txt": (b"", "empty file"),
        "whitespace.txt": (b"   \n\n\t \r\n", "empty file"),
        "random.txt": (os.urandom(4096).replace(b"%PDF", b"xxxx"), "binary file"),
        "not really.pdf": (b"this is plain text pretending to be a PDF", "not a PDF"),
        "truncated.pdf": (_pdf()[:300], "corrupt or truncated PDF"),
        "locked.pdf": (_pdf(password="s3cret"), "password-protected"),
        "scanned.pdf": (_pdf(), "no text layer: OCR is not supported"),
        "notzip.docx": (b"just words in a docx", "not a Word .docx file"),
        "invalid-utf8.txt": (b"\xff\xfe\xfa broken \xc3\x28 bytes " * 20, "not a recognized IMR letter"),
        "crlf letter.txt": (template.replace("\n", "\r\n").encode(), None),
        "résumé ñ letter.txt": (template.encode(), None),
        "deutsch.txt": (("Sehr geehrte Damen und Herren, vielen Dank für Ihren Brief. " * 20).encode(),
                        "not a recognized IMR letter"),
        "no-items.txt": (no_items.encode(), "no 'Claims Administrator guideline:' item blocks"),
        "many-items.txt": (_letter_with_items(template, 300).encode(), None),
        "huge.txt": (b"a" * (50 * 1024 * 1024), "file too large"),
        "huge.pdf": (_pdf(pages=2000), "pages, the limit is"),
    }
    expected = {}
    for name, (data, error) in cases.items():
        (folder / name).write_bytes(data)
        expected[name] = error
    (folder / "dangling.txt").symlink_to(folder / "does-not-exist.txt")
    expected["dangling.txt"] = "cannot read file"
    loop = folder / "loop"
    loop.mkdir()
    (loop / "back").symlink_to(folder, target_is_directory=True)
    return expected
