"""Extraction: phrase-level normalization cases, clause-scoped assertions, and the seed letters' facts."""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp_pipeline.facts.allowances import applicable_allowance, compare_to_allowance
from nlp_pipeline.letter.dates import find_dates
from nlp_pipeline.extraction.extensions import CUES_KEY, FINDINGS_KEY, SPANS_KEY
from nlp_pipeline.facts.derive import weeks_injury_to_review
from nlp_pipeline.letter.parse import parse_letter
from nlp_pipeline.facts.extract import extract_letter
from nlp_pipeline.extraction.amounts import find_quantities
from nlp_pipeline.types import Amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("six sessions", {"min": 6, "max": 6}),
        ("x8 visits", {"min": 8, "max": 8}),
        ("Acupuncture X16 visits", {"min": 16, "max": 16}),
        ("12 sessions of physical therapy", {"min": 12, "max": 12}),
        ("1 time a week for 20 sessions", {"min": 20, "max": 20, "per_week": [1, 1]}),
        ("3 times a week for 2 weeks", {"min": 6, "max": 6, "per_week": [3, 3], "weeks": [2, 2]}),
        ("two times a week times six weeks", {"min": 12, "max": 12}),
        ("two times four", {"min": 8, "max": 8}),
        ("two times four visits (8)", {"min": 8, "max": 8}),
        ("continuation of therapy (12)", {"min": 12, "max": 12}),
        ("6-10 visits over 5-6 weeks", {"min": 6, "max": 10, "weeks": [5, 6]}),
        ("3-4 psychotherapy visits over 2 weeks", {"min": 3, "max": 4, "weeks": [2, 2]}),
        ("24 visits over 16 weeks", {"min": 24, "max": 24, "weeks": [16, 16]}),
        ("2-3 times a week for 6 weeks", {"min": 12, "max": 18}),
        ("six (6) sessions", {"min": 6, "max": 6}),
        ("Physical therapy, times 12", {"min": 12, "max": 12}),
        ("Acupuncture therapy sessions lumbar spine #6", {"min": 6, "max": 6}),
        ("2 times weekly for 6 weeks", {"min": 12, "max": 12, "per_week": [2, 2], "weeks": [6, 6]}),
        ("twice weekly for 4 weeks", {"min": 8, "max": 8}),
        ("2 visits per week for 3 weeks", {"min": 6, "max": 6}),
        ("Twelve infrared acupuncture visits", {"min": 12, "max": 12}),
        ("Norco 10/325mg #60", {"kind": "drug", "strength": "10/325", "strength_unit": "mg", "quantity": 60}),
        ("Cyclobenzaprine 7.5mg #90", {"kind": "drug", "strength": "7.5", "quantity": 90}),
        ("Trezix capsule 320.5/30/16mg #30", {"kind": "drug", "strength": "320.5/30/16", "quantity": 30}),
        ("Voltaren gel apply 4 times a day, #60 grams with 1 refill", {"kind": "drug", "quantity": 60, "form": "grams"}),
        ("Lidoderm patch, 12 hours on 12 hours off, #1 box", {"kind": "drug", "quantity": 1, "form": "box"}),
        ("Norco 10/325 #90", {"kind": "drug", "strength": "10/325", "quantity": 90}),
        ("Ultracet 37.5/325, #60", {"kind": "drug", "strength": "37.5/325", "quantity": 60}),
        ("Terocin patches #30", {"kind": "drug", "quantity": 30, "form": "patches"}),
        ("seen on 11/18/16 #6 sessions", {"kind": "visits", "min": 6, "max": 6}),
        ("Physical therapy 2 x 6 weeks", {"min": 12, "max": 12, "per_week": [2, 2], "weeks": [6, 6]}),
        # number words of two parts, and a number word carrying its figure
        ("twenty-four (24) physical therapy sessions", {"min": 24, "max": 24}),
        ("thirty six visits", {"min": 36, "max": 36}),
        ("two (2) times a week for four (4) weeks", {"min": 8, "max": 8, "per_week": [2, 2], "weeks": [4, 4]}),
        ("fourteen sessions", {"min": 14, "max": 14}),
        # a participle between the count and its unit; the part of a course; a count of the unit just named
        ("12 completed sessions", {"min": 12, "max": 12}),
        ("attended 6 of 8 authorized acupuncture sessions", {"min": 6, "max": 6}),
        ("4 sessions were authorized and 8 more were requested", {"min": 8, "max": 8}),
        ("6 round trips", {"min": 6, "max": 6}),
        ("Meloxicam 15 mg tablet, one daily, thirty tablets", {"kind": "drug", "quantity": 30}),
        ("Ibuprofen 800mg quantity sixty", {"kind": "drug", "quantity": 60}),
    ],
)
def test_quantity_normalization(text, expected):
    found = find_quantities(text)
    assert found, f"no quantity in {text!r}"
    value = found[-1].value
    assert {k: value.get(k) for k in expected} == expected
    assert text[found[-1].start:found[-1].end] == found[-1].text


@pytest.mark.parametrize("text", ["the patient is 45 years old", "MTUS page 23", "on 5/27/11", "L4-5",
                                  "Electrodes for TENS unit, 8 pairs per month", "physical therapy sessions, 6 weeks ago"])
def test_no_count_where_there_is_none(text):
    assert [q for q in find_quantities(text) if q.value["kind"] == "visits"] == []


@pytest.mark.parametrize("text", ["Gabapentin 600 mg, 1 tablet twice daily", "Naproxen 500mg, two tablets by mouth",
                                  "Tramadol 50 mg, 1 tab every 6 hours"])
def test_a_dose_followed_by_its_schedule_is_not_the_amount_dispensed(text):
    assert [q for q in find_quantities(text) if q.value["kind"] == "drug"] == []


@pytest.mark.parametrize(("text", "twenty_four"), [("twenty-four", 24), ("twenty four", 24), ("six (6)", 6),
                                                   ("ninety", 90), ("twenty-four to thirty", (24, 30))])
def test_number_words(text, twenty_four):
    from nlp_pipeline.extraction.amounts import number, number_range

    if isinstance(twenty_four, tuple):
        assert number(text) is None and number_range(text) == twenty_four
    else:
        assert number(text) == twenty_four and number_range(text) == (twenty_four, twenty_four)


@pytest.mark.parametrize(
    ("text", "iso"),
    [("injured on 5/27/11", "2011-05-27"), ("04/17/2009", "2009-04-17"), ("10-13-16", "2016-10-13"),
     ("DOI 2/19/96", "1996-02-19"), ("AME on2/27/13:", "2013-02-27")],
)
def test_date_normalization(text, iso):
    assert [d.iso for d in find_dates(text)] == [iso]


def _spans(nlp, text, label, key=SPANS_KEY):
    doc = nlp(text)
    return [s for s in doc.spans.get(key, []) if s.label_ == label]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Treatment to date has included 12 sessions of physical therapy.", "prior"),
        ("The patient completed 9 sessions of therapy.", "prior"),
        ("The request for 8 physical therapy visits is non-certified.", "requested"),
        ("Guidelines recommend 9-10 visits over 8 weeks.", "guideline"),
    ],
)
def test_count_roles(nlp, text, role):
    counts = _spans(nlp, text, "COUNT")
    assert counts and counts[0]._.imr_role == role


@pytest.mark.parametrize(
    ("text", "role"),
    [("He injured his low back on 5/27/11.", "injury"),
     ("She is status post discectomy on 01/08/2013.", "surgery"),
     ("A utilization review dated 1/19/15 denied the request.", "utilization_review"),
     ("At the office visit on 2/5/15 she reported pain.", "visit")],
)
def test_date_roles(nlp, text, role):
    dates = _spans(nlp, text, "DATE")
    assert dates and dates[0]._.imr_role == role


@pytest.mark.parametrize(
    ("text", "phrase", "assertion"),
    [
        ("There is no documentation of functional improvement with prior physical therapy.",
         "functional improvement", "negated"),
        ("There is no documentation of functional improvement with prior physical therapy.",
         "physical therapy", "affirmed"),
        ("The patient reported functional improvement after acupuncture.", "functional improvement", "affirmed"),
        ("Functional improvement was not documented.", "Functional improvement", "negated"),
        ("There are no red flags on examination.", "red flags", "negated"),
        ("Physical therapy may help, but home exercise is documented.", "home exercise", "affirmed"),
        ("The provider should consider acupuncture.", "acupuncture", "possible"),
    ],
)
def test_clause_scoped_assertion(nlp, text, phrase, assertion):
    doc = nlp(text)
    spans = [s for key in (SPANS_KEY, CUES_KEY) for s in doc.spans.get(key, []) if s.text == phrase]
    assert spans, f"{phrase!r} not found"
    assert spans[0]._.imr_assertion == assertion


def test_the_negation_words_live_in_the_one_vocabulary_only():
    # the assertions' triggers once kept their own list of negations beside the vocabulary's
    from nlp_pipeline.extraction.rules import pattern_names, pattern_rows

    names = pattern_names()
    assert "negation" in names and "assertion_triggers" in names
    for name in names:
        if name != "negation":
            assert not [row for row in pattern_rows(name) if row.get("label") in {"NEGATED_BEFORE", "NEGATED_AFTER"}], name


@pytest.mark.parametrize(
    ("text", "finding", "assertion"),
    [
        ("The MRI revealed a full thickness tear of the supraspinatus.", "tear", "affirmed"),
        ("Examination showed a positive Hawkins impingement test.", "positive_test", "affirmed"),
        ("There was no instability of the knee.", "instability", "negated"),
        ("X-rays were negative for fracture.", "fracture", "negated"),
        ("He reports locking and giving way of the right knee.", "mechanical_symptoms", "affirmed"),
        ("There was a reducible umbilical hernia on examination.", "hernia", "affirmed"),
        ("Special testing noted negative results for apprehension testing.", "instability", "negated"),
        ("An MRI was requested to rule out a rotator cuff tear.", "tear", "possible"),
    ],
)
def test_objective_findings(nlp, text, finding, assertion):
    spans = _spans(nlp, text, "FINDING", FINDINGS_KEY)
    assert [s.id_ for s in spans][:1] == [finding]
    assert spans[0]._.imr_assertion == assertion


@pytest.mark.parametrize("text", ["Pain rated 6/10 with tenderness over the trapezius.", "The patient tested the brace."])
def test_no_finding_where_there_is_none(nlp, text):
    assert not _spans(nlp, text, "FINDING", FINDINGS_KEY)


def test_weeks_injury_to_review_from_header_or_summary():
    header = parse_letter(_minimal_letter("Date of Injury: 11/01/2016\nUR Denial Date: 12/13/2016\n", "Neck pain."))
    assert extract_letter(header).weeks_injury_to_review == 6.0
    summary = parse_letter(_minimal_letter(
        "", "The injured worker sustained an industrial injury on 11-01-2016. "
            "The original utilization review (12-27-2016) non-certified the request."))
    assert extract_letter(summary).weeks_injury_to_review == 8.0
    assert weeks_injury_to_review(parse_letter(_minimal_letter("", "Neck pain.")), ()) is None


def _minimal_letter(header: str, summary: str, heading: str = "MRI of the cervical spine:",
                    item_text: str = "Claims Administrator guideline: Decision based on MTUS ACOEM.\n") -> str:
    """A one-item letter: header lines, case summary, the item's heading and the lines under it."""
    return (f"Case Number: CM16-0000001\n{header}CLINICAL CASE SUMMARY\n{summary}\n"
            f"IMR ISSUES, DECISIONS AND RATIONALES\n{heading}\n{item_text}")


@pytest.mark.parametrize(
    ("text", "category", "name"),
    [("Norco 10/325mg #60", "medication", "Norco"), ("EMG/NCV of the lower extremities", "electrodiagnostics", None),
     ("Lumbar epidural steroid injection", "injection", "epidural steroid injection"),
     ("Functional restoration program", "functional_restoration", None), ("MRI of the right knee", "imaging", "MRI"),
     ("Chiropractic care for the low back", "chiropractic", None), ("Home health aide", "home_health", None),
     ("Urine drug testing", "testing", None), ("Electrocardiogram times 3", "testing", None),
     ("EKG", "testing", None), ("PA assist", "surgery_related", None),
     ("Medication management consultation", "office_visit", "medication management visit"),
     ("TENS unit", "dme", None), ("Cognitive behavioral therapy", "psychotherapy", None),
     ("Bilateral hearing aids", "dme", None), ("1 knee scooter", "dme", None),
     ("SSEP of the lumbar and lower extremities", "electrodiagnostics", None),
     ("Jamar grip test", "testing", None), ("Retrospective E-stim (DOS 12/29/16)", "physical_therapy", None),
     ("One week trial of Acute Rehabilitation Unit", "inpatient_care", None),
     ("Dicopanol 5mg/ml oral suspension, 150ml", "medication", "Dicopanol"),
     ("L4-5 microdiscectomy", "surgery", "discectomy/laminectomy"), ("Removal of hardware, left ankle", "surgery", None),
     ("Lumbar interbody fusion L4-S1", "surgery", "spinal fusion"),
     ("Post-operative physical therapy for the right knee", "surgery_related", None),
     ("Interferential stimulator", "dme", None), ("Continuous passive motion machine 21 days", "dme", None),
     ("Paraffin wax bath", "dme", None), ("Hot/cold pack", "dme", None), ("Ergonomic chair", "dme", None),
     ("Shoe inserts", "dme", None), ("Wrist splint", "dme", None), ("Aqua therapy 2x3", "physical_therapy", None), ("Keratek gel 4oz", "medication", "Keratek")],
)
def test_treatment_categories(nlp, text, category, name):
    spans = _spans(nlp, text, "TREATMENT")
    assert spans
    family, _, canonical = spans[0].id_.partition("|")
    assert family.split("/")[0] == category
    if name:
        assert canonical == name


@pytest.mark.parametrize(
    ("text", "source", "chapter"),
    [("MTUS Chronic Pain Medical Treatment Guidelines", "MTUS", "Chronic Pain Medical Treatment Guidelines"),
     ("ACOEM Shoulder Complaints", "ACOEM", "Shoulder Complaints"),
     ("ODG Preface, Physical Therpay Guidelines", "ODG", "Physical Therapy Guidelines"),
     ("The Claims Administrator did not cite any medical evidence for its decision.", "none", None)],
)
def test_guideline_citations(nlp, text, source, chapter):
    values = [s._.imr_value for s in _spans(nlp, text, "GUIDELINE")]
    assert {"source": source, "chapter": chapter} in [{"source": v["source"], "chapter": v["chapter"]} for v in values]


@pytest.mark.parametrize(
    ("text", "pages"),
    [("MTUS Chronic Pain Page(s): 98-99.", ["98-99"]), ("pages 23, 100-102", ["23", "100-102"]),
     ("Page(s): 23.", ["23"])],
)
def test_page_citations(nlp, text, pages):
    assert [s._.imr_value["pages"] for s in _spans(nlp, text, "CITATION")] == [pages]


def test_statute_citation(nlp):
    cites = _spans(nlp, "The Chronic Pain Medical Treatment Guidelines 8 C.C.R. §§9792.20 - 9792.26, page 23", "CITATION")
    assert any("statute" in s._.imr_value for s in cites)


@pytest.mark.parametrize(
    ("category", "diagnoses", "requested", "status", "excess"),
    [("physical_therapy", set(), 12, "above", 2), ("physical_therapy", {"radiculitis"}, 8, "within", 0),
     ("physical_therapy", {"CRPS"}, 24, "within", 0), ("psychotherapy", set(), 20, "above", 16),
     ("acupuncture", set(), 6, "within", 0), ("chiropractic", set(), 8, "above", 2)],
)
def test_allowance_comparison(category, diagnoses, requested, status, excess):
    allowance = applicable_allowance(category, diagnoses, improvement_documented=False)
    result = compare_to_allowance(Amount("visits", min=requested, max=requested), allowance)
    assert (result.status, result.excess) == (status, excess)
    assert result.citation


def test_unknown_allowance_without_count_or_rule():
    assert compare_to_allowance(None, applicable_allowance("physical_therapy", set(), False)).status == "unknown"
    assert compare_to_allowance(Amount("visits", min=1, max=1), None).status == "unknown"


# --- the seed letters ---------------------------------------------------------------------------

def _counts(entities, role=None, category=None):
    return [e.value for e in entities if e.label == "COUNT" and (role is None or e.role == role)
            and (category is None or e.value.get("treatment") == category)]


def _injury(facts):
    return [e.value["date"] for e in facts.summary_entities if e.label == "DATE" and e.role == "injury"]


def _pages(item_facts):
    return sorted(p for g in item_facts.guidelines if g.label == "CITATION" for p in g.pages)


def _ranges(item_facts):
    return [(v["min"], v["max"], v["weeks"][0], v["weeks"][1])
            for v in _counts(item_facts.entities, "guideline") if "weeks" in v]


def test_seed_000(seed_facts):
    letter, facts = seed_facts["000"]
    assert _injury(facts) == ["2011-05-27"]
    prior = _counts(facts.summary_entities, "prior", "physical_therapy")
    assert {(v["max"], v.get("year"), v.get("date")) for v in prior} >= {
        (13, 2011, None), (8, 2012, None), (12, None, "2013-07-30")}
    psych, pt = facts.items
    assert psych.treatment.category == "psychotherapy" and psych.requested.max == 6
    assert pt.treatment.category == "physical_therapy" and pt.requested.max == 6
    assert any(e.label == "TREATMENT" and e.value["category"] == "office_visit" for e in psych.entities)
    assert _pages(psych) == ["23"] and _pages(pt) == ["98-99"]
    assert {g.chapter for g in psych.guidelines if g.label == "GUIDELINE"} >= {"Chronic Pain Medical Treatment Guidelines"}
    assert (3, 4, 2, 2) in _ranges(psych) and (6, 10, 5, 6) in _ranges(psych)
    assert {(9, 10, 8, 8), (8, 10, 4, 4), (24, 24, 16, 16)} <= set(_ranges(pt))
    assert psych.allowance.status == "above"


def test_seed_001(seed_facts):
    letter, facts = seed_facts["001"]
    assert _injury(facts) == ["2012-03-19"]
    assert [e.value["date"] for e in facts.summary_entities if e.label == "DATE" and e.role == "surgery"] == [
        "2013-01-08"]
    assert 9 in [v["max"] for v in _counts(facts.summary_entities, "prior", "physical_therapy")]
    (item,) = facts.items
    assert item.treatment.category == "physical_therapy" and item.requested.max == 8
    assert _pages(item) == ["98-99"]


def test_seed_002(seed_facts):
    letter, facts = seed_facts["002"]
    assert _injury(facts) == ["1996-02-19"]
    (item,) = facts.items
    assert item.treatment.category == "psychotherapy"
    assert (item.requested.max, item.requested.per_week) == (20, (1, 1))
    assert _pages(item) == ["100-102", "23"]
    drugs = {e.value["name"] for e in facts.summary_entities if e.label == "TREATMENT"
             and e.value["category"] == "medication"}
    assert {"Kadian", "Dalmane", "Remeron", "Valium"} <= drugs
    assert item.allowance.status == "above" and item.allowance.excess == 16


def test_seed_003(seed_facts):
    letter, facts = seed_facts["003"]
    assert _injury(facts) == ["2009-04-17"]
    pt, acupuncture = facts.items
    assert (pt.treatment.category, pt.requested.max) == ("physical_therapy", 8)
    assert (acupuncture.treatment.category, acupuncture.requested.max) == ("acupuncture", 16)
    assert acupuncture.allowance.allowed == (3, 6) and acupuncture.allowance.status == "above"
    for item in facts.items:
        failed = [e for e in item.entities if e.label == "CUE" and e.value["cue"] == "treatment_failed"]
        assert any(e.assertion == "affirmed" for e in failed)


def test_seed_004(seed_facts):
    letter, facts = seed_facts["004"]
    assert _injury(facts) == ["2000-06-03"]
    (item,) = facts.items
    assert (item.treatment.category, item.requested.max) == ("physical_therapy", 12)
    assert [(v.max, v.year) for v in item.prior] == [(12, 2013), (12, 2014)] and item.prior_visits == 24
    assert {"ODG", "other"} <= {g.source for g in item.guidelines if g.part == "maximus_guideline"}


def test_entity_offsets_point_into_the_letter(seed_facts):
    for letter, facts in seed_facts.values():
        for entity in (*facts.summary_entities, *(e for item in facts.items for e in item.entities)):
            assert letter.text[entity.start:entity.end] == entity.text


def test_decision_words_never_reach_the_facts(seed_facts):
    from nlp_pipeline.letter.parse import parse_letter
    from nlp_pipeline.facts.extract import entities_to_dict, extract_letter

    letter, facts = seed_facts["000"]
    swapped = letter.text.replace(": Upheld", ": [pend]").replace(": Overturned", ": [ pending]")  # same lengths
    other = parse_letter(swapped, normalized=True)
    assert [item.stated_decision for item in other.items] == [None, None]
    assert entities_to_dict(other, extract_letter(other)) == entities_to_dict(letter, facts)


def test_cli_parse_entities(seeds_dir, capsys):
    import json

    from nlp_pipeline.app.cli import main

    path = sorted(seeds_dir.glob("002_*.txt"))[0]
    assert main(["parse", str(path), "--entities", "--format", "jsonl", "--quiet"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["summary_entities"]
    item = record["items"][0]
    labels = {e["label"] for e in item["entities"]}
    assert {"TREATMENT", "COUNT", "GUIDELINE", "CITATION"} <= labels
    assert all({"label", "text", "start", "end", "value", "role", "assertion"} <= set(e) for e in item["entities"])
    assert item["allowance"]["status"] == "above"


def test_post_surgical_therapy_is_measured_against_the_procedures_allowance():
    from nlp_pipeline.letter.parse import parse_letter
    from nlp_pipeline.facts.extract import extract_letter

    text = (Path(__file__).resolve().parents[1] / "examples" / "facts_request.txt").read_text()
    facts = extract_letter(parse_letter(text))
    assert facts.items[0].treatment.to_dict() == {"category": "surgery", "name": "rotator cuff/impingement surgery"}
    post_op = facts.items[2]
    assert post_op.treatment.category == "physical_therapy"
    assert post_op.treatment.context == "surgery_related"
    assert post_op.requested.max == 12
    assert post_op.allowance.status == "within"
    assert post_op.allowance.allowed == (24, 24)
    assert "Post-Surgical" in post_op.allowance.citation


@pytest.mark.parametrize(
    "procedures, allowed",
    [
        (("carpal tunnel release",), [3, 8]),
        (("bankart repair",), [24, 24]),
        (("meniscectomy",), [12, 12]),
        (("spinal fusion",), [34, 34]),
        (("surgery",), None),
        ((), None),
    ],
)
def test_post_surgical_allowances(procedures, allowed):
    from nlp_pipeline.facts.allowances import post_surgical_allowance

    row = post_surgical_allowance("physical_therapy", procedures)
    assert (row["visits"] if row else None) == allowed


def test_chronic_pain_allowances_never_come_from_post_surgical_rows():
    row = applicable_allowance("physical_therapy", set(), improvement_documented=False)
    assert "context" not in row and row["visits"] == [9, 10]


def test_facts_features_read_findings_and_timing_from_the_case():
    """Facts mode reads the summary's objective findings (with their spans) and the weeks to the denial."""
    import math

    from nlp_pipeline.model.features import TYPICAL_WEEKS_TO_REVIEW, item_features
    from nlp_pipeline.letter.parse import load_letter

    letter = load_letter(Path(__file__).resolve().parents[1] / "examples" / "facts_request.txt")
    facts = extract_letter(letter)
    features = item_features(letter, letter.items[0], facts, "facts")
    assert features.values["objective_findings"] == pytest.approx(math.log1p(1))
    [(start, end)] = features.evidence["objective_findings"]
    assert letter.text[start:end] == "tear"
    expected = math.log1p(facts.weeks_injury_to_review) - math.log1p(TYPICAL_WEEKS_TO_REVIEW)
    assert features.values["weeks_to_review"] == pytest.approx(expected, abs=1e-6)
    assert "objective_findings" not in item_features(letter, letter.items[0], facts, "draft").values


def test_weeks_beyond_the_corpus_are_not_extrapolated():
    """Requests years after the injury read as the cap: the corpus only spans weeks 1-15."""
    import math

    from nlp_pipeline.model.features import (
        MAX_WEEKS_TO_REVIEW,
        TYPICAL_WEEKS_TO_REVIEW,
        item_features,
    )

    letter = parse_letter(_minimal_letter("Date of Injury: 01/05/2010\nUR Denial Date: 12/13/2016\n", "Neck pain."))
    facts = extract_letter(letter)
    assert facts.weeks_injury_to_review > 300
    value = item_features(letter, letter.items[0], facts, "facts").values["weeks_to_review"]
    assert value == pytest.approx(math.log1p(MAX_WEEKS_TO_REVIEW) - math.log1p(TYPICAL_WEEKS_TO_REVIEW), abs=1e-6)


def test_requested_treatment_never_comes_from_the_imr_rationale():
    text = _minimal_letter("", "The patient has hearing loss.", "Bilateral widgets: Upheld",
                           "Claims Administrator guideline: Decision based on Non-MTUS.\nMAXIMUS guideline: ODG.\n"
                           "Decision rationale: No surgical procedure or arthroplasty is planned.\n")
    letter = parse_letter(text)
    assert extract_letter(letter).items[0].treatment is None


def test_facts_features_never_read_what_the_imr_wrote(letters_dir, seeds_dir):
    """Every shared letter with its MAXIMUS guideline lines and rationales blanked gives the same facts
    features: facts mode predicts from what is known before review."""
    from nlp_pipeline.model.features import item_features
    from nlp_pipeline.letter.parse import load_letter

    paths = sorted(letters_dir.glob("*.pdf")) + sorted(seeds_dir.glob("*.txt"))
    for path in paths:
        letter = load_letter(path)
        text = letter.text
        written = [s for item in letter.items for s in (item.maximus_guideline, item.rationale) if s]
        for span in sorted(written, key=lambda s: -s.start):
            text = text[:span.start] + "Not yet written." + text[span.end:]
        blind = parse_letter(text, source=str(path))
        facts, blind_facts = extract_letter(letter), extract_letter(blind)
        assert len(blind.items) == len(letter.items), path.name
        for item, blind_item in zip(letter.items, blind.items):
            assert (item_features(letter, item, facts, "facts").values
                    == item_features(blind, blind_item, blind_facts, "facts").values), (path.name, item.title)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        # the authorized portion counts against the allowance with the remaining one
        ("Acupuncture for 8 sessions was the original request. Acupuncture for 6 sessions was authorized by the "
         "Claims Administrator. The remaining IMR eligible portion of the original request, acupuncture for 2 "
         "sessions, is: Upheld", (2, 6, "above")),
        # a remaining portion that names no amount has none, not the authorized portion's
        ("Acupuncture treatments (unspecified quantity) was the original request. The Claims Administrator "
         "authorized Acupuncture treatments, 6 sessions, leaving the original request IMR eligible. The original "
         "request, Acupuncture treatments (unspecified quantity) is: Upheld", (None, 6, "unknown")),
    ],
)
def test_a_modified_request_against_the_allowance(heading, expected):
    text = _minimal_letter("", "The patient has low back pain.", heading, "Claims Administrator guideline: Decision "
                           "based on MTUS Acupuncture Medical Treatment Guidelines.\n")
    allowance = extract_letter(parse_letter(text)).items[0].allowance
    assert (allowance.requested, allowance.earlier, allowance.status) == expected


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "nlp_pipeline" / "patterns").glob("*.jsonl")),
                         ids=lambda p: p.name)
def test_each_pattern_is_listed_once(path):
    """Two rows for one phrase (or one word of a vocabulary's kind, one named word list) would leave its meaning
    to rule order. A word may have one reading in each of two kinds: "denied" denies the finding after it and is
    a verdict's negative predicate."""
    import json

    def key(row: dict) -> list[tuple[str, str]]:
        if "pattern" in row:
            return [(row["label"], json.dumps(row["pattern"]).lower())]
        if "regex" in row:
            return [(row["kind"], row["regex"])]
        if "head" in row:  # each head word once, whichever row lists it
            return [("head", word) for word in row["head"].split("|")]
        return [("define", row["define"]) if "define" in row else ("word", row.get("kind", ""), row["word"].lower())]

    keys = [k for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if row for k in key(row)]
    assert len(keys) == len(set(keys)), [k for k in set(keys) if keys.count(k) > 1]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [("Spine surgery evaluation for the lumbar", {"category": "office_visit", "context": "surgery"}),
     ("Surgical consultation for the lumbar spine", {"category": "office_visit", "context": "surgery"}),
     ("Right knee arthroscopy with evaluation of the ACL", {"category": "surgery", "context": "office_visit"}),
     ("Physical therapy evaluation and six visits", {"category": "physical_therapy"})],
)
def test_a_surgeons_evaluation_is_a_visit_not_a_surgery(heading, expected):
    text = _minimal_letter("", "The patient has pain.", f"{heading}: Upheld",
                           "Claims Administrator guideline: Decision based on MTUS.\n")
    treatment = extract_letter(parse_letter(text)).items[0].treatment
    assert {k: getattr(treatment, k) for k in expected} == expected and (treatment.context is not None) == ("context" in expected)


def test_every_part_read_keeps_the_text_it_was_made_from(letters_dir):
    # the components read doc_text (the kept text) instead of joining the tokens; it must be doc.text itself
    from nlp_pipeline.extraction.extensions import doc_text
    from nlp_pipeline.letter.parse import load_letter
    from nlp_pipeline.extraction.pipeline import build_nlp, letter_regions, process_regions

    paths = sorted(letters_dir.glob("*.pdf"))[:3]
    assert len(paths) == 3
    for path in paths:
        docs = list(process_regions(build_nlp(), letter_regions(load_letter(path))))
        assert docs and all(doc_text(doc) == "".join(t.text_with_ws for t in doc) for doc in docs)
