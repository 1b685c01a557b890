"""Property tests: the reader, date normalizer and parser never raise anything but LetterError."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_pipeline.extraction import amounts as quantities
from nlp_pipeline.errors import LetterError
from nlp_pipeline.letter.dates import iso_date
from nlp_pipeline.letter.parse import parse_letter
from nlp_pipeline.io.reading import decode_letter_bytes, normalize_text

MARKERS = [
    "CLINICAL CASE SUMMARY\n", "IMR ISSUES, DECISIONS AND RATIONALES\n", "Claims Administrator guideline: ",
    "MAXIMUS guideline: ", "Decision rationale: ", ": Upheld\n", ": Overturned\n", "was the original request. ",
    "was authorized by the Claims Administrator. ", "The remaining IMR eligible portion of the original request, ",
    "\n", ".\n", "Case Number: CM16-0213037\n", "Date of Injury: 13/45/16 ", "48 year old male ",
]
letterish = st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=40)), max_size=40).map("".join)
settings.register_profile("imr", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("imr")

_QUANTITY_PATTERNS = quantities._COMPILED  # (name, guard or None, pattern)


@given(st.text())
def test_normalize_is_idempotent(raw):
    once = normalize_text(raw)
    assert normalize_text(once) == once
    assert "\r" not in once and not once.startswith((" ", "\n"))


@given(st.text(max_size=30))
def test_iso_date_never_raises(raw):
    value = iso_date(raw)
    assert value is None or len(value) == 10


@given(st.binary(max_size=2000), st.sampled_from([".txt", ".pdf", ".docx", ".bin"]))
def test_decode_bytes_raises_only_letter_error(data, suffix):
    try:
        text = decode_letter_bytes(data, suffix)
    except LetterError:
        return
    assert text.strip()


@settings(max_examples=300)
@given(letterish)
def test_parser_raises_only_letter_error_and_keeps_invariants(text):
    try:
        letter = parse_letter(text)
    except LetterError:
        return
    previous_end = 0
    for index, item in enumerate(letter.items):
        assert item.index == index
        assert 0 <= item.start <= item.end <= len(letter.text)
        assert item.start >= previous_end
        previous_end = item.end
        for part in (item.heading, item.decision, item.claims_administrator_guideline, item.maximus_guideline,
                     item.rationale, item.original_request, item.authorized_portion, item.remaining_portion):
            if part is not None:
                assert letter.text[part.start:part.end] == part.text
                assert item.start <= part.start <= part.end <= item.end
    assert json.loads(json.dumps(letter.to_dict())) == letter.to_dict()


words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
item_block = st.tuples(words, st.sampled_from(["Upheld", "Overturned", "", "[pending]"]), words, words, words).map(
    lambda p: f"{p[0]}: {p[1]}\nClaims Administrator guideline: {p[2]}\nMAXIMUS guideline: {p[3]}\n"
              f"Decision rationale: {p[4]}\n"
)
structured = st.tuples(words, st.lists(item_block, min_size=1, max_size=6)).map(
    lambda p: f"CLINICAL CASE SUMMARY\n{p[0]}\nIMR ISSUES, DECISIONS AND RATIONALES\n" + "".join(p[1])
)


@settings(max_examples=300)
@given(structured)
def test_structured_letters_keep_item_count(text):
    try:
        letter = parse_letter(text)
    except LetterError:
        return
    assert len(letter.items) == normalize_text(text).count("Claims Administrator guideline:")
    test_parser_raises_only_letter_error_and_keeps_invariants.hypothesis.inner_test(text)


_QUANTITY_TEXT = st.text(alphabet=st.sampled_from(list("0123456789 -/#()xX.,mgtimesweekvisitsonwo\n")), max_size=120) | st.text(
    max_size=120)


@settings(max_examples=300, deadline=None)
@given(_QUANTITY_TEXT)
def test_quantity_normalizer_never_raises_and_keeps_offsets(text):
    from nlp_pipeline.extraction.amounts import find_quantities

    found = find_quantities(text)
    previous_end = 0
    for quantity in found:
        assert 0 <= quantity.start < quantity.end <= len(text)
        assert text[quantity.start:quantity.end] == quantity.text
        assert quantity.start >= previous_end, "quantities are in order and do not overlap"
        previous_end = quantity.end
        if quantity.value["kind"] == "visits":
            assert 0 < quantity.value["min"] <= quantity.value["max"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789/- on")), max_size=60) | st.text(max_size=60))
def test_date_finder_never_raises_and_keeps_offsets(text):
    from nlp_pipeline.letter.dates import find_dates

    for found in find_dates(text):
        assert text[found.start:found.end] == found.text
        assert len(found.iso) == 10


@pytest.mark.parametrize("name,guard,pattern", [row for row in _QUANTITY_PATTERNS if row[1] is not None],
                         ids=[row[0] for row in _QUANTITY_PATTERNS if row[1] is not None])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_count_pattern_never_matches_a_text_without_its_guard_word(data, name, guard, pattern):
    # find_quantities skips a pattern on a text without its guard word; any text the pattern matches must hold it
    text = data.draw(st.from_regex(pattern))
    assert guard.search(text), (name, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_drug_amount_pattern_needs_a_hash(data):
    # find_quantities tries the drug, dispensed and hash-amount patterns only on a text with a "#"
    for pattern in (quantities._DRUG, quantities._DISPENSED, quantities._HASH_AMOUNT):
        assert "#" in data.draw(st.from_regex(pattern))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_a_dosage_amount_is_tried_only_on_a_text_holding_a_dosage_word(data):
    # find_quantities tries _COUNTED ("30 tablets", "thirty tablets") only where _COUNTED_GUARD finds a word
    text = data.draw(st.from_regex(quantities._COUNTED))
    assert quantities._COUNTED_GUARD.search(text)


_STARTED = [(name, source) for name, _, start, source in quantities._PATTERNS if start]


@pytest.mark.parametrize("name,source", _STARTED, ids=[name for name, _ in _STARTED])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_count_patterns_first_character_lookahead_never_drops_a_match(data, name, source):
    # the compiled pattern carries a lookahead for its first character; it must find what the pattern alone finds
    import re

    text = data.draw(st.text(max_size=8)) + data.draw(st.from_regex(source)) + data.draw(st.text(max_size=8))
    plain = re.compile(source, re.IGNORECASE)
    fast = {n: p for n, _, p in _QUANTITY_PATTERNS}[name]
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


_ASCII_TEXT = st.characters(max_codepoint=127)


@pytest.mark.parametrize("pattern", list(quantities._ASCII), ids=lambda p: p.pattern[:30])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_quantity_patterns_ascii_twin_finds_what_it_finds_on_ascii_text(data, pattern):
    # find_quantities reads an ASCII text with the re.ASCII twin of each pattern: same matches, found faster
    text = (data.draw(st.text(_ASCII_TEXT, max_size=8)) + data.draw(st.from_regex(pattern, alphabet=_ASCII_TEXT))
            + data.draw(st.text(_ASCII_TEXT, max_size=8)))
    twin = quantities._ASCII[pattern]
    if quantities.reads_as_ascii(text):
        assert [m.span() for m in twin.finditer(text)] == [m.span() for m in pattern.finditer(text)]


def test_a_text_with_a_unicode_only_space_is_not_read_as_ascii():
    # Unicode's \s counts \x1c-\x1f as space, re.ASCII's does not: "0%#\x1f0" is a drug amount only to the first
    assert quantities.reads_as_ascii("Norco 10/325 #90") and not quantities.reads_as_ascii("0%#\x1f0")
    with_separator, with_space = (quantities.find_quantities(f"Norco 10 mg #{gap}90") for gap in ("\x1f", " "))
    assert [q.value for q in with_separator] == [q.value for q in with_space] == [
        {"kind": "drug", "strength": "10", "strength_unit": "mg", "quantity": 90}]


@pytest.mark.parametrize("guard", list(quantities._LOWER), ids=lambda p: p.pattern[:30])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_guard_read_on_the_lower_case_copy_answers_as_the_guard_on_ascii_text(data, guard):
    # find_quantities reads each guard on an ASCII text's lower-case copy, case-sensitively
    text = data.draw(st.from_regex(guard, alphabet=_ASCII_TEXT) | st.text(_ASCII_TEXT, max_size=40))
    assert bool(quantities._LOWER[guard].search(text.lower())) == bool(guard.search(text))


_NAMES = st.sampled_from(["a", "b", "c=x", "words:pain", "unseen", "z"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(_NAMES, st.floats(-1e6, 1e6) | st.integers(0, 5) | st.sampled_from(["x", "y"]),
                                max_size=6), min_size=1, max_size=5))
def test_named_columns_transform_gives_the_dict_vectorizers_matrix(rows):
    # the float fast path and the fallback for any other value give what DictVectorizer.transform gives
    from sklearn.feature_extraction import DictVectorizer

    from nlp_pipeline.model.estimator import NamedColumns

    fitted = NamedColumns(sort=True).fit([{"a": 1.0, "b": 2.0, "c": "x", "words:pain": 1.0, "z": 0.0}])
    fast, plain = fitted.transform(rows), DictVectorizer.transform(fitted, rows)
    assert fast.shape == plain.shape and (fast != plain).nnz == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(_NAMES, st.floats(-1e6, 1e6) | st.integers(0, 5) | st.sampled_from(["x", "y"]),
                                max_size=6), min_size=1, max_size=5))
def test_the_saved_arrays_give_the_fitted_pipelines_contributions(rows):
    # what predicting reads (nlp_pipeline.model.linear, numpy alone) against the fitted pipeline taken apart
    import numpy as np

    from nlp_pipeline.model.estimator import LinearParts, NamedColumns
    from nlp_pipeline.model.linear import LinearModel

    vectorize = NamedColumns(sort=True).fit([{"a": 1.0, "b": 2.0, "c": "x", "words:pain": 1.0, "z": 0.0}])
    classifier = type("Fitted", (), {"coef_": np.array([[0.5, -1.25, 2.0, 0.0, 3.5]]), "intercept_": np.array([0.3])})
    weights = type("Weights", (), {"scale_": np.array([1.0, 0.5, 1.0, 2.0, 1.0])})()  # a fitted FamilyWeights
    parts = LinearParts(vectorize, weights, classifier, -1.7, 0.2)
    arrays = LinearModel.from_parts(parts)
    assert arrays.contributions(rows) == parts.contributions(rows)
    assert arrays.intercept == -(parts.slope * classifier.intercept_[0] + parts.offset)
