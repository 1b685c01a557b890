"""Bad input never stops a batch; nothing is lost when a batch is interrupted."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from bad_inputs import make_bad_inputs
from nlp_pipeline.app.cli import main

pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, example_draft):
    folder = tmp_path_factory.mktemp("bad inputs")
    expected = make_bad_inputs(folder, example_draft)
    return folder, expected


def _records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_parse_batch_of_bad_and_good_files(bad_folder, example_draft, letters_dir, capsys):
    folder, expected = bad_folder
    good_pdf = sorted(letters_dir.glob("*.pdf"))[0]
    assert main(["parse", str(good_pdf), "--format", "jsonl"]) == 0
    alone = _records(capsys.readouterr().out)
    code = main(["parse", str(folder), str(good_pdf), "--format", "jsonl", "--quiet"])
    out, err = capsys.readouterr()
    records = _records(out)
    assert code == 1
    by_name = {os.path.basename(r["source"]): r for r in records if r["source"] != str(good_pdf)}
    assert sorted(by_name) == sorted(expected), "every input appears exactly once"
    assert len(records) == len(expected) + 1
    for name, fragment in expected.items():
        record = by_name[name]
        if fragment is None:
            assert "error" not in record, record
        else:
            assert fragment in record["error"], (name, record)
            assert name in err
    assert [r for r in records if r["source"] == str(good_pdf)] == alone
    assert len(by_name["many-items.txt"]["items"]) == 300
    assert by_name["crlf letter.txt"]["items"] == by_name["résumé ñ letter.txt"]["items"]


def test_predict_batch_of_bad_and_good_files(bad_folder, letters_dir, capsys):
    folder, expected = bad_folder
    good_pdf = sorted(letters_dir.glob("*.pdf"))[0]
    assert main(["predict", str(good_pdf), "--format", "jsonl", "--quiet"]) == 0
    alone = _records(capsys.readouterr().out)
    code = main(["predict", str(folder), str(good_pdf), "--format", "jsonl", "--quiet"])
    out, err = capsys.readouterr()
    records = _records(out)
    assert code == 1
    sources = {os.path.basename(r["source"]) for r in records if r["source"] != str(good_pdf)}
    assert sources == set(expected), "every input appears, as predictions or one error"
    for name, fragment in expected.items():
        mine = [r for r in records if os.path.basename(r["source"]) == name]
        if fragment is None:
            assert mine and all("error" not in r and "p_overturned" in r for r in mine), name
        else:
            assert len(mine) == 1 and fragment in mine[0]["error"], (name, mine)
    assert [r for r in records if r["source"] == str(good_pdf)] == alone
    assert len([r for r in records if os.path.basename(r["source"]) == "many-items.txt"]) == 300


def test_jobs_give_the_same_output(seeds_dir, tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(one), "-q"]) == 0
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(two), "-q", "--jobs", "2"]) == 0
    assert one.read_text() == two.read_text()


def test_resume_skips_done_letters_and_keeps_each_once(seeds_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    first = sorted(seeds_dir.glob("*.txt"))[:2]
    assert main(["parse", *map(str, first), "--format", "jsonl", "-o", str(out), "-q"]) == 0
    before = out.read_text().splitlines()
    assert main(["parse", str(seeds_dir), "--format", "jsonl", "-o", str(out), "--resume", "-v"]) == 0
    after = out.read_text().splitlines()
    assert after[:2] == before
    assert len({json.loads(line)["source"] for line in after}) == len(after) == 5


def test_resume_needs_output(seeds_dir):
    assert main(["parse", str(seeds_dir), "--resume"]) == 2


def test_killed_batch_leaves_old_or_complete_output(letters_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"source": "old"}\n')
    command = [sys.executable, "-m", "nlp_pipeline.app.cli", "parse", str(letters_dir), "--format", "jsonl",
               "-o", str(out), "-q"]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    journal = tmp_path / "out.jsonl.partial"
    deadline = time.time() + 60
    while time.time() < deadline and not (journal.exists() and journal.stat().st_size > 0):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    text = out.read_text()
    kept = 0
    if text == '{"source": "old"}\n':
        assert journal.exists()
        # the journal lets --resume finish the job; resuming keeps what the output already held
        assert main(["parse", str(letters_dir), "--format", "jsonl", "-o", str(out), "--resume", "-q"]) == 0
        text, kept = out.read_text(), 1
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == len(list(letters_dir.glob("*.pdf"))) + kept
    assert len({r["source"] for r in records}) == len(records)
    assert not journal.exists()


def test_a_batch_process_start_up_is_frozen_and_earlier_garbage_collected_first():
    import gc
    import weakref

    from nlp_pipeline.io.batch import long_lived

    class Node:
        pass

    before = Node()
    before.self = before  # a cycle only the cyclic collector frees
    gone = weakref.ref(before)
    del before
    frozen = gc.get_freeze_count()
    try:
        with long_lived():
            assert not gc.isenabled()
            kept = [Node() for _ in range(100)]
        assert gc.isenabled()
        assert gone() is None  # collected, not frozen
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        gc.unfreeze()
