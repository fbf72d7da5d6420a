"""Database edits on hand-built scrub data: how duplicate warnings name the other claims."""

import uuid
from datetime import date

from app.models.claims import Claim
from app.services.claim_scrub_business import (
    BilledClaims,
    ScrubData,
    ScrubLine,
    duplicate_findings,
)

DAY = date(2026, 3, 2)


def claim_with_line() -> tuple[Claim, ScrubData]:
    claim = Claim(
        id=uuid.uuid4(),
        claim_number="C-0001",
        patient_id=uuid.uuid4(),
        payer_id=uuid.uuid4(),
        encounter_id=uuid.uuid4(),
    )
    line = ScrubLine(uuid.uuid4(), claim.id, uuid.uuid4(), 1, DAY, "99213")
    data = ScrubData(today=DAY, lines={claim.id: [line]})
    return claim, data


def billed(data: ScrubData, claim: Claim, numbers: list[str]) -> list[uuid.UUID]:
    entries = [(number, uuid.uuid4()) for number in numbers]
    entries.append((claim.claim_number, claim.id))
    key = (claim.patient_id, claim.payer_id, DAY, "99213")
    data.billed[key] = BilledClaims(
        tuple(sorted(entries)), frozenset(claim_id for _number, claim_id in entries)
    )
    return [claim_id for _number, claim_id in entries]


def test_only_own_claim_is_no_duplicate() -> None:
    claim, data = claim_with_line()
    billed(data, claim, [])

    assert duplicate_findings(claim, data) == []


def test_duplicate_names_other_claim() -> None:
    claim, data = claim_with_line()
    billed(data, claim, ["C-0002"])

    [item] = duplicate_findings(claim, data)

    assert "on claim C-0002;" in item.message
    assert item.line_number == 1


def test_duplicate_names_three_and_counts_rest() -> None:
    claim, data = claim_with_line()
    billed(data, claim, ["C-0009", "C-0003", "C-0005", "C-0004", "C-0007"])

    [item] = duplicate_findings(claim, data)

    assert "on claim C-0003, C-0004, C-0005 and 2 more;" in item.message


def test_related_claim_is_no_duplicate() -> None:
    claim, data = claim_with_line()
    original_id = billed(data, claim, ["C-0002"])[0]
    data.related[claim.id] = {original_id}

    assert duplicate_findings(claim, data) == []
