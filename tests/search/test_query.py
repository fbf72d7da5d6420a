"""Parsing the search box into words and clauses; nicknames and typo distance."""

from datetime import date

import pytest

from app.search.index_keys import deletion_variants, search_keys_sql
from app.search.nicknames import NICKNAME_GROUPS, equivalents
from app.search.query import MatchKind, parse_query, split_words, within_one_edit

TODAY = date(2026, 12, 4)


def test_split_words_separators() -> None:
    assert split_words(" smith,  john; 3/4/81 ") == ["smith", "john", "3/4/81"]


def test_split_keeps_phone_whole() -> None:
    assert split_words("(312) 555-0142 ann") == ["(312)555-0142", "ann"]


def test_parse_drops_empty_words() -> None:
    assert parse_query("- ' ,", TODAY) == []


def test_parse_date_only_clauses() -> None:
    (token,) = parse_query("3/4/81", TODAY)
    assert [clause.low for clause in token.clauses] == ["d:03041981"]
    assert token.clauses[0].kind is MatchKind.EXACT


def test_parse_name_nicknames() -> None:
    (token,) = parse_query("Bill", TODAY)
    assert token.clauses[0].low == "n:bill"
    assert "n:william" in token.clauses[1].keys
    assert token.clauses[1].kind is MatchKind.NICKNAME


def test_prefix_range_bounds() -> None:
    (token,) = parse_query("smi", TODAY)
    clause = token.clauses[0]
    assert clause.low <= "n:smith" < clause.high
    assert not clause.low <= "n:smj" < clause.high


@pytest.mark.parametrize(
    ("first", "second"),
    [("john", "jonh"), ("john", "jhn"), ("john", "johhn"), ("john", "jahn"), ("ab", "ba")],
)
def test_one_edit_accepted(first: str, second: str) -> None:
    assert within_one_edit(first, second)
    assert within_one_edit(second, first)


@pytest.mark.parametrize(
    ("first", "second"), [("xab", "abx"), ("john", "jane"), ("john", "johnny"), ("abcd", "badc")]
)
def test_two_edits_rejected(first: str, second: str) -> None:
    assert not within_one_edit(first, second)


def test_deletion_variants_short_names() -> None:
    assert deletion_variants("ann") == []
    assert deletion_variants("anna") == ["anna", "nna", "ana", "ann"]


def test_nicknames_both_ways() -> None:
    assert "william" in equivalents("bill")
    assert "bill" in equivalents("william")
    assert "bob" in equivalents("robert")
    assert "elizabeth" in equivalents("liz")
    assert "katherine" in equivalents("kate")


def test_nicknames_exclude_self() -> None:
    assert "bill" not in equivalents("bill")
    assert equivalents("zzz") == frozenset()


def test_nickname_table_folded() -> None:
    pairs = sum(len(group) - 1 for group in NICKNAME_GROUPS)
    assert pairs >= 100
    assert all(
        name.isascii() and name.isalpha() and name.islower() for g in NICKNAME_GROUPS for name in g
    )


def test_sql_function_unknown_kind() -> None:
    assert search_keys_sql("nothing", "x") == "[]"


def test_sql_function_patient_keys() -> None:
    result = search_keys_sql("patient", "Zoë", None, "Ødegård", "1970-04-05", None, "RAW-1")
    assert result == '["n:zoe", "n:odegard", "d:04051970", "c:raw1", "c:1"]'


def test_split_words_limits() -> None:
    words = split_words(" ".join(["a" * 500] * 20))
    assert len(words) == 8
    assert {len(word) for word in words} == {80}
