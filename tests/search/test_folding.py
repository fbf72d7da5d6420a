"""Folding of names and identifiers into index keys."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.search.folding import digits, fold, name_parts

LATIN = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=("Lu", "Ll", "Nd", "Zs", "Pd", "Po"), max_codepoint=0x024F
    ),
    max_size=30,
)
ACCENTS = "\u0300\u0301\u0302\u0303\u0308\u030a\u030c\u0327"


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Núñez", "nunez"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("Smith-Jones", "smithjones"),
        ("De la Cruz", "delacruz"),
        ("Straße", "strasse"),
        ("Łukasz", "lukasz"),
        ("Ødegård", "odegard"),
        ("Dvořák", "dvorak"),
        ("ÆSCHYLUS", "aeschylus"),
    ],
)
def test_fold_examples(name: str, folded: str) -> None:
    assert fold(name) == folded


@given(LATIN)
def test_fold_ascii_alphanumeric(text: str) -> None:
    assert set(fold(text)) <= set(string.ascii_lowercase + string.digits)


@given(LATIN)
def test_fold_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(LATIN)
def test_fold_ignores_case(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower())


@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=20), st.data())
def test_fold_drops_accents(word: str, data: st.DataObject) -> None:
    marks = data.draw(st.lists(st.sampled_from(ACCENTS), min_size=len(word), max_size=len(word)))
    accented = "".join(letter + mark for letter, mark in zip(word, marks, strict=True))
    assert fold(accented) == word.lower()


@given(st.lists(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8), min_size=1))
def test_fold_drops_separators(parts: list[str]) -> None:
    joined = "".join(parts).lower()
    assert fold("-".join(parts)) == joined
    assert fold("'".join(parts)) == joined
    assert fold(" ".join(parts)) == joined


@given(st.lists(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8), min_size=1))
def test_name_parts_whole_first(parts: list[str]) -> None:
    found = name_parts("-".join(parts))
    assert found[0] == "".join(parts)
    assert set(parts) <= set(found)
    assert len(found) == len(set(found))


def test_name_parts_skips_empty() -> None:
    assert name_parts(" - ") == []


def test_digits_keeps_digits() -> None:
    assert digits("(312) 555-0142 ext. 9") == "31255501429"


@given(st.lists(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8), min_size=1))
def test_separators_give_same_parts(parts: list[str]) -> None:
    # "Smith-Jones", "Smith Jones" and "Smith'Jones" are indexed and typed alike.
    hyphenated = name_parts("-".join(parts))
    assert name_parts(" ".join(parts)) == hyphenated
    assert name_parts("'".join(parts)) == hyphenated


def test_fold_examples_match_typing() -> None:
    assert fold("Núñez") == fold("nunez") == "nunez"
    assert fold("O'Brien") == fold("obrien") == "obrien"
    assert fold("Smith-Jones") == fold("smith jones") == "smithjones"
