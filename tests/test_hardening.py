"""Edges of batches, model folders and inputs (issue 31): each case an attacker or an unlucky user met."""
from __future__ import annotations

import errno
import json
import os
import shutil

import pytest

from nlp_pipeline.app.cli import EXIT_DISK_FULL, main
from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.files import METADATA_FILE, MODELS_DIR, checked_files


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- --resume -------------------------------------------------------------------------------------------------

def test_resume_after_a_completed_run_and_a_killed_rerun_writes_each_letter_once(seeds_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(out), "-q"]) == 0
    complete = out.read_text()
    letters = len(complete.splitlines())
    # a rerun killed half-way: its journal holds the first letters again, the last one torn
    lines = complete.splitlines(keepends=True)
    (tmp_path / "out.jsonl.partial").write_text("".join(lines[:3]) + lines[3][:40])
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(out), "--resume", "-q"]) == 0
    records = _lines(out)
    assert len(records) == letters
    assert len({r["source"] for r in records}) == letters
    assert out.read_text() == complete


def test_a_journal_already_holding_duplicates_is_written_back_once(seeds_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(out), "-q"]) == 0
    complete = out.read_text()
    out.write_text(complete + complete)  # what the old --resume could leave
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(out), "--resume", "-q"]) == 0
    assert out.read_text() == complete


def test_resume_matches_letters_by_resolved_path(seeds_dir, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    monkeypatch.chdir(seeds_dir.parent)
    relative = os.path.join(".", seeds_dir.name)
    assert main(["parse", relative, "--format", "jsonl", "-o", str(out), "-q"]) == 0
    before = out.read_text()
    # the same folder, spelled as an absolute path: every letter is already done
    assert main(["parse", str(seeds_dir.resolve()), "--format", "jsonl", "-o", str(out), "--resume", "-q"]) == 0
    assert out.read_text() == before


def test_resume_with_an_absolute_spelling_does_not_redo_letters(seeds_dir, tmp_path, monkeypatch):
    from nlp_pipeline.io.batch import run_batch

    out = tmp_path / "out.jsonl"
    monkeypatch.chdir(seeds_dir.parent)
    files = sorted(p.relative_to(seeds_dir.parent) for p in seeds_dir.glob("*.txt"))
    write = lambda records, stream: stream.write("".join(json.dumps(r) + "\n" for r in records))  # noqa: E731
    run_batch(files, lambda path: [{"source": str(path)}], write, output=str(out), progress=False)
    done = []
    stats = run_batch([p.resolve() for p in files], lambda path: done.append(path) or [{"source": str(path)}],
                      write, output=str(out), resume=True, progress=False)
    assert done == [] and stats.skipped == len(files)


def _letters_copy(seeds_dir, tmp_path):
    folder = tmp_path / "letters"
    shutil.copytree(seeds_dir, folder)
    return folder, sorted(folder.glob("*.txt"))


def _recording_batch(paths, out, resume=False, stop_after=None):
    """run_batch over ``paths`` with a process that records what it is given (and is killed after
    ``stop_after`` letters); the paths processed."""
    from nlp_pipeline.io.batch import run_batch

    done = []

    def process(path):
        if stop_after is not None and len(done) == stop_after:
            raise KeyboardInterrupt
        done.append(path)
        return [{"source": str(path), "text": path.read_text()[:20]}]

    write = lambda records, stream: stream.write("".join(json.dumps(r) + "\n" for r in records))  # noqa: E731
    run_batch(paths, process, write, output=str(out), resume=resume, progress=False)
    return done


def test_resume_knows_a_copy_and_a_renamed_letter_by_their_content(seeds_dir, tmp_path):
    from nlp_pipeline.io.batch import content_hash

    folder, files = _letters_copy(seeds_dir, tmp_path)
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(folder), "--format", "jsonl", "-o", str(out), "-q"]) == 0
    before = out.read_text()
    # FILE.sha256 beside it lists each letter's content hash, as sha256sum writes them
    listed = (tmp_path / "out.jsonl.sha256").read_text().splitlines()
    assert sorted(listed) == sorted(f"{content_hash(f)}  {f.resolve()}" for f in files)
    files[0].rename(folder / "renamed.txt")
    shutil.copy(files[1], folder / "a copy.txt")
    assert main(["parse", str(folder), "--format", "jsonl", "-o", str(out), "--resume", "-q"]) == 0
    assert out.read_text() == before  # neither read again nor written twice
    (folder / "new.txt").write_text(files[1].read_text() + "\nOne line added.\n")
    assert main(["parse", str(folder), "--format", "jsonl", "-o", str(out), "--resume", "-q"]) == 0
    records = _lines(out)
    assert len(records) == len(files) + 1 and records[-1]["source"].endswith("new.txt")  # new content is read


def test_resume_after_a_killed_run_knows_its_letters_by_content(seeds_dir, tmp_path):
    """The hashes of a run that was killed are in its journal (FILE.sha256.partial): a letter it did, renamed
    since, is not done again, and the letters it did not reach are."""
    folder, files = _letters_copy(seeds_dir, tmp_path)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        _recording_batch(files, out, stop_after=3)
    assert not out.exists() and (tmp_path / "out.jsonl.sha256.partial").exists()
    renamed = files[0].rename(folder / "zz-renamed.txt")
    todo = [*files[1:], renamed]
    # the journal's last letter is done again (its records may be torn): files[2]; files[0] is known by content
    assert _recording_batch(todo, out, resume=True) == files[2:]
    records = _lines(out)
    assert [r["source"] for r in records] == [str(f) for f in files]
    assert len((tmp_path / "out.jsonl.sha256").read_text().splitlines()) == len(files)


def test_a_stale_hash_list_never_marks_a_letter_done_the_output_lacks(seeds_dir, tmp_path):
    folder, files = _letters_copy(seeds_dir, tmp_path)
    out = tmp_path / "out.jsonl"
    _recording_batch(files, out)
    out.write_text("".join(line + "\n" for line in out.read_text().splitlines()[:2]))  # only two letters kept
    assert _recording_batch(files, out, resume=True) == files[2:]
    assert len(_lines(out)) == len(files)


# --- metadata.json --------------------------------------------------------------------------------------------

@pytest.fixture
def model_copy(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(MODELS_DIR / "draft", target)
    return target


def _set_metadata(folder, **changes):
    metadata = json.loads((folder / METADATA_FILE).read_text())
    for key, value in changes.items():
        if value is KeyError:
            metadata.pop(key)
        else:
            metadata[key] = value
    (folder / METADATA_FILE).write_text(json.dumps(metadata))


@pytest.mark.parametrize("changes, message", [
    ({"threshold": 0.0}, "threshold 0.0 is not a number strictly between 0 and 1"),
    ({"threshold": 1}, "strictly between 0 and 1"),
    ({"threshold": -0.2}, "strictly between 0 and 1"),
    ({"threshold": "0.3"}, "strictly between 0 and 1"),
    ({"threshold": True}, "strictly between 0 and 1"),
    ({"threshold": None}, "strictly between 0 and 1"),
    ({"mode": "everything"}, "mode 'everything' is not one of draft, facts"),
    ({"mode": KeyError}, "missing mode"),
    ({"threshold": KeyError}, "missing threshold"),
    ({"sha256": KeyError}, "missing sha256"),
])
def test_a_bad_metadata_json_is_a_model_error_naming_the_file(model_copy, changes, message):
    _set_metadata(model_copy, **changes)
    with pytest.raises(ModelError, match="metadata.json") as caught:
        checked_files(model_copy)
    assert message in str(caught.value)


def test_a_threshold_of_nan_is_refused(model_copy):
    text = (model_copy / METADATA_FILE).read_text()
    metadata = json.loads(text)
    (model_copy / METADATA_FILE).write_text(text.replace(repr(metadata["threshold"]), "NaN"))
    with pytest.raises(ModelError, match="strictly between 0 and 1"):
        checked_files(model_copy)


@pytest.mark.parametrize("content", ['{"mode": "draft", ', "[1, 2]", "\udcff"])
def test_metadata_that_is_not_a_json_object_is_a_clear_model_error(model_copy, content):
    (model_copy / METADATA_FILE).write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(ModelError, match=f"{METADATA_FILE}: not"):
        checked_files(model_copy)


def test_the_cli_says_what_is_wrong_with_a_bad_metadata_json_without_a_traceback(model_copy, example_draft, capsys):
    (model_copy / METADATA_FILE).write_text("{not json")
    code = main(["predict", "--model", str(model_copy), "--quiet", str(example_draft)])
    err = capsys.readouterr().err
    assert code == 2
    assert "metadata.json: not valid JSON" in err and "Traceback" not in err


def test_a_model_of_the_other_mode_is_still_a_usage_error(model_copy, example_draft, capsys):
    code = main(["predict", "--model", str(model_copy), "--mode", "facts", "--quiet", str(example_draft)])
    assert code == 2 and "does not match" in capsys.readouterr().err


# --- the model folder's manifest -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["draft", "facts"])
def test_every_file_of_a_shipped_model_folder_is_in_its_manifest(mode):
    """The manifest covers the folder as it ships (metadata.json included), and the wheel carries every file it
    lists (a file listed but not shipped would refuse the installed model as incomplete)."""
    from nlp_pipeline.model.files import MANIFEST_FILE, checked_manifest, folder_files, sha256
    from tests.conftest import ROOT

    folder = MODELS_DIR / mode
    listed = json.loads((folder / MANIFEST_FILE).read_text())["files"]
    assert sorted(listed) == folder_files(folder) and METADATA_FILE in listed
    assert checked_manifest(folder) == sha256(folder / MANIFEST_FILE)
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {*listed, MANIFEST_FILE} <= set(shipped[f"nlp_pipeline.shipped_models.{mode}"])


def test_a_valid_but_changed_threshold_or_mode_is_refused_naming_metadata_json(model_copy, example_draft, capsys):
    """A threshold or mode edited in metadata.json (each one a valid value) no longer passes silently."""
    for changes in ({"threshold": 0.3}, {"mode": "facts"}):
        original = (model_copy / METADATA_FILE).read_text()
        _set_metadata(model_copy, **changes)
        with pytest.raises(ModelError, match=r"metadata.json: SHA-256 does not match manifest.json"):
            checked_files(model_copy)
        (model_copy / METADATA_FILE).write_text(original)
    _set_metadata(model_copy, mode="facts")
    code = main(["predict", "--model", str(model_copy), "--quiet", str(example_draft)])
    err = capsys.readouterr().err
    assert code == 2 and "metadata.json: SHA-256 does not match manifest.json" in err and "Traceback" not in err


def test_a_threshold_of_zero_is_refused_even_with_its_manifest_written_again(model_copy):
    from nlp_pipeline.model.files import write_manifest

    _set_metadata(model_copy, threshold=0.0)
    write_manifest(model_copy)
    with pytest.raises(ModelError, match="metadata.json: threshold 0.0 is not a number strictly between 0 and 1"):
        checked_files(model_copy)


@pytest.mark.parametrize("change, message", [
    (lambda folder: (folder / "report.md").unlink(), "report.md: missing (listed in manifest.json)"),
    (lambda folder: (folder / "extra.pkl").write_bytes(b"\x80\x04."), "extra.pkl: not in manifest.json"),
    (lambda folder: (folder / "notes").mkdir(), "notes: not in manifest.json"),
    (lambda folder: (folder / "report.json").write_text("{}"), "report.json: SHA-256 does not match manifest.json"),
    (lambda folder: (folder / "manifest.json").unlink(), "manifest.json: missing"),
    (lambda folder: (folder / "manifest.json").write_text("{not json"), "manifest.json: not a manifest"),
    (lambda folder: (folder / "manifest.json").write_text('{"files": []}'), "manifest.json: not a manifest"),
    (lambda folder: (folder / "manifest.json").write_text('{"files": {"../model.skops": "0"}}'), "missing"),
])
def test_a_file_missing_added_or_changed_is_refused_naming_it(model_copy, change, message):
    change(model_copy)
    with pytest.raises(ModelError, match="model") as caught:
        checked_files(model_copy)
    assert message in str(caught.value)


def test_a_folder_changed_on_purpose_loads_once_its_manifest_is_written_again(model_copy, capsys):
    from nlp_pipeline.model import files
    from nlp_pipeline.predict.outcome import load_model

    _set_metadata(model_copy, threshold=0.3)
    (model_copy / "notes.txt").write_text("threshold moved to 0.3 for a trial")
    with pytest.raises(ModelError):
        checked_files(model_copy)
    assert files.main([str(model_copy)]) == 0  # python -m nlp_pipeline.model.files FOLDER
    out = capsys.readouterr().out
    assert f"manifest.json: sha256 {files.sha256(model_copy / 'manifest.json')}" in out and "notes.txt" in out
    assert load_model(model_copy).threshold == 0.3
    (model_copy / METADATA_FILE).write_text("{not json")
    assert files.main([str(model_copy)]) == 2  # a damaged folder is not vouched for
    assert "not valid JSON" in capsys.readouterr().err


def test_save_model_writes_the_manifest_of_everything_in_the_folder(tmp_path, model_copy):
    from nlp_pipeline.model.files import MANIFEST_FILE, checked_manifest, folder_files, save_model
    from nlp_pipeline.predict.outcome import load_model

    model = load_model(model_copy)
    out = tmp_path / "saved"
    out.mkdir()
    (out / "README.txt").write_text("a file already there is covered too")
    save_model(model.estimator, out, {k: v for k, v in model.metadata.items() if k not in ("sha256", "versions")})
    listed = json.loads((out / MANIFEST_FILE).read_text())["files"]
    assert sorted(listed) == folder_files(out) == sorted(["README.txt", "linear.npz", METADATA_FILE, "model.skops"])
    assert checked_manifest(out)


def test_version_prints_each_shipped_manifests_hash(capsys):
    from nlp_pipeline.model.files import MANIFEST_FILE, sha256

    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    for mode in ("draft", "facts"):
        assert f"manifest.json sha256 {sha256(MODELS_DIR / mode / MANIFEST_FILE)}" in out


# --- a full disk ----------------------------------------------------------------------------------------------

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")


@needs_dev_full
def test_a_full_disk_is_one_clear_line_and_exit_3(seeds_dir, tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from nlp_pipeline.io import batch

    monkeypatch.setattr(batch, "journal_path", lambda output: Path("/dev/full"))  # every write: ENOSPC
    code = main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(tmp_path / "out.jsonl"), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_DISK_FULL == 3
    assert err.count("\n") == 1 and "no space left" in err and "Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()


@needs_dev_full
def test_a_full_disk_on_standard_output_is_exit_3(example_draft):
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "nlp_pipeline.app.cli", "parse", str(example_draft), "--format",
                               "jsonl"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 3
    assert done.stderr.startswith("imr: error: no space left") and "Traceback" not in done.stderr


def test_a_full_disk_while_writing_a_page_stops_the_batch(example_draft, tmp_path, monkeypatch, capsys):
    from nlp_pipeline.app.commands import predict

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(predict, "_write_page", full)
    code = main(["predict", str(example_draft), "--format", "html", "--html-dir", str(tmp_path / "pages"), "-q"])
    assert code == 3 and "no space left" in capsys.readouterr().err


def test_other_os_errors_are_not_called_a_full_disk(monkeypatch):
    from nlp_pipeline.app import cli

    def broken(argv=None):
        raise OSError(errno.EACCES, "Permission denied")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    from types import SimpleNamespace

    monkeypatch.setattr(parser, "parse_args", lambda argv: SimpleNamespace(command="x", run=broken))
    with pytest.raises(PermissionError):
        cli.main([])


def test_the_exit_codes_are_documented():
    from pathlib import Path

    from nlp_pipeline.app.cli import EPILOG

    assert "3 the disk is full" in EPILOG
    assert "`3` the disk is full" in (Path(__file__).parent.parent / "docs/reference/commands.md").read_text()


# --- bounded inputs of every type -----------------------------------------------------------------------------

def _docx_bytes(text: str = "Case Number: CM26-0000001", extra: dict[str, bytes] | None = None) -> bytes:
    import io
    import zipfile

    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    if not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        for name, data in extra.items():
            target.writestr(name, data)
    return out.getvalue()


def test_a_docx_that_unpacks_past_the_cap_is_refused_before_it_is_parsed(monkeypatch):
    import docx

    from nlp_pipeline.errors import TooLarge
    from nlp_pipeline.io import reading

    bomb = _docx_bytes(extra={"word/media/padding.bin": b"\0" * (reading.MAX_DOCX_UNPACKED_BYTES + 1)})
    assert len(bomb) < reading.MAX_FILE_BYTES // 100  # small on disk, over the cap unpacked
    monkeypatch.setattr(docx, "Document", lambda *a, **k: pytest.fail("parsed before its size was checked"))
    with pytest.raises(TooLarge, match="Word file too large unpacked: .* the limit is 52 MB"):
        reading.decode_letter_bytes(bomb, ".docx")


def test_a_docx_under_the_cap_is_read():
    from nlp_pipeline.io.reading import decode_letter_bytes

    assert decode_letter_bytes(_docx_bytes("Case Number: CM26-0000001"), ".docx") == "Case Number: CM26-0000001"


@pytest.mark.parametrize("kind", ["pdf", "docx", "txt", "json"])
def test_the_text_of_every_input_type_is_capped(kind, letters_dir, monkeypatch):
    from nlp_pipeline.errors import TooLarge
    from nlp_pipeline.io import reading

    data = {
        "pdf": lambda: sorted(letters_dir.glob("*.pdf"))[0].read_bytes(),
        "docx": lambda: _docx_bytes("word " * 400),
        "txt": lambda: b"word " * 400,
        "json": lambda: json.dumps({"case_summary": "word " * 400, "items": [{"request": "Tramadol 50mg"}]}).encode(),
    }[kind]()
    assert reading.decode_letter_bytes(data, f".{kind}")  # read under the usual cap
    monkeypatch.setattr(reading, "MAX_TEXT_CHARS", 1000)
    with pytest.raises(TooLarge, match="text too long: .*the limit is 1,000"):
        reading.decode_letter_bytes(data, f".{kind}")


def test_the_pdf_cap_stops_before_the_text_is_taken(letters_dir, monkeypatch):
    import pypdfium2

    from nlp_pipeline.errors import TooLarge
    from nlp_pipeline.io import reading

    monkeypatch.setattr(reading, "MAX_TEXT_CHARS", 10)
    monkeypatch.setattr(pypdfium2.PdfTextPage, "get_text_range",
                        lambda *a, **k: pytest.fail("text taken from a page past the cap"))
    with pytest.raises(TooLarge, match="the PDF holds over 10 characters"):
        reading.decode_letter_bytes(sorted(letters_dir.glob("*.pdf"))[0].read_bytes(), ".pdf")


def test_pasted_text_over_the_cap_is_refused_before_it_is_normalized(monkeypatch):
    from nlp_pipeline.errors import TooLarge
    from nlp_pipeline.io import reading
    from nlp_pipeline.letter import parse

    monkeypatch.setattr(reading, "MAX_TEXT_CHARS", 100)
    monkeypatch.setattr(parse, "normalize_text", lambda text: pytest.fail("normalized before its length was checked"))
    with pytest.raises(TooLarge, match="text too long"):
        parse.read_letter("Case Number: CM26-0000001\n" + "word " * 100)


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_a_json_request_nested_too_deep_is_a_clear_error(depth):
    from nlp_pipeline.errors import TooDeep
    from nlp_pipeline.io.reading import decode_letter_bytes

    nested = "[" * depth + "]" * depth
    body = '{"case_summary": "x", "items": [{"request": "Tramadol", "rationale": ' + nested + "}]}"
    with pytest.raises(TooDeep, match="JSON request nested too deep: the limit is 32 levels"):
        decode_letter_bytes(body.encode(), ".json")


def test_a_json_request_as_deep_as_allowed_is_read():
    from nlp_pipeline.io.requests import MAX_JSON_DEPTH, request_text

    inner = "[" * (MAX_JSON_DEPTH - 3) + "]" * (MAX_JSON_DEPTH - 3)
    text = request_text('{"case_summary": "x", "items": [{"request": "Tramadol", "extra": ' + inner + "}]}")
    assert "Tramadol" in text


def test_the_cli_gives_an_error_record_for_a_request_nested_too_deep(tmp_path, capsys):
    request = tmp_path / "deep.json"
    request.write_text('{"case_summary": "x", "items": ' + "[" * 3000 + "]" * 3000 + "}")
    code = main(["parse", str(request), "--format", "jsonl", "-q"])
    out, err = capsys.readouterr()
    assert code == 1
    assert json.loads(out) == {"source": str(request), "error": "JSON request nested too deep: the limit is 32 levels "
                                                               "(a request is 3 deep)"}
    assert "Traceback" not in err


def test_a_part_longer_than_spacys_limit_is_a_clear_error(example_draft):
    from nlp_pipeline.errors import TooLarge
    from nlp_pipeline.extraction.pipeline import build_nlp, letter_regions
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.letter.parse import load_letter

    letter = load_letter(example_draft)
    nlp = build_nlp()
    longest = max(len(span.text) for _, _, span in letter_regions(letter))
    saved = nlp.max_length
    try:
        nlp.max_length = longest - 1
        with pytest.raises(TooLarge, match=f"part is too long: {longest:,} characters, the limit is {longest - 1:,}"):
            extract_letter(letter, nlp)
    finally:
        nlp.max_length = saved
    assert extract_letter(letter, nlp).items


# --- the review server ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped_models():
    pytest.importorskip("fastapi")
    from nlp_pipeline.predict.outcome import load_model

    return {mode: load_model(mode=mode) for mode in ("draft", "facts")}


def _client(models, **options):
    from fastapi.testclient import TestClient

    from nlp_pipeline.app.server import create_app

    base_url = options.pop("base_url", "http://testserver")
    return TestClient(create_app(models, **options), base_url=base_url)


def _inline_script_sources(page: str) -> list[str]:
    import base64
    import hashlib
    import re

    return ["'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
            for script in re.findall(r"<script>(.*?)</script>", page, re.DOTALL)]


def test_every_answer_carries_the_security_headers(shipped_models, example_draft):
    from nlp_pipeline.app.server import MAX_FILE_BYTES

    client = _client(shipped_models)
    draft = example_draft.read_bytes()
    answers = {
        "form": client.get("/"),
        "result page": client.post("/predict", files={"file": ("a.txt", draft, "text/plain")}),
        "overview page": client.post("/predict", files=[("file", ("a.txt", draft, "text/plain")),
                                                        ("file", ("b.txt", draft, "text/plain"))]),
        "api": client.post("/api/predict", files={"file": ("a.txt", draft, "text/plain")}),
        "openapi": client.get("/openapi.json"),
        "not found": client.get("/nowhere"),
        "bad request": client.post("/api/predict", data={"text": ""}),
        "too large": client.post("/api/predict", files={"file": ("a.txt", b"a" * (MAX_FILE_BYTES + 1), "text/plain")}),
    }
    assert [name for name, answer in answers.items()
            if answer.status_code != {"not found": 404, "bad request": 400, "too large": 413}.get(name, 200)] == []
    for name, answer in answers.items():
        headers = answer.headers
        assert headers["cache-control"] == "no-store", name
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["referrer-policy"] == "same-origin", name  # not no-referrer: its form posts say Origin: null
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, name
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], name
    # each inline script of a page is allowed by its hash, and nothing from elsewhere is
    overview = answers["overview page"].text
    scripts = _inline_script_sources(overview)
    assert scripts and all(source in answers["overview page"].headers["content-security-policy"] for source in scripts)
    assert " src=" not in overview and "<link" not in overview


def test_with_a_token_a_request_without_it_gets_401_and_with_it_200(shipped_models, example_draft):
    client = _client(shipped_models, token="s3cret-token")
    upload = {"file": ("a.txt", example_draft.read_bytes(), "text/plain")}
    assert client.get("/").status_code == 401
    refused = client.post("/api/predict", files=upload)
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.headers["cache-control"] == "no-store"
    assert client.post("/api/predict", files=upload, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/predict", files=upload, headers={"Authorization": "s3cret-token"}).status_code == 401
    assert client.post("/api/predict", files=upload, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def _login(client, token: str, origin: str | None = "http://testserver"):
    headers = {"Origin": origin} if origin else {}
    return client.post("/login", data={"token": token}, headers=headers, follow_redirects=False)


def test_the_page_without_a_login_shows_a_login_form_and_a_wrong_token_gets_it_again(shipped_models):
    client = _client(shipped_models, token="s3cret-token")
    page = client.get("/")
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert '<form class="block" method="post" action="/login">' in page.text
    assert '<input type="password" name="token"' in page.text
    assert page.headers["cache-control"] == "no-store" and "default-src 'none'" in page.headers["content-security-policy"]
    wrong = _login(client, "s3cret-tokem")
    assert wrong.status_code == 401 and "not the access token" in wrong.text and 'name="token"' in wrong.text
    assert "set-cookie" not in wrong.headers
    assert client.post("/predict", data={"text": "x"}).status_code == 401  # the form's target too


def test_the_right_token_logs_in_with_a_session_cookie_that_is_not_the_token(shipped_models, example_draft):
    client = _client(shipped_models, token="s3cret-token")
    answer = _login(client, "s3cret-token")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    name, value = cookie.split(";")[0].split("=", 1)
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert name == "imr_session" and {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http on loopback: a Secure cookie would never come back
    assert "s3cret" not in value and "s3cret-token".encode().hex() not in value
    assert _login(client, "s3cret-token").headers["set-cookie"] != cookie  # a new session each time

    session = {"Cookie": f"imr_session={value}"}
    page = client.get("/", headers=session)
    assert page.status_code == 200 and 'href="/logout"' in page.text
    draft = {"file": ("a.txt", example_draft.read_bytes(), "text/plain")}
    result = client.post("/predict", files=draft, headers={**session, "Origin": "http://testserver"})
    assert result.status_code == 200 and 'href="/logout"' in result.text
    # the API keeps its bearer header: the cookie alone is not enough there
    assert client.post("/api/predict", files=draft, headers=session).status_code == 401
    logout = client.get("/logout", headers=session, follow_redirects=False)
    assert logout.status_code == 303 and "imr_session=" in logout.headers["set-cookie"]
    assert "max-age=0" in logout.headers["set-cookie"].lower()


def test_a_session_cookie_tampered_with_expired_or_of_another_token_is_refused(shipped_models, monkeypatch):
    from nlp_pipeline.app import server

    client = _client(shipped_models, token="s3cret-token")
    good = server._Access("s3cret-token").new_session()
    expires, nonce, signature = good.split(".")
    later = str(int(expires) + 10**6)
    for value in (f"{later}.{nonce}.{signature}", f"{expires}.{nonce}x.{signature}", f"{expires}.{nonce}.{'0' * 64}",
                  server._Access("another-token").new_session(), "s3cret-token", "", "a.b", "..."):
        assert client.get("/", headers={"Cookie": f"imr_session={value}"}).status_code == 401, value
    assert client.get("/", headers={"Cookie": f"imr_session={good}"}).status_code == 200
    monkeypatch.setattr(server.time, "time", lambda: int(expires) + 1)  # past its expiry
    assert client.get("/", headers={"Cookie": f"imr_session={good}"}).status_code == 401


def test_the_cookie_is_secure_over_https(shipped_models):
    client = _client(shipped_models, token="s3cret-token", base_url="https://testserver")
    answer = _login(client, "s3cret-token", origin="https://testserver")
    assert answer.status_code == 303 and "secure" in answer.headers["set-cookie"].lower()


def test_a_post_with_the_cookie_from_another_site_is_refused(shipped_models, example_draft):
    """CSRF: the cookie is SameSite=Strict, and a POST it authenticates must come from the server's own page."""
    client = _client(shipped_models, token="s3cret-token")
    value = _login(client, "s3cret-token").headers["set-cookie"].split(";")[0].split("=", 1)[1]
    draft = {"file": ("a.txt", example_draft.read_bytes(), "text/plain")}
    for origin in ("http://evil.example.com", "null", "http://testserver.evil.example.com", None):
        headers = {"Cookie": f"imr_session={value}", **({"Origin": origin} if origin else {})}
        answer = client.post("/predict", files=draft, headers=headers)
        assert answer.status_code == 403 and "own page" in answer.text, origin
    assert _login(client, "s3cret-token", origin="http://evil.example.com").status_code == 403
    # a program with the bearer header sends no Origin and needs none
    assert client.post("/predict", files=draft, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def test_without_a_token_there_is_no_login(shipped_models):
    client = _client(shipped_models)
    assert client.get("/").status_code == 200 and 'href="/logout"' not in client.get("/").text
    assert _login(client, "anything").status_code == 303


def test_only_the_allowed_hosts_are_served(shipped_models):
    allowed = {"localhost", "127.0.0.1", "::1", "imr.example.org"}
    for base, status in [("http://localhost:8000", 200), ("http://127.0.0.1", 200), ("http://[::1]:8000", 200),
                         ("http://IMR.example.org:8080", 200), ("http://evil.example.com", 400),
                         ("http://localhost.evil.example.com", 400)]:
        answer = _client(shipped_models, allowed_hosts=allowed, base_url=base).get("/")
        assert answer.status_code == status, base
    assert "not served here" in _client(shipped_models, allowed_hosts=allowed,
                                        base_url="http://evil.example.com").get("/").json()["detail"]


def _serve(monkeypatch, argv, env=None):
    """Run `imr serve ARGV` with uvicorn.run replaced: what create_app got, and the exit code."""
    pytest.importorskip("uvicorn")
    import uvicorn

    from nlp_pipeline.app import server

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    real = server.create_app
    monkeypatch.setattr(server, "create_app", lambda **kwargs: seen.update(options=kwargs) or real(**kwargs))
    monkeypatch.delenv("IMR_SERVE_TOKEN", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return main(["serve", *argv]), seen


def test_serve_reads_its_token_from_a_file_or_the_environment(monkeypatch, tmp_path, capsys):
    token = tmp_path / "token.txt"
    token.write_text("from-the-file\n")
    code, seen = _serve(monkeypatch, ["--token-file", str(token)])
    assert code == 0 and seen["options"]["token"] == "from-the-file"
    code, seen = _serve(monkeypatch, [], {"IMR_SERVE_TOKEN": "from-the-env"})
    assert code == 0 and seen["options"]["token"] == "from-the-env"
    code, seen = _serve(monkeypatch, [])
    assert code == 0 and seen["options"]["token"] is None
    token.write_text("  \n")
    code, seen = _serve(monkeypatch, ["--token-file", str(token)])
    assert code == 2 and "empty" in capsys.readouterr().err and "app" not in seen


def test_serve_refuses_other_computers_without_a_token_unless_told(monkeypatch, tmp_path, capsys):
    """A --host reachable from other computers needs a token, or --no-auth said outright (then a warning)."""
    code, seen = _serve(monkeypatch, ["--host", "0.0.0.0"])
    assert code == 2 and "options" not in seen
    assert "error: --host 0.0.0.0" in capsys.readouterr().err
    code, seen = _serve(monkeypatch, ["--host", "0.0.0.0", "--no-auth"])
    assert code == 0 and seen["options"]["token"] is None
    assert "warning: --host 0.0.0.0" in capsys.readouterr().err
    token = tmp_path / "token.txt"
    token.write_text("t")
    for argv in (["--host", "0.0.0.0", "--token-file", str(token)], ["--host", "127.0.0.1"], ["--host", "::1"],
                 ["--host", "localhost"]):
        _serve(monkeypatch, argv)
        assert "warning" not in capsys.readouterr().err, argv


def test_serve_allows_the_loopback_names_its_host_and_the_named_ones(monkeypatch):
    code, seen = _serve(monkeypatch, ["--host", "10.0.0.5", "--allow-host", "imr.example.org", "--no-auth"])
    assert seen["options"]["allowed_hosts"] == {"localhost", "127.0.0.1", "::1", "10.0.0.5", "imr.example.org"}


def _asgi_post(app, path: str, body_parts, headers: dict[str, str]):
    """Call ``app`` with a POST whose body arrives as ``body_parts`` (an async iterator of bytes); its answer:
    (status, headers, body)."""
    sent = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()]}
    parts = body_parts.__aiter__()

    async def receive():
        try:
            chunk = await parts.__anext__()
        except StopAsyncIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    async def run():
        await app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        return (start["status"], dict((k.decode(), v.decode()) for k, v in start["headers"]),
                b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))

    return run()


def test_a_body_that_does_not_arrive_gets_408_and_holds_no_slot(shipped_models, example_draft):
    import asyncio

    import httpx

    from nlp_pipeline.app.server import create_app

    app = create_app(shipped_models, max_pending=1, read_timeout=0.2)
    stalled = asyncio.Event()

    async def never():
        yield b"--x\r\n"
        await stalled.wait()  # the sender stalls: the rest of its body never comes

    async def scenario():
        waiting = asyncio.ensure_future(_asgi_post(app, "/api/predict", never(), {
            "content-type": "multipart/form-data; boundary=x", "content-length": "100000"}))
        await asyncio.sleep(0.05)  # the stalled request is waiting for its body
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            # the only slot is free while the stalled body is awaited: another upload is answered
            other = await client.post("/api/predict", files={"file": ("a.txt", example_draft.read_bytes(),
                                                                      "text/plain")})
        return other, await waiting

    other, (status, headers, body) = asyncio.run(scenario())
    assert other.status_code == 200
    assert status == 408 and b"did not arrive within 0.2 s" in body and headers["cache-control"] == "no-store"


def test_work_over_the_time_limit_gets_503_and_keeps_its_slot_until_it_ends(shipped_models, example_draft,
                                                                             monkeypatch):
    import threading
    import time

    from nlp_pipeline.app import server

    release, started = threading.Event(), threading.Event()
    real = server.predict_items

    def slow(*args, **kwargs):
        started.set()
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(server, "predict_items", slow)
    upload = {"file": ("a.txt", example_draft.read_bytes(), "text/plain")}
    with _client(shipped_models, max_pending=1, time_limit=0.2) as client:  # one event loop, as a server has
        try:
            first = client.post("/api/predict", files=upload)
            assert first.status_code == 503 and "took longer than the 0.2 s" in first.json()["detail"]
            # its thread still works: the one slot stays taken, so no more work runs at once than the bound
            second = client.post("/api/predict", files=upload)
            assert second.status_code == 503 and second.json()["detail"].startswith("busy")
        finally:
            release.set()
        monkeypatch.setattr(server, "predict_items", real)
        for _ in range(200):  # the slot is freed once the thread ends
            answer = client.post("/api/predict", files=upload)
            if answer.status_code == 200:
                break
            time.sleep(0.05)
        assert answer.status_code == 200


def test_a_30_mb_upload_sent_whole_gets_413_through_urllib(shipped_models):
    """A client that sends its whole body before it reads the answer (urllib) reads the 413, not a reset."""
    import urllib.error
    import urllib.request

    from nlp_pipeline.app.server import create_app
    from tests.conftest import serving

    with serving(create_app(shipped_models)) as (base, _):
        body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n" + \
            b"a" * (30 * 1024 * 1024) + b"\r\n--x--\r\n"
        statuses = []
        for _ in range(3):
            request = urllib.request.Request(f"{base}/api/predict", data=body, method="POST",
                                             headers={"Content-Type": "multipart/form-data; boundary=x"})
            try:
                urllib.request.urlopen(request, timeout=60)
                statuses.append(200)
            except urllib.error.HTTPError as err:
                statuses.append(err.code)
                assert "file too large" in json.loads(err.read())["detail"]
        assert statuses == [413, 413, 413]


def test_the_server_answers_each_limit_with_its_status(shipped_models, example_draft):
    client = _client(shipped_models)
    deep = '{"case_summary": "x", "items": ' + "[" * 3000 + "]" * 3000 + "}"
    answer = client.post("/api/predict", files={"file": ("deep.json", deep.encode(), "application/json")},
                         data={"mode": "facts"})
    assert answer.status_code == 422 and "nested too deep" in answer.json()["detail"]
    answer = client.post("/api/predict", json={"text": deep, "mode": "facts"})
    assert answer.status_code == 422 and "nested too deep" in answer.json()["detail"]
    from nlp_pipeline.io.reading import MAX_DOCX_UNPACKED_BYTES

    bomb = _docx_bytes(extra={"word/media/padding.bin": b"\0" * (MAX_DOCX_UNPACKED_BYTES + 1)})
    answer = client.post("/api/predict", files={"file": ("bomb.docx", bomb, "application/octet-stream")})
    assert answer.status_code == 413 and "too large unpacked" in answer.json()["detail"]


def test_a_part_longer_than_the_pipeline_reads_is_413_alone_and_a_row_in_a_batch(shipped_models, example_draft):
    from nlp_pipeline.extraction.pipeline import build_nlp

    client = _client(shipped_models)
    draft = example_draft.read_bytes()
    nlp = build_nlp()
    saved = nlp.max_length
    try:
        nlp.max_length = 50
        alone = client.post("/api/predict", files={"file": ("a.txt", draft, "text/plain")})
        batch = client.post("/predict", files=[("file", ("a.txt", draft, "text/plain")),
                                               ("file", ("b.txt", draft, "text/plain"))])
    finally:
        nlp.max_length = saved
    assert alone.status_code == 413 and "part is too long" in alone.json()["detail"]
    assert batch.status_code == 200 and batch.text.count("part is too long") >= 2


def test_a_file_name_with_a_direction_override_is_shown_escaped(shipped_models, example_draft):
    import io
    import zipfile

    client = _client(shipped_models)
    draft = example_draft.read_bytes()
    name = "invoice\u202etxt.exe\u200b.txt"
    alone = client.post("/predict", files={"file": (name, draft, "text/plain")})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr(name, draft)
    batch = client.post("/predict", files=[("file", (name, draft, "text/plain")),
                                           ("file", ("letters\u202e.zip", archive.getvalue(), "application/zip"))])
    for answer in (alone, batch):
        assert answer.status_code == 200
        assert "\u202e" not in answer.text and "\u200b" not in answer.text
    assert "invoice\\u202etxt.exe\\u200b.txt" in alone.text
    assert "letters\\u202e.zip/invoice\\u202etxt.exe\\u200b.txt" in batch.text


def test_what_if_edits_stop_at_the_cap_and_the_items_past_it_say_so():
    """What-if re-reads the letter per edit, so its work grows with the square of the items: past the cap an
    item carries no edits and a warning naming the cap (and the items under it are what they are uncapped)."""
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.predict.outcome import load_model
    from nlp_pipeline.predict.service import predict_items
    from tests.conftest import EXAMPLE_DRAFT

    model, letter = load_model(mode="draft"), load_letter(EXAMPLE_DRAFT)
    uncapped = predict_items(model, letter, what_if=True)
    capped = predict_items(model, letter, what_if=True, what_if_items=1)
    assert len(capped) == len(uncapped) == 3
    assert capped[0].what_if == uncapped[0].what_if and capped[0].warnings == uncapped[0].warnings
    for prediction in capped[1:]:
        assert prediction.what_if is None
        assert any("over the cap of 1 items per letter" in w for w in prediction.warnings)
        assert prediction.p_overturned == uncapped[prediction.item_index].p_overturned


def test_the_server_passes_its_what_if_cap(monkeypatch):
    from nlp_pipeline.app.cli import main
    from nlp_pipeline.app import server

    seen = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: None)
    real = server.create_app
    monkeypatch.setattr(server, "create_app", lambda **kwargs: seen.update(kwargs) or real(**kwargs))
    assert main(["serve", "--what-if-items", "7"]) == 0
    assert seen["what_if_items"] == 7


def test_work_given_up_on_stops_at_its_next_check():
    """A thread cannot be stopped, so the predict flow looks at a cancel token before the letter is read and before
    each what-if re-reading: once set, it stops there (Cancelled) instead of running on."""
    import threading

    from nlp_pipeline.errors import Cancelled
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.predict.outcome import load_model
    from nlp_pipeline.predict.service import predict_items
    from tests.conftest import EXAMPLE_DRAFT

    model, letter = load_model(mode="draft"), load_letter(EXAMPLE_DRAFT)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        predict_items(model, letter, cancel=cancel)

    readings, cancel = [], threading.Event()

    class Counting:  # the model, counting its readings; the work is given up on after the third
        def __getattr__(self, name):
            return getattr(model, name)

        def predict_letter(self, *args, **kwargs):
            readings.append(1)
            if len(readings) == 3:
                cancel.set()
            return model.predict_letter(*args, **kwargs)

    with pytest.raises(Cancelled):
        predict_items(Counting(), letter, what_if=True, cancel=cancel)
    assert len(readings) == 3  # the reading in progress finished, none after it
    predict_items(Counting(), letter, what_if=True, cancel=threading.Event())
    assert len(readings) - 3 > 3  # left alone, the what-if edits read the letter more times


def test_work_over_the_time_limit_is_cancelled_and_frees_its_slot(shipped_models, example_draft, monkeypatch):
    """At the time limit the answer is 503 and the work's cancel token is set: work that looks at it ends, and its
    slot is free for the next request at once."""
    import time

    from nlp_pipeline.app import server
    from nlp_pipeline.errors import Cancelled

    tokens = []

    def waits(*args, cancel=None, **kwargs):
        tokens.append(cancel)
        if cancel.wait(10):
            raise Cancelled("given up")
        return []

    monkeypatch.setattr(server, "predict_items", waits)
    upload = {"file": ("a.txt", example_draft.read_bytes(), "text/plain")}
    with _client(shipped_models, max_pending=1, time_limit=0.3) as client:
        first = client.post("/api/predict", files=upload)
        assert first.status_code == 503 and "took longer than the 0.3 s" in first.json()["detail"]
        assert tokens[0].is_set()
        monkeypatch.setattr(server, "predict_items", lambda *args, **kwargs: [])
        started = time.monotonic()
        while client.post("/api/predict", files=upload).status_code != 200:
            assert time.monotonic() - started < 2, "the slot was not freed"
            time.sleep(0.05)
