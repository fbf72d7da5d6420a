"""Parsing the search box into words and clauses; nicknames and typo distance."""

import json
from datetime import date

import pytest

from app.search.index_keys import deletion_variants, search_keys_sql
from app.search.nicknames import NICKNAME_GROUPS, equivalents
from app.search.query import MatchKind, QueryToken, parse_query, split_words, within_one_edit

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


def test_sql_function_registration_keys() -> None:
    result = search_keys_sql(
        "patient", "Josephine", None, "Park", "1990-01-02", "+16305550113", "TST-7", "Jo",
        "123456789",
    )  # fmt: skip
    assert json.loads(result) == [
        "n:josephine", "n:park", "n:jo", "d:01021990", "p:6305550113", "p:5550113",
        "c:tst7", "c:7", "s:6789",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "values", "keys"),
    [
        ("phone", ("+15125550100",), ["p:5125550100", "p:5550100"]),
        ("phone", ("5550100",), ["p:5550100"]),
        ("names", ("Ana", None, "Delgado-Ruiz"), ["n:ana", "n:delgadoruiz", "n:delgado", "n:ruiz"]),
        ("merged_chart", ("TST-000104",), ["r:tst000104", "r:104"]),
        ("merged_chart", (None,), []),
        ("patient", ("A", None, "B", "1990-01-02", None, "C-1", None, "12"), ["n:a", "n:b",
         "d:01021990", "c:c1", "c:1"]),
    ],
)  # fmt: skip
def test_sql_function_kinds(kind: str, values: tuple[str | None, ...], keys: list[str]) -> None:
    assert json.loads(search_keys_sql(kind, *values)) == keys


def test_sql_function_wrong_count() -> None:
    assert search_keys_sql("patient", "A", "B") == "[]"
    assert search_keys_sql("phone", "1", "2") == "[]"


def _lows(token: QueryToken) -> list[str]:
    return [clause.low for clause in token.clauses if clause.low]


def test_ssn_clause_only_when_allowed() -> None:
    (hidden,) = parse_query("6789", TODAY)
    (shown,) = parse_query("6789", TODAY, include_ssn=True)
    assert not any(low.startswith("s:") for low in _lows(hidden))
    assert "s:6789" in _lows(shown)
    assert set(_lows(shown)) - set(_lows(hidden)) == {"s:6789"}


@pytest.mark.parametrize("typed", ["678", "67890", "67-89", "6789a"])
def test_ssn_clause_four_digits_only(typed: str) -> None:
    (token,) = parse_query(typed, TODAY, include_ssn=True)
    assert not any(low.startswith("s:") for low in _lows(token))


def test_merged_chart_clauses() -> None:
    (token,) = parse_query("TST-000104", TODAY)
    assert {"c:tst000104", "r:tst000104"} <= set(_lows(token))
    (tail,) = parse_query("0104", TODAY)
    assert {"c:104", "r:104", "c:0104", "r:0104"} <= set(_lows(tail))


def test_phone_country_code_dropped() -> None:
    for typed in ("+1773", "+1 773", "17735550112"):
        (token,) = parse_query(typed.replace(" ", ""), TODAY)
        phone = [low for low in _lows(token) if low.startswith("p:")]
        assert phone and phone[0].startswith("p:773"), typed


def test_year_month_clause() -> None:
    (token,) = parse_query("1981-03", TODAY)
    (days,) = [clause for clause in token.clauses if clause.keys]
    assert days.kind is MatchKind.PREFIX
    assert len(days.keys) == 31
    assert days.keys[0] == "d:03011981"
