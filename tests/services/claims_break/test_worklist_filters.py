"""Worklist filters with ages and amounts that a typing mistake produces."""

from decimal import Decimal

import pytest

from app.errors import UserError
from app.services.claim_worklist import WorklistFilter, worklist
from tests.helpers.claim_data import ClaimPractice


def rows_for(practice: ClaimPractice, filters: WorklistFilter) -> list[str]:
    with practice.database.reading() as session:
        return [row.claim_number for row in worklist(session, practice.biller, filters)]


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        (WorklistFilter(min_age_days=10**9), "minimum age of 1000000000 days"),
        (WorklistFilter(max_age_days=10**9), "maximum age of 1000000000 days"),
        (WorklistFilter(min_age_days=-1), "minimum age of -1 days"),
        (WorklistFilter(min_amount=Decimal("NaN")), "minimum amount NaN"),
        (WorklistFilter(max_amount=Decimal("Infinity")), "maximum amount Infinity"),
    ],
)
def test_out_of_range_filter_names_value(
    claim_practice: ClaimPractice, filters: WorklistFilter, words: str
) -> None:
    claim_practice.build()

    with pytest.raises(UserError, match=words):
        rows_for(claim_practice, filters)


def test_fraction_of_cent_amount_rounds(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    claim = claim_practice.claim(claim_id)
    just_below = claim.total_charge - Decimal("0.004")

    assert rows_for(claim_practice, WorklistFilter(min_amount=just_below)) == [claim.claim_number]
    assert rows_for(claim_practice, WorklistFilter(max_amount=just_below)) == [claim.claim_number]


def test_odd_text_and_status_match_nothing(claim_practice: ClaimPractice) -> None:
    claim_practice.build()
    odd_status = WorklistFilter(statuses=frozenset({"no such status"}))
    wildcards = WorklistFilter(text="% _ \\ '")

    assert rows_for(claim_practice, odd_status) == []
    assert rows_for(claim_practice, wildcards) == []
