"""``imr parse``: JSON lines, errors that do not stop the batch, atomic --output."""
from __future__ import annotations

import json

from nlp_pipeline.app.cli import main


def test_parse_jsonl_with_a_bad_file(tmp_path, example_draft, capsys):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    code = main(["parse", str(bad), str(example_draft), "--format", "jsonl"])
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert records[0] == {"source": str(bad), "error": "not a PDF file (no %PDF header)"}
    assert records[1]["case_number"] == "CM26-0000001"
    assert [item["index"] for item in records[1]["items"]] == [0, 1, 2]
    assert str(bad) in err


def test_parse_folder_to_output_file(tmp_path, seeds_dir):
    out = tmp_path / "out" / "parsed.jsonl"
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "--output", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 5
    assert sum(len(r["items"]) for r in records) == 7
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_usage_error_exit_code(capsys):
    assert main(["parse"]) == 2
    assert main([]) == 2
