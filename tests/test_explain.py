"""Plain reasons: the sentence each piece of evidence gets in a prediction."""
from __future__ import annotations

import pytest

from nlp_pipeline.explain.reasons import reason, wording_part, wording_reason
from nlp_pipeline.types import Allowance, Amount, Evidence, ItemFacts, LetterFacts, Treatment

_PT = Treatment("physical_therapy", "physical therapy")


@pytest.mark.parametrize(
    ("evidence", "allowance", "expected"),
    [
        (Evidence("allowance=above", -0.8), {"status": "above", "requested": 12, "allowed": [9, 10],
                                             "condition": "myalgia", "citation": "MTUS pages 98-99"},
         "12 physical therapy visits requested; the guideline allows 9-10 (myalgia; MTUS pages 98-99) "
         "→ toward Upheld (-0.80)."),
        (Evidence("allowance_applies", 1.03), {"status": "within", "requested": 12, "allowed": [24, 24]},
         "12 physical therapy visits requested, within the 24 the guideline allows → toward Overturned (+1.03)."),
        (Evidence("allowance_applies", 0.7), {"status": "above", "requested": 12, "allowed": [9, 10],
                                              "condition": "myalgia", "citation": "MTUS pages 98-99"},
         "A guideline allowance applies to the request: 9-10 (myalgia; MTUS pages 98-99) → toward Overturned (+0.70)."),
        (Evidence("allowance=above", -1.2), {"status": "above", "requested": 2, "earlier": 6, "allowed": [3, 6],
                                             "condition": "trial", "citation": "MTUS"},
         "2 physical therapy visits requested after 6 authorized; the guideline allows 3-6 (trial; MTUS) "
         "→ toward Upheld (-1.20)."),
    ],
)
def test_allowance_reasons(evidence, allowance, expected):
    allowance = Allowance(**{**allowance, "allowed": tuple(allowance["allowed"])})
    assert reason(evidence, ItemFacts(index=0, treatment=_PT, allowance=allowance)) == expected


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [(14.6, "Denied 14.6 weeks after the injury (the training letters' median is 7 weeks) → toward Upheld (-0.40)."),
     (312.0, "Denied 312 weeks after the injury, read as 26: the model caps the weeks at 26, as its training requests "
             "were all denied sooner (the training letters' median is 7 weeks) → toward Upheld (-0.40).")],
)
def test_weeks_reason_gives_the_number(weeks, expected):
    evidence = Evidence("weeks_to_review", -0.4)
    assert reason(evidence, ItemFacts(index=0), LetterFacts(weeks_injury_to_review=weeks)) == expected


def test_weeks_reason_names_the_dates_it_was_read_from():
    text = "Date of Injury: 01/02/2020 ... UR Denial Date: 07/10/2021"
    spans = ((16, 26), (text.index("07/10"), len(text)))
    evidence = Evidence("weeks_to_review", -0.4, "01/02/2020", 16, 26, spans)
    worded = reason(evidence, ItemFacts(index=0), LetterFacts(weeks_injury_to_review=79.7), text)
    assert worded.startswith("Denied 79.7 weeks after the injury, read as 26: the model caps the weeks at 26")
    assert "(injured 01/02/2020, denied 07/10/2021; the training letters' median is 7 weeks)" in worded
    assert '("01/02/2020")' not in worded  # the dates are in the sentence, not quoted after it


@pytest.mark.parametrize("feature", ["rationale_length", "case_sentences:neutral", "no_case_sentences",
                                     "items_in_letter=3", "item_position=1", "other_items_in_letter",
                                     "letter_requests_surgery"])
def test_context_features_are_worded_as_context(feature):
    from nlp_pipeline.explain.reasons import CONTEXT_PREFIX, is_context

    assert is_context(feature)
    assert reason(Evidence(feature, -1.0), ItemFacts(index=0)).startswith(CONTEXT_PREFIX)


@pytest.mark.parametrize("feature", ["case_sentences:against", "case_sentences:balance", "last_case_sentence=for",
                                     "objective_findings", "weeks_to_review", "surgical_item", "allowance=above"])
def test_medical_features_are_not_context(feature):
    from nlp_pipeline.explain.reasons import CONTEXT_PREFIX, is_context

    assert not is_context(feature)
    assert not reason(Evidence(feature, -1.0), ItemFacts(index=0)).startswith(CONTEXT_PREFIX)


def test_the_rationale_length_reads_in_sentences():
    from nlp_pipeline.types import Entity

    sentences = tuple(Entity("SENTENCE", "x.", i * 10, i * 10 + 2, {"role": "case", "polarity": "neutral"})
                      for i in range(7))
    worded = reason(Evidence("rationale_length", -1.2), ItemFacts(index=0, sentences=sentences))
    assert worded == ("Context, not a medical reason: the rationale runs 7 sentences outside its verdict, against a "
                      "typical 5 → toward Upheld (-1.20).")


def test_word_ngrams_read_as_the_wording_not_as_words():
    worded = reason(Evidence("end:acoem", 0.07), ItemFacts(index=0))
    assert worded == 'The wording of the rationale (phrases it weighs: "acoem") → toward Overturned (+0.07).'
    assert "The words" not in worded


def test_the_wording_line_names_the_parts_its_words_were_read_from():
    assert reason(Evidence("sum:old female", -0.2), ItemFacts(index=0)).startswith("The wording of the case summary (")
    line = wording_reason(["a", "b"], 0.3, [wording_part("sum:a"), wording_part("title:b"), wording_part("sum:c")])
    assert line.startswith('The wording of the case summary and the item title (phrases it weighs: "a", "b")')


@pytest.mark.parametrize(("text", "expected"), [
    ("short text", "short text"),
    ("word " * 30, "word " * 17 + "word…"),
    ("The request for 12 additional sessions exceeds the guideline recommendation, and there is no documentation",
     "The request for 12 additional sessions exceeds the guideline recommendation, and there is…"),
])
def test_quotes_cut_at_a_word_boundary(text, expected):
    from nlp_pipeline.explain.reasons import short_quote

    quoted = short_quote(text)
    assert quoted == expected and len(quoted) <= 90
    if quoted.endswith("…"):
        assert " ".join(text.split()).startswith(quoted[:-1])
        assert text.split()[len(quoted[:-1].split()) - 1] == quoted[:-1].split()[-1]  # the last word is whole


@pytest.mark.parametrize(("predicted", "p", "cut", "basis", "rate", "expected"), [
    ("Overturned", 0.177, 0.079, "facts", 0.08, "leans Overturned: 2.2x the usual rate of 8%"),
    ("Overturned", 0.177, 0.079, "facts", None, "leans Overturned: P(Overturned) 0.177 is above the cut 0.079"),
    ("Upheld", 0.024, 0.079, "facts", 0.125, "Upheld: 0.2x the usual rate of 12.5%"),
    ("Upheld", 0.0004, 0.253, "rationale", 0.125, "Upheld: under 0.1x the usual rate of 12.5%"),
    ("Overturned", 0.7, 0.253, "rationale", 0.125, "Overturned: 5.6x the usual rate of 12.5%"),
    ("Upheld", 0.07887, 0.07895, "facts", 0.125,
     "Upheld: at the cut, P(Overturned) 0.0789 < the cut 0.0790 (below the cut an item is Upheld)"),
    ("Overturned", 0.07901, 0.07895, "facts", 0.125,
     "Overturned: at the cut, P(Overturned) 0.0790 ≥ the cut 0.0790 (from the cut up an item is Overturned)"),
    ("Overturned", 0.961, 0.253, "verdict", 0.125, "Overturned (the rationale's verdict decides)"),
    ("Upheld", 0.3, 0.5, "facts", 0.125, "Upheld"),
])
def test_outcome_labels_match_their_numbers(predicted, p, cut, basis, rate, expected):
    from nlp_pipeline.explain.labels import outcome_label

    assert outcome_label(predicted, p, cut, basis, rate) == expected


@pytest.mark.parametrize(("text", "word", "grown"), [
    ("In this case, there is no documentation of functional improvement with prior PT. Next.", "with",
     "documentation of functional improvement with prior PT"),
    ("The patient has a tear.", "has", "The patient has a tear"),
    ("Denied on 06/02/2026 by the reviewer.", "06/02/2026", "06/02/2026"),
    ("The specific request.", "specific", "The specific request"),
])
def test_a_lone_word_of_evidence_grows_to_its_phrase(text, word, grown):
    from nlp_pipeline.explain.evidence import is_lone_word, phrase_span

    start = text.index(word)
    span = phrase_span(text, start, start + len(word))
    assert text[span[0]:span[1]] == grown and (not is_lone_word(grown) or grown == word)


def test_a_lone_word_that_cannot_grow_is_dropped():
    from nlp_pipeline.explain.evidence import phrase_span

    assert phrase_span("with.", 0, 4) is None


def test_findings_reason_quotes_the_finding():
    evidence = Evidence("objective_findings", 0.49, "tear", 10, 14)
    assert reason(evidence, ItemFacts(index=0)).startswith("The case summary documents objective findings")
    assert '("tear") → toward Overturned (+0.49).' in reason(evidence, ItemFacts(index=0))


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("age>=40", "Patient's age: 40-49"),
        ("age>=0", "Patient's age: under 30"),
        ("years_since_injury>=10", "Years from the injury to the review: 10 or more"),
        ("item_position=4", "Context, not a medical reason: item 5 or more of the review"),
        ("drug_class=nsaid", "Drug class: NSAID"),
        ("allowance_applies", "A guideline allowance applies to the requested amount"),
        ("summary:treatment=physical_therapy=negated", "The case summary mentions physical therapy as not given"),
        ("rationale:cue:documentation=negated", "The rationale notes missing documentation"),
        ("rationale:cue:red_flags=affirmed", "The rationale states red flags"),
        ("maximus_guideline:source=none", "The MAXIMUS guideline line cites no guideline"),
    ],
)
def test_feature_sentences(feature, expected):
    assert reason(Evidence(feature, 0.3), ItemFacts(index=0)) == f"{expected} → toward Overturned (+0.30)."


def test_requested_amounts_are_given_in_numbers():
    facts = ItemFacts(index=0, treatment=_PT, requested=Amount("visits", min=12, max=12),
                      prior=(Amount("visits", min=6, max=6),), prior_visits=6)
    assert reason(Evidence("requested_visits", -0.2), facts).startswith("12 physical therapy visits requested →")
    assert reason(Evidence("prior_visits", -0.2), facts).startswith("6 earlier visits of the same treatment →")


@pytest.mark.parametrize("mode", ["draft", "facts"])
def test_every_structured_feature_of_the_shipped_models_reads_as_a_sentence(mode, draft_model, facts_model):
    from nlp_pipeline.model.estimator import linear_parts
    from nlp_pipeline.model.features import TEXT_PARTS

    names = linear_parts((draft_model if mode == "draft" else facts_model).estimator).names
    structured = [n for n in names if n.split(":", 1)[0] not in TEXT_PARTS]
    assert structured
    for name in structured:
        sentence = reason(Evidence(name, 1.0), ItemFacts(index=0))
        assert "_" not in sentence and ">=" not in sentence and not sentence.startswith(name), (name, sentence)


def test_the_feature_table_names_every_feature_a_model_computes(example_draft):
    """Every feature of the example letter and request, in both modes, has a family (its key's row, or a word
    n-gram / a region's entity), and every row naming one feature (a sign, a sentence) names a feature that
    exists: a renamed feature cannot leave its sign or its words behind."""
    from nlp_pipeline.facts.extract import extract_letter
    from nlp_pipeline.letter.parse import load_letter, read_letter
    from nlp_pipeline.model.feature_specs import FAMILY_OF, PLAIN, SIGNS, SPECS, feature_key
    from nlp_pipeline.model.features import TEXT_PARTS, family_of, item_features
    from tests.conftest import ROOT

    letters = [load_letter(example_draft), read_letter(ROOT / "examples" / "facts_request.json")]
    seen = set()
    for letter in letters:
        facts = extract_letter(letter)
        for mode in ("draft", "facts"):
            for item in letter.items:
                seen |= set(item_features(letter, item, facts, mode).values)
    for name in seen:
        key = feature_key(name)
        assert key in FAMILY_OF or key in TEXT_PARTS or family_of(name) == "entities", name
    keys = {feature_key(name) for name in seen}
    assert {feature_key(k) for k in (*SIGNS, *PLAIN)} <= set(FAMILY_OF)
    assert len({s.key for s in SPECS}) == len(SPECS), "a key has two rows"
    assert keys & set(FAMILY_OF)
