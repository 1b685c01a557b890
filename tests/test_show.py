"""``imr show``: standalone HTML pages with highlights, the text summary, and :mod:`nlp_pipeline.app.render`."""
from __future__ import annotations

import html
import re

import pytest

from nlp_pipeline.app.cli import main
from nlp_pipeline.letter.parse import load_letter
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.app.render import highlight_html, page


def _check_page(path, out):
    letter = load_letter(path)
    facts = extract_letter(letter)
    assert main(["show", str(path), "--html", str(out)]) == 0
    assert out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for item in letter.items:
        assert html.escape(item.title) in text
    entities = [e for item in facts.items for e in item.entities]
    assert entities
    for label in {e.label for e in entities}:
        assert f'<mark class="imr-{label}' in text
    first = entities[0]
    assert html.escape(first.text.split("\n")[0]) in text
    assert "<script" not in text.lower()
    assert not re.search(r"https?://", text)
    assert not re.search(r"<link\b", text, re.IGNORECASE)
    return text


def test_show_html_example_draft(tmp_path, example_draft):
    text = _check_page(example_draft, tmp_path / "x.html")
    assert "CM26-0000001" in text
    assert 'class="imr-label">TREATMENT</span></mark>' in text
    assert "role: requested" in text  # tooltips carry the role
    # the acupuncture rationale's closing sentence leans for the request and states its verdict
    assert re.search(r'<tr class="stance-for"><td>for \(verdict\)</td><td>The request for an initial trial of 6 sessions',
                     text)
    assert 'class="imr-label">VERDICT</span></mark>' in text


def test_show_html_seed_letter(tmp_path, seeds_dir):
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    _check_page(seed, tmp_path / "out" / "seed.html")


def test_show_text_summary(example_draft, capsys):
    assert main(["show", str(example_draft)]) == 0
    out = capsys.readouterr().out
    assert "CM26-0000001" in out
    assert "TREATMENT='Physical therapy'" in out


def test_show_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    out = tmp_path / "bad.html"
    assert main(["show", str(bad), "--html", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"imr: error: {bad}: ")
    assert not out.exists()


def test_show_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.txt"
    assert main(["show", str(missing)]) == 1
    assert f"imr: error: {missing}:" in capsys.readouterr().err


def test_highlight_escapes_text_and_attributes():
    out = highlight_html("a <b> & c", [{"start": 2, "end": 5, "label": "CUE", "title": 'x "<y>"', "css": "negated"}])
    assert out == ('a <mark class="imr-CUE negated" title="x &quot;&lt;y&gt;&quot;">&lt;b&gt;'
                   '<span class="imr-label">CUE</span></mark> &amp; c')


def test_highlight_overlaps_keep_longest_then_earliest():
    text = "physical therapy twice"
    spans = [
        {"start": 0, "end": 8, "label": "CUE"},
        {"start": 0, "end": 16, "label": "TREATMENT"},
        {"start": 9, "end": 22, "label": "COUNT"},  # overlaps the longest: dropped
        {"start": 17, "end": 22, "label": "DATE"},
    ]
    out = highlight_html(text, spans)
    assert out.count("<mark") == 2
    assert '<mark class="imr-TREATMENT">physical therapy<span class="imr-label">TREATMENT</span></mark>' in out
    assert '<mark class="imr-DATE">twice<span' in out
    assert "imr-CUE" not in out and "imr-COUNT" not in out
    same = highlight_html("abcdef", [{"start": 3, "end": 6, "label": "B"}, {"start": 0, "end": 3, "label": "A"},
                                     {"start": 2, "end": 5, "label": "C"}])
    assert same.index("imr-A") < same.index("imr-B") and "imr-C" not in same


def test_highlight_newlines_and_plain_text():
    assert highlight_html("one\ntwo", []) == "one<br>\ntwo"
    out = highlight_html("MTUS\nChapter", [{"start": 0, "end": 12, "label": "GUIDELINE"}])
    assert out.startswith('<mark class="imr-GUIDELINE">MTUS<br>\nChapter')


@pytest.mark.parametrize("label", ["TREATMENT", "COUNT", "DATE", "GUIDELINE", "CITATION", "BODY_PART",
                                   "DIAGNOSIS", "FINDING", "CUE", "VERDICT", "toward-overturned", "toward-upheld", "negated"])
def test_page_styles_every_label(label):
    out = page("A <title>", "<p>body</p>")
    assert out.startswith("<!DOCTYPE html>") and "<title>A &lt;title&gt;</title>" in out
    assert (f"mark.imr-{label} " if label.isupper() else f"mark.{label} ") in out


def test_show_lists_the_case_findings_and_weeks(tmp_path):
    from conftest import ROOT

    out = tmp_path / "request.html"
    assert main(["show", str(ROOT / "examples" / "facts_request.txt"), "--html", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert re.search(r"<th>Objective findings</th><td>tear</td>", text)
    assert "<th>Weeks from injury to denial</th><td>14.6</td>" in text
