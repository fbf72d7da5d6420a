"""Service lines whose pointers, modifiers or units SV1 cannot carry.

A line with no diagnosis pointer or more than 15 unit digits made pyx12 reject the file.
Pointers and modifiers past the fourth were dropped without a word, and a pointer past
the last diagnosis went out although payers reject it.
"""

from dataclasses import replace

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import DIAGNOSES, ClaimOptions, build_claim, subscriber_claim

from .writing import write_text, write_valid


def _first_line(**changes: object) -> ClaimDocument:
    claim = subscriber_claim()
    return replace(claim, lines=(replace(claim.lines[0], **changes), *claim.lines[1:]))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"pointers": ()}, "has 0 diagnosis pointers"),
        ({"pointers": (1, 2, 1, 2, 1)}, "has 5 diagnosis pointers"),
        ({"pointers": (9,)}, "points to diagnosis 9, but the claim has 2"),
        ({"pointers": (0,)}, "points to diagnosis 0"),
        ({"modifiers": ("25", "59", "GT", "95", "76")}, "has 5 modifiers"),
        ({"units": 0}, "has 0 units"),
        ({"units": -1}, "has -1 units"),
        ({"units": 10**15}, "has 1000000000000000 units"),
    ],
)
def test_invalid_line_raises_write_error(changes: dict[str, object], problem: str) -> None:
    claim = _first_line(**changes)

    with pytest.raises(X12WriteError, match=f"Claim {claim.claim_number}, line 1 {problem}"):
        write_text(claim)


def test_largest_values_round_trip() -> None:
    claim = _first_line(modifiers=("25", "59", "GT", "95"), pointers=(1, 2, 1, 2), units=10**15 - 1)

    read = write_valid(claim)

    assert read.lines[0].modifiers == ("25", "59", "GT", "95")
    assert read.lines[0].pointers == (1, 2, 1, 2)
    assert read.lines[0].units == 10**15 - 1


def test_fifty_lines_twelve_diagnoses_round_trip() -> None:
    claim = build_claim(ClaimOptions(diagnosis_count=12, line_count=50, other_payer_count=2))

    read = write_valid(claim)

    assert read.diagnoses == DIAGNOSES
    assert len(read.lines) == 50
    assert read.total_charge == claim.total_charge
    assert [line.charge_amount for line in read.lines] == [
        line.charge_amount for line in claim.lines
    ]
