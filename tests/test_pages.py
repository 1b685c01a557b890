"""The pages explain themselves (issue 29): the QA overview, the letter pages' legend, badge, bar, summary,
paragraphs, what-if marks and glyphs, the usual rate, and the specialty names the notebooks plot."""
from __future__ import annotations

import json
from html import escape
import re

import pytest

from nlp_pipeline.app.render import (
    INDEX_SCRIPT, OUTCOME_COLOURS, highlight_html, index_page, page, paragraph_breaks, predictions_html,
    predictions_index_html,
)
from nlp_pipeline.letter.parse import load_letter, specialty_name
from nlp_pipeline.model.files import MODELS_DIR
from nlp_pipeline.model.files import usual_rate_of as usual_rate


def test_glyphs_fonts_lack_are_shown_as_hyphens_and_keep_offsets():
    text = "evidence\ufffebased and non\u2011steroidal"
    out = highlight_html(text, [{"start": 0, "end": 14, "label": "X"}])
    assert "\ufffe" not in out and "\u2011" not in out
    assert "evidence-based<span" in out and "non-steroidal" in out


def test_one_sans_serif_font_stack():
    css = page("t", "")
    assert "serif" not in css.replace("sans-serif", "") and css.count("font-family") == 1


def test_pdf_lines_become_paragraphs():
    line = "word " * 18
    text = f"Decision rationale: {line}\n{line}\nshort last line.\n{line}\n{line}\nend.\nMAXIMUS guideline: x"
    breaks = paragraph_breaks(text)
    assert len(breaks) == 2  # after each short last line; the wrapped lines are joined
    out = highlight_html(text, [], paragraphs=True)
    assert out.count("<p>") == 3 and "<br>" not in out and "\n" not in out.replace("</p>\n<p>", "")
    long_lines = "\n".join(["A paragraph written on one line, as pasted text has it. " * 4] * 3)
    assert len(paragraph_breaks(long_lines)) == 2  # a paragraph a line: every line breaks


def test_an_edit_overlapping_evidence_shows_both():
    text = "The request exceeds the guideline. More text."
    spans = [{"start": 0, "end": 34, "label": "EVIDENCE", "css": "toward-upheld"}]
    edits = [{"start": 12, "end": 45, "label": "edit 1", "title": "without it"},
             {"start": 0, "end": 0, "label": "edit 2", "title": "adds"}]
    out = highlight_html(text, spans, edits)
    assert out.count("<mark") == 1  # the evidence is one mark, the edit inside and past it
    assert re.search(r'<mark class="imr-EVIDENCE toward-upheld">.*<span class="what-if"', out)
    assert out.count('class="what-if"') == 2 and '<span class="what-if-label">edit 1</span>' in out
    assert "+ edit 2" in out


def test_the_usual_rate_is_the_training_share_of_overturned():
    for mode in ("draft", "facts"):
        folder = MODELS_DIR / mode
        rate = usual_rate(folder)
        report = json.loads((folder / "report.json").read_text())
        assert rate == pytest.approx(report["variants"]["full"]["overturned"] / report["labelled_items"])
        assert 0.05 < rate < 0.3


def test_usual_rate_from_the_report_a_wheel_ships(tmp_path):
    (tmp_path / "report.md").write_text("## full (296 items, 37 Overturned, 134 letters)\n")
    assert usual_rate(tmp_path) == pytest.approx(0.125)
    assert usual_rate(tmp_path / "none") is None


@pytest.fixture(scope="module")
def draft_page(example_draft):
    from nlp_pipeline.predict.outcome import load_model
    from nlp_pipeline.predict.service import predict_items

    letter = load_letter(example_draft)
    predictions = predict_items(load_model(mode="draft"), letter, what_if=True)
    return letter, predictions, predictions_html(letter, predictions, 0.125)


def test_a_letter_page_explains_itself(draft_page):
    letter, predictions, html = draft_page
    assert 'class="block legend"' in html and "How to read this page" in html
    for outcome in ("Upheld", "Overturned"):
        assert f'badge-{outcome.lower()}">{outcome}</span>' in html
    assert "the denial is reversed: the treatment is found medically necessary" in html
    assert html.count('class="usual" style="left:12.5%"') >= len(predictions)
    assert 'class="block summary"' in html and "injured worker is a 47 year old" in html
    for prediction in predictions:
        assert f'id="item-{prediction.item_index + 1}"' in html
    assert '<span class="what-if-label">' in html  # the what-if edits are marked in the text
    assert "<br>" not in html.split('class="block summary"')[1]  # paragraphs, not PDF lines


def test_the_summary_marks_the_evidence_found_in_it(example_draft):
    """Facts mode reads the case summary: its evidence there is marked on the prediction page."""
    from conftest import ROOT
    from nlp_pipeline.predict.outcome import load_model

    letter = load_letter(ROOT / "examples" / "facts_request.txt")
    predictions = load_model(mode="facts").predict_letter(letter)
    summary = predictions_html(letter, predictions).split('class="block summary"')[1].split("</section>")[0]
    assert "<mark" in summary and "imr-EVIDENCE" in summary


def _record(source, agrees=None, leans=None, p=0.1, **extra):
    return {"source": source, "case_number": source.upper(), "item_index": 1, "item": "MRI", "stated_decision":
            "Upheld", "predicted": "Upheld", "p_overturned": p, "threshold": 0.25, "basis": "rationale",
            "mode": "draft", "agrees_with_stated": agrees, "rationale_leans": leans, "warnings": ["w1"],
            "html": f"pages/{source}.html", **extra}


def test_the_overview_counts_links_and_flags():
    records = [_record("plain"), {"source": "bad.pdf", "error": "not a PDF file"}, _record("asks", True, True, 0.3),
               _record("contra", False, p=0.9, outcome_label="leans Overturned: 2.2x the usual rate of 12.5%")]
    html = predictions_index_html(records, 0.125)
    counts = " ".join(re.sub("<[^>]+>", " ", html.split('class="counts">')[1].split("</ul>")[0]).split())
    assert counts == ("4 letters 3 items 1 contradiction 1 question 1 letter that could not be read")
    assert "bad.pdf: not a PDF file" in html
    rows = html.split("<tbody>")[1].split("<tr")[1:]
    assert "CONTRADICTION" in rows[0] and "QUESTION" in rows[1] and "not a PDF file" in rows[2]
    assert 'href="contra.html#item-2"' in rows[0] and 'href="contra.html"' in rows[0]
    assert "leans Overturned: 2.2x the usual rate of 12.5%" in rows[0]  # the label in plain words, when given
    assert 'data-sort="0.900000"' in rows[0] and 'class="pbar small"' in rows[0]
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert [re.sub("<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>.*?</th>", head)] == [
        "Letter", "Item", "Stated decision", "Prediction", "P(Overturned)", "Basis", "Contradiction", "Question",
        "Warnings"]
    assert 'id="only-contradictions"' in html and 'id="only-questions"' in html and 'id="filter-text"' in html
    assert "How to read this page" in html


def test_the_overview_page_works_from_disk():
    whole = index_page([_record("plain")])
    assert f"<script>{INDEX_SCRIPT}</script>" in whole
    assert not re.search(r"https?://|<link\b|\bsrc=", whole)


def test_server_rows_link_within_the_page():
    html = predictions_index_html([_record("x", html=None, anchor="l1-draft-item-2")])
    assert 'href="#l1-draft-item-2"' in html


def test_one_colour_per_outcome():
    assert set(OUTCOME_COLOURS) == {"Upheld", "Overturned"} and len(set(OUTCOME_COLOURS.values())) == 2
    css = page("t", "")
    for outcome, colour in OUTCOME_COLOURS.items():
        assert f".badge-{outcome.lower()} {{ background: {colour}; }}" in css


@pytest.mark.parametrize("written, shown", [("Pain Management", "Pain Medicine"), ("PAIN MEDICINE", "Pain Medicine"),
                                            ("Occupational", "Occupational Medicine"),
                                            ("physical medicine & rehabilitation", "Physical Medicine & Rehabilitation")])
def test_specialty_names(written, shown):
    assert specialty_name(written) == shown


def test_the_page_shows_the_label_the_context_and_the_models_usual_rate(draft_page):
    letter, predictions, html = draft_page
    for prediction in predictions:
        shown = f'<p class="outcome-label">{escape(prediction.outcome_label)}</p>' in html
        # a label that says more than the outcome is shown; the outcome alone is not repeated under its badge
        assert prediction.outcome_label and shown == (prediction.outcome_label != prediction.predicted)
    assert any(p.outcome_label != p.predicted for p in predictions)  # the example shows one of each kind
    assert any(p.outcome_label == p.predicted for p in predictions)
    if any(p.context for p in predictions):
        assert "Context, not medical reasons" in html and '<ul class="context">' in html
    import dataclasses

    other = predictions_html(letter, [dataclasses.replace(predictions[0], usual_rate=0.2)], 0.125)
    assert 'class="usual" style="left:20.0%"' in other  # the rate the prediction carries wins


@pytest.fixture(scope="module")
def facts_page(example_draft):
    from nlp_pipeline.predict.outcome import load_model
    from nlp_pipeline.predict.service import predict_items

    letter = load_letter(example_draft)
    predictions = predict_items(load_model(mode="facts"), letter, what_if=True)
    return letter, predictions, predictions_html(letter, predictions, 0.125)


def _item_section(html: str, number: int) -> str:
    return html.split(f'id="item-{number}"')[1].split("</section>")[0]


def test_each_item_has_a_guideline_checklist_linked_to_the_case_summary(facts_page):
    """Issue 30: per item, the guideline's status in plain words with its source, and each condition with its
    state; a documented or contradicted one links to the words of the case summary that decided, marked there."""
    from nlp_pipeline.app.render import STATE_WORDS, STATUS_WORDS, condition_anchor
    from nlp_pipeline.facts.recommendations import conditions

    letter, predictions, html = facts_page
    summary = html.split('class="block summary"')[1].split("</section>")[0]
    linked = 0
    for prediction in predictions:
        reading = prediction.recommendation
        section = _item_section(html, prediction.item_index + 1)
        assert "What the guideline says" in section
        assert escape(STATUS_WORDS[reading.status]) in section
        assert escape(reading.source.guideline) in section and escape(reading.source.section) in section
        assert reading.source.pages is None or escape(f"pages {reading.source.pages}") in section
        checklist = section.split('<ul class="checklist">')[1].split("</ul>")[0]
        assert checklist.count("<li") == len(reading.conditions)
        for state in reading.conditions:
            row = next(li for li in checklist.split("<li")[1:] if escape(conditions()[state.name].sentence) in li)
            assert f'class="cond-{state.state}"' in row and STATE_WORDS[state.state] in row
            anchor = f'href="#{condition_anchor("", state.start, state.end)}"' if state.start is not None else None
            assert (anchor is not None and anchor in row) == (state.state != "not_mentioned")
            if anchor:  # the link's target: a mark on the same words in the case summary
                mark = summary.split(f'id="{condition_anchor("", state.start, state.end)}"')[0].rsplit("<mark", 1)[1]
                assert "imr-CONDITION" in mark
                text = summary.split(f'id="{condition_anchor("", state.start, state.end)}">')[1].split("<span")[0]
                assert text == escape(letter.text[state.start:state.end])
                linked += 1
    assert linked >= 3 and "condition-contradicted" in summary  # the example's MRI: "no red flags"


def test_the_checklist_shows_each_condition_edit_beside_its_condition(facts_page):
    letter, predictions, html = facts_page
    shown = 0
    for prediction in predictions:
        section = _item_section(html, prediction.item_index + 1)
        checklist = section.split('<ul class="checklist">')[1].split("</ul>")[0]
        for number, entry in enumerate(prediction.what_if, 1):
            if entry.kind != "condition":
                continue
            row = next(li for li in checklist.split("<li")[1:] if f"(edit {number})" in li)
            state = next(c for c in prediction.recommendation.conditions if c.name == entry.condition)
            assert f'class="cond-{state.state}"' in row and state.state != "documented"
            assert f"P(Overturned) {entry.p_overturned:.3f} ({entry.delta:+.3f})" in row
            shown += 1
    assert shown >= 3


def test_a_prediction_without_a_guideline_reading_has_no_checklist(facts_page):
    from dataclasses import replace

    letter, predictions, _ = facts_page
    html = predictions_html(letter, [replace(p, recommendation=None) for p in predictions], 0.125)
    after_legend = html.split("</details>", 1)[1]
    assert "<h3>What the guideline says</h3>" not in html and "imr-CONDITION" not in after_legend


def test_the_checklist_quotes_what_the_rationale_states_and_asks_where_the_summary_disagrees(draft_model):
    """Issue 30, item 4: a condition the rationale states shows it in the checklist, linked to a mark on the stating
    words in the item's text; where the case summary reads it the other way, a question for the reviewer."""
    from test_recommendation_outputs import rationale_letter_text

    from nlp_pipeline.app.render import rationale_anchor
    from nlp_pipeline.facts.recommendations import conditions
    from nlp_pipeline.letter.parse import read_letter

    letter = read_letter(rationale_letter_text())
    predictions = draft_model.predict_letter(letter)
    html = predictions_html(letter, predictions, 0.125)
    failed = escape(conditions()["failed_first_line_care"].sentence)
    for prediction, says in zip(predictions, ("not met", "met")):
        section = _item_section(html, prediction.item_index + 1)
        checklist = section.split('<ul class="checklist">')[1].split("</ul>")[0]
        row = next(li for li in checklist.split("<li")[1:] if failed in li)
        stated = prediction.rationale_conditions[0]
        anchor = rationale_anchor("", stated.start, stated.end)
        assert f'The rationale says it is {says}: <a href="#{anchor}">' in row
        text = section.split("<h3>The item's text</h3>")[1]
        marked = text.split(f'id="{anchor}">')[1].split("<span")[0]  # the link's target: the stating words
        assert marked == escape(letter.text[stated.start:stated.end])
        assert "imr-cue condition-" in text.split(f'id="{anchor}"')[0].rsplit("<span", 1)[1]
        question = "QUESTION for the reviewer: the case summary documents it, but the rationale says it is not met"
        assert (question in row) == (says == "not met")  # the MRI's rationale agrees with the summary: no question
    # the note says what the draft model reads, as its mode's families say
    from nlp_pipeline.modes import DRAFT

    reads = "conditions" in DRAFT.families
    assert ("The model reads what the rationale states of them (family conditions)" in html) == reads
    assert ("The model does not read these statements" in html) == (not reads)


def test_a_facts_page_says_its_model_reads_the_guideline_reading_and_quotes_no_rationale(facts_page):
    letter, predictions, html = facts_page
    assert "The model reads this reading (family guideline)" in html and "Not a model feature" not in html
    assert "The rationale says it is" not in html and 'id="rationale-' not in html


def test_a_rationale_cue_is_marked_inside_the_evidence_around_it(draft_model):
    """The words that state a condition sit inside a sentence the model weighs: both stay marked, the cue within."""
    import dataclasses

    from test_recommendation_outputs import rationale_letter_text

    from nlp_pipeline.app.render import rationale_anchor
    from nlp_pipeline.letter.parse import read_letter
    from nlp_pipeline.types import Evidence

    letter = read_letter(rationale_letter_text())
    prediction = draft_model.predict_letter(letter)[0]
    stated = prediction.rationale_conditions[0]
    start = letter.text.rindex("In this case", 0, stated.start)
    end = letter.text.index(".", stated.end) + 1
    evidence = Evidence("case_sentences:against", -1.0, letter.text[start:end], start, end, spans=((start, end),))
    html = predictions_html(letter, [dataclasses.replace(prediction, evidence=(evidence,))])
    text = _item_section(html, 1).split("<h3>The item's text</h3>")[1]
    mark = text.split('<mark class="imr-EVIDENCE')[1].split("</mark>")[0]
    assert f'id="{rationale_anchor("", stated.start, stated.end)}"' in mark
