"""The command line as a claims team meets it: help in plain words, CSV and HTML outputs, progress bars with a
total, each error once, empty or mixed inputs, small-sample warnings, the version and the models, where a trained
model goes, --mode and --model agreeing, and what to install for ``imr serve``. None needs the shared letters."""
from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nlp_pipeline import __version__
from nlp_pipeline.app.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DRAFT = ROOT / "examples" / "draft_letter.txt"
EXAMPLE_REQUEST = ROOT / "examples" / "facts_request.json"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _finished_letter(folder: Path, name: str = "finished.txt") -> Path:
    """The example draft as a finished letter whose third item is stated Upheld while its rationale concludes the
    request is appropriate: a contradiction (the first two stated Upheld, as their rationales argue)."""
    text = EXAMPLE_DRAFT.read_text(encoding="utf-8").replace("[decision pending]", "Upheld")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _labelled_requests(folder: Path, decisions: list[list[str]]) -> list[Path]:
    """Before-review requests (the example's) with stated decisions, one file per letter."""
    request = json.loads(EXAMPLE_REQUEST.read_text(encoding="utf-8"))
    paths = []
    for number, letter_decisions in enumerate(decisions):
        case = dict(request, case_number=f"CM26-00001{number:02d}")
        case["items"] = [dict(item, decision=decision) for item, decision in zip(request["items"], letter_decisions)]
        path = folder / f"request-{number}.json"
        path.write_text(json.dumps(case), encoding="utf-8")
        paths.append(path)
    return paths


def _as_terminal(monkeypatch) -> None:
    """Make the captured stderr claim to be a terminal, as a user's is (the progress bars show on one only)."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)


# --- help ------------------------------------------------------------------------------------------------------

def test_the_top_level_help_speaks_to_a_claims_professional():
    text = build_parser().format_help()
    assert "thin layer" not in text and "``" not in text and "`" not in text and "module" not in text
    assert "Upheld" in text and "denial stands" in text and "Overturned" in text and "reversed" in text
    assert "examples:" in text and "imr predict" in text


def test_every_option_of_every_subcommand_has_help_and_every_subcommand_examples():
    parser = build_parser()
    assert all(a.help for a in parser._actions if a.option_strings)
    subcommands = _subparsers(parser)
    assert {"parse", "show", "predict", "evaluate", "train", "serve"} <= set(subcommands)
    for name, sub in subcommands.items():
        assert sub.formatter_class is argparse.RawDescriptionHelpFormatter, name
        assert sub.description and sub.epilog and sub.epilog.startswith("examples:"), name
        assert f"imr {name}" in sub.epilog, name
        for action in sub._actions:
            assert action.help and action.help.strip(), (name, action.dest)
    predict = subcommands["predict"]
    path_help = next(a.help for a in predict._actions if a.dest == "paths")
    assert all(suffix in path_help for suffix in (".pdf", ".docx", ".txt", ".json"))
    format_help = next(a.help for a in predict._actions if a.dest == "format")
    assert "csv" in format_help and "html" in format_help
    assert "byte-order mark" in predict.description  # how the CSV is encoded, stated
    # the epilog keeps its lines as written (one example per line)
    assert "\n  imr predict letters/ --format csv" in predict.format_help()


# --- CSV -------------------------------------------------------------------------------------------------------

def test_predict_csv_opens_in_pandas_with_one_row_per_item(tmp_path, capsys):
    import pandas as pd

    finished = _finished_letter(tmp_path)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    out = tmp_path / "predictions.csv"
    code = main(["predict", str(finished), str(EXAMPLE_DRAFT), str(broken), "--format", "csv", "-o", str(out), "-q"])
    assert code == 1  # one letter could not be read
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame.columns) == ["source", "case_number", "item_index", "item", "stated_decision", "predicted",
                                   "outcome_label", "p_overturned", "p_low", "p_high", "basis", "flags", "top_reason",
                                   "top_context", "rationale_states", "error"]
    items, errors = frame[frame["error"].isna()], frame[frame["error"].notna()]
    assert len(items) == 6 and list(items["item_index"]) == [0, 1, 2, 0, 1, 2]  # one row per item
    assert list(errors["source"]) == [str(broken)] and "PDF" in errors["error"].iloc[0]  # the failed letter, named
    contradiction = items[(items["source"] == str(finished)) & (items["item_index"] == 2)].iloc[0]
    assert contradiction["flags"] == "CONTRADICTION; QUESTION" and contradiction["stated_decision"] == "Upheld"
    assert contradiction["predicted"] == "Overturned" and contradiction["basis"] == "verdict"
    # the top reason is the first of the record's reasons
    assert main(["predict", str(finished), "--format", "jsonl", "-q"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mine = items[items["source"] == str(finished)]
    assert list(mine["top_reason"]) == [" ".join(r["reasons"][0].split()) for r in records]
    assert list(mine["outcome_label"]) == [r["outcome_label"] for r in records]  # the label, as in the JSON
    assert list(mine["p_overturned"]) == [r["p_overturned"] for r in records]


def test_predict_csv_on_stdout_and_resume_is_refused(tmp_path, capsys):
    import io

    import pandas as pd

    assert main(["predict", str(EXAMPLE_DRAFT), "--format", "csv", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeffsource,")
    assert len(pd.read_csv(io.StringIO(out.lstrip("\ufeff")))) == 3
    code = main(["predict", str(EXAMPLE_DRAFT), "--format", "csv", "-o", str(tmp_path / "p.csv"), "--resume"])
    assert code == 2
    assert "--resume" in capsys.readouterr().err and not (tmp_path / "p.csv").exists()


# --- HTML ------------------------------------------------------------------------------------------------------

def test_predict_html_writes_pages_and_an_index_and_leaves_stdout_free(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    finished = _finished_letter(tmp_path)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    old = os.umask(0o022)
    try:
        code = main(["predict", str(EXAMPLE_DRAFT), str(finished), str(broken), "--format", "html",
                     "--html-dir", "pages"])
    finally:
        os.umask(old)
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""  # no JSON lines on the screen
    where = [line for line in captured.err.splitlines() if "index" in line]
    assert where == [f"imr: wrote 2 pages and the index {Path('pages') / 'index.html'}"]
    index = (tmp_path / "pages" / "index.html").read_text(encoding="utf-8")
    rows = index.split("<tr")[2:]  # after the header row
    assert len(rows) == 7  # six items and the letter that failed
    assert "CONTRADICTION" in rows[0] and "finished.txt.html" in rows[0]  # contradictions first
    assert 'href="draft_letter.txt.html"' in index and "error: not a PDF file" in index
    for page in (tmp_path / "pages").iterdir():  # readable like any other output: 0o666 less the umask
        assert stat.S_IMODE(page.stat().st_mode) == 0o644, page.name


def test_two_letters_of_one_name_get_two_pages(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _finished_letter(tmp_path / "a", "letter.txt"), _finished_letter(tmp_path / "b", "letter.txt")
    assert main(["predict", str(first), str(second), "--format", "html", "--html-dir", str(tmp_path / "pages"),
                 "-q"]) == 0
    assert len(list((tmp_path / "pages").glob("*.html"))) == 3  # two pages and the index


def test_the_index_lists_contradictions_then_questions_then_failures_then_the_rest():
    from nlp_pipeline.app.render import predictions_index_html

    def item(source, agrees=None, leans=None):
        return {"source": source, "case_number": source, "item_index": 0, "item": "x", "stated_decision": "Upheld",
                "predicted": "Upheld", "p_overturned": 0.1, "basis": "rationale", "mode": "draft",
                "agrees_with_stated": agrees, "rationale_leans": leans, "warnings": [], "html": f"{source}.html"}

    records = [item("plain"), {"source": "failed", "error": "unreadable"}, item("question", True, True),
               item("contradiction", False)]
    rows = predictions_index_html(records).split("<tr")[2:]
    assert [next(name for name in ("contradiction", "question", "failed", "plain") if name in row)
            for row in rows] == ["contradiction", "question", "failed", "plain"]


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writer_files_honour_the_umask(tmp_path, umask, expected):
    from nlp_pipeline.io.batch import atomic_writer

    old = os.umask(umask)
    try:
        with atomic_writer(tmp_path / "out.html") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.html").stat().st_mode) == expected


# --- progress --------------------------------------------------------------------------------------------------

def test_predict_and_parse_show_a_bar_with_the_total_and_the_time_left(tmp_path, capsys, monkeypatch):
    for number in range(3):
        _finished_letter(tmp_path, f"letter-{number}.txt")
    _as_terminal(monkeypatch)
    for command in ("predict", "parse"):
        assert main([command, str(tmp_path), "--format", "jsonl"]) == 0
        err = capsys.readouterr().err
        assert "3/3" in err and "<00:00" in err, command  # the total, and the time left
    assert main(["predict", str(tmp_path), "--format", "jsonl", "-q"]) == 0
    assert "3/3" not in capsys.readouterr().err  # --quiet: no bar


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path, capsys):
    _finished_letter(tmp_path)
    assert main(["parse", str(tmp_path), "--format", "jsonl"]) == 0
    assert "1/1" not in capsys.readouterr().err


def test_evaluate_shows_progress_and_warns_on_a_small_sample(tmp_path, capsys, monkeypatch):
    _labelled_requests(tmp_path, [["Upheld", "Overturned", "Upheld"], ["Upheld", "Upheld", "Upheld"]])
    _as_terminal(monkeypatch)
    assert main(["evaluate", str(tmp_path), "--mode", "facts", "--bootstrap", "20", "--format", "json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert "2/2" in captured.err  # progress over the letters, with the total
    assert result["items"] == 6 and result["overturned"] == 1
    assert any("only 1 Overturned item" in w for w in result["warnings"])
    assert any("only 2 letters" in w for w in result["warnings"])
    assert "imr: warning: only 1 Overturned item" in captured.err


def test_enough_items_and_letters_give_no_small_sample_warning():
    from nlp_pipeline.model.evaluation import small_sample_warnings

    assert small_sample_warnings({"items": 150, "overturned": 13, "letters": 65}) == []
    assert small_sample_warnings({"items": 150, "overturned": 9, "letters": 65}) != []
    assert small_sample_warnings({"items": 0, "unlabelled_items": 3}) == []


def test_train_shows_a_bar_with_the_total_while_it_reads_the_letters(tmp_path, capsys, monkeypatch):
    for number in range(3):
        _finished_letter(tmp_path, f"letter-{number}.txt")
    _as_terminal(monkeypatch)
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "model")]) == 1  # too few letters to train
    err = capsys.readouterr().err
    assert "reading letters" in err and "3/3" in err and "too few labelled letters" in err


# --- errors once, empty and mixed inputs -----------------------------------------------------------------------

def _in_a_terminal(args: list[str], cwd: Path) -> str:
    """Run imr with stdout and stderr on one pseudo-terminal (a user's screen); what the screen shows."""
    import fcntl
    import pty
    import struct
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "nlp_pipeline.app.cli", *args], stdout=secondary,
                               stderr=secondary, stdin=subprocess.DEVNULL, cwd=cwd)
    os.close(secondary)
    screen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        screen += chunk
    os.close(primary)
    process.wait(timeout=120)
    return screen.decode("utf-8", errors="replace")


@pytest.mark.parametrize("command", ["parse", "predict"])
def test_each_error_shows_once_on_a_terminal(tmp_path, command):
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    _finished_letter(tmp_path)
    screen = _in_a_terminal([command, "broken.pdf", "finished.txt"], tmp_path)
    assert screen.count("not a PDF file") == 1, screen
    assert "imr: error: broken.pdf: not a PDF file" in screen
    assert "1/2" in screen or "2/2" in screen  # the bar, on a terminal


def test_the_table_keeps_errors_where_stdout_is_not_the_terminal(tmp_path, capsys):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"not a pdf")
    assert main(["predict", str(bad), str(EXAMPLE_DRAFT), "-q"]) == 1
    out, err = capsys.readouterr()
    assert f"{bad}: ERROR not a PDF file" in out  # a file or a pipe says what failed
    assert err.count("not a PDF file") == 1


def test_same_terminal_tells_one_terminal_from_two_streams(tmp_path):
    import pty

    from nlp_pipeline.io.batch import same_terminal

    primary, secondary = pty.openpty()
    with open(secondary, "w", closefd=False) as one, open(secondary, "w", closefd=False) as two, \
            open(tmp_path / "file.txt", "w") as file:
        assert same_terminal(one, two)
        assert not same_terminal(file, two) and not same_terminal(one, file)
    os.close(primary)
    os.close(secondary)


@pytest.mark.parametrize("command", ["parse", "predict", "evaluate", "train"])
def test_an_empty_folder_exits_non_zero_with_a_message(tmp_path, capsys, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main([command, str(empty)])
    err = capsys.readouterr().err
    assert code != 0
    assert f"no letters found in {empty}" in err


def test_files_skipped_in_a_folder_are_named_on_one_line(tmp_path, capsys):
    _finished_letter(tmp_path)
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "b.csv").write_text("x,y\n")
    (tmp_path / ".hidden").write_text("")
    assert main(["predict", str(tmp_path), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if "skipped" in line]
    assert lines == [f"imr: skipped 2 files that are not letters: {tmp_path / 'a.png'}, {tmp_path / 'b.csv'}"]
    assert len(captured.out.splitlines()) == 3
    assert main(["parse", str(tmp_path), "--format", "jsonl", "-q"]) == 0
    assert "skipped" not in capsys.readouterr().err  # --quiet


# --- version, train, --mode and --model, serve -----------------------------------------------------------------

def test_version_names_the_package_and_the_shipped_models(capsys):
    from nlp_pipeline.model import files as model_files

    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"imr {__version__}\n")
    for mode in ("draft", "facts"):
        metadata = json.loads((model_files.MODELS_DIR / mode / "metadata.json").read_text(encoding="utf-8"))
        line = next(line for line in out.splitlines() if line.strip().startswith(mode))
        assert metadata["trained_at"] in line and metadata["sha256"] in line
        assert len(metadata["trained_at"]) == 10 and metadata["trained_at"][4] == "-"  # an ISO date


def test_train_without_out_writes_a_new_folder_and_names_missing_inputs(tmp_path, capsys, monkeypatch):
    """Trained on a table of invented labelled items: a new folder in the current directory, with its mode and
    the day it was trained; the shipped models untouched."""
    import csv

    from nlp_pipeline.model import files as model_files

    shipped = {p: p.stat().st_mtime_ns for p in model_files.MODELS_DIR.glob("*/*")}
    table = tmp_path / "items.csv"
    fields = ("case_number", "case_summary", "request", "claims_administrator_guideline", "rationale", "decision")
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for number in range(24):
            overturned = number % 2 == 0
            writer.writerow({
                "case_number": f"CM26-{number:07d}",
                "case_summary": ("The injured worker reported improved function and less pain after therapy."
                                 if overturned else "The injured worker reported no improvement after 24 sessions."),
                "request": "Physical therapy 6 sessions for the lumbar spine" if overturned
                else "Physical therapy 24 sessions for the lumbar spine",
                "claims_administrator_guideline": "Decision based on MTUS Chronic Pain Medical Treatment Guidelines.",
                "rationale": "The request is medically necessary." if overturned
                else "The request is not medically necessary.",
                "decision": "Overturned" if overturned else "Upheld",
            })
    monkeypatch.chdir(tmp_path)
    code = main(["train", str(table), "--mode", "facts", "--bootstrap", "0", "--cv-repeats", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    [folder] = [p for p in tmp_path.iterdir() if p.name.startswith("imr-model-facts-")]
    assert f"model written to {folder.name}" in err
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["mode"] == "facts" and len(metadata["trained_at"]) == 10
    # the usual rate its outputs compare with: half of the invented items were Overturned
    assert metadata["training_overturned"] == 12 and metadata["overturned_rate"] == 0.5
    assert {p: p.stat().st_mtime_ns for p in model_files.MODELS_DIR.glob("*/*")} == shipped
    # the model it wrote predicts in its own mode when named with --model alone
    assert main(["predict", str(EXAMPLE_DRAFT), "--model", str(folder), "--format", "jsonl", "-q"]) == 0
    assert {json.loads(line)["mode"] for line in capsys.readouterr().out.splitlines()} == {"facts"}

    missing = tmp_path / "no-such-letters"
    assert main(["train", str(missing), str(table)]) == 2
    assert capsys.readouterr().err.strip() == f"imr: error: no such file or folder: {missing}"


def test_train_py_names_missing_input_folders(tmp_path):
    missing = tmp_path / "letters"
    done = subprocess.run([sys.executable, str(ROOT / "train.py"), str(missing)], check=False, capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert f"no such file or folder: {missing}" in done.stderr and "found 0" not in done.stderr
    assert not list(tmp_path.glob("imr-model-*"))


def test_the_default_model_folder_is_new_each_time(tmp_path, monkeypatch):
    from datetime import datetime

    from nlp_pipeline.app.commands.train import default_out

    monkeypatch.chdir(tmp_path)
    now = datetime(2026, 12, 1, 9, 30, 5)
    first = default_out("draft", now)
    assert first == Path("imr-model-draft-20261201-093005")
    first.mkdir()
    assert default_out("draft", now) == Path("imr-model-draft-20261201-093005-2")


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_mode_and_model_that_disagree_are_a_usage_error(command, capsys):
    from nlp_pipeline.model import files as model_files

    facts = model_files.MODELS_DIR / "facts"
    assert main([command, str(EXAMPLE_DRAFT), "--model", str(facts), "--mode", "draft", "-q"]) == 2
    err = capsys.readouterr().err
    assert "--mode draft does not match" in err and "facts model" in err
    assert err.count("error:") == 1


def test_a_model_folder_alone_sets_the_mode(capsys):
    from nlp_pipeline.model import files as model_files

    assert main(["predict", str(EXAMPLE_DRAFT), "--model", str(model_files.MODELS_DIR / "facts"), "--format",
                 "jsonl", "-q"]) == 0
    assert {json.loads(line)["mode"] for line in capsys.readouterr().out.splitlines()} == {"facts"}
    assert main(["predict", str(EXAMPLE_DRAFT), "--format", "jsonl", "-q"]) == 0  # no --model: draft
    assert {json.loads(line)["mode"] for line in capsys.readouterr().out.splitlines()} == {"draft"}


def test_serve_without_its_extra_names_both_install_commands(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the serve extra were not installed
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert 'pip install "imr-outcome[serve]"' in err  # an installed package
    assert 'pip install -e ".[serve]"' in err  # a checkout
