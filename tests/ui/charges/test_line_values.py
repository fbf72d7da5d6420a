"""Reading diagnosis pointers and modifiers as the biller types them."""

from decimal import Decimal

import pytest

from ui.charges.line_values import (
    clean_modifier,
    line_total,
    parse_pointers,
    pointer_problems,
    pointer_text,
    remap_pointers,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 2", [1, 2]),
        ("12", [1, 2]),
        ("A B", [1, 2]),
        ("ab", [1, 2]),
        ("1,3", [1, 3]),
        ("10 11", [10, 11]),
        ("J K", [10, 11]),
        ("  ", []),
    ],
)
def test_pointers_typed_forms(typed: str, expected: list[int]) -> None:
    assert parse_pointers(typed) == expected


@pytest.mark.parametrize("typed", ["0", "1 13", "M", "1 x", "1-2"])
def test_pointers_rejected_text(typed: str) -> None:
    assert parse_pointers(typed) is None


def test_pointer_problem_names_text() -> None:
    problems = pointer_problems("1 x", "lines[0].pointers")
    assert [problem.field for problem in problems] == ["lines[0].pointers"]
    assert '"1 x"' in problems[0].message
    assert "1 2" in problems[0].message


def test_five_pointers_rejected() -> None:
    problems = pointer_problems("12345", "lines[2].pointers")
    assert len(problems) == 1
    assert "at most 4" in problems[0].message


def test_pointer_text_spaced() -> None:
    assert pointer_text([1, 3]) == "1 3"


def test_modifier_cleaned() -> None:
    assert clean_modifier(" lt ") == "LT"


def test_line_total_units() -> None:
    assert line_total(3, Decimal("4.50")) == Decimal("13.50")
    assert line_total(3, None) is None


def test_pointers_follow_a_swap() -> None:
    assert remap_pointers([1, 3], {3: 1, 1: 3}) == [3, 1]


def test_pointer_to_removed_dropped() -> None:
    # Diagnosis 2 of three was removed: 3 becomes 2.
    assert remap_pointers([1, 2, 3], {2: None, 3: 2}) == [1, 2]
