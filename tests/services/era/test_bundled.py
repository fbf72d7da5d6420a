"""A bundled line (CO-97): written off by contract, with a warning to check the modifier."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.claims import ClaimFinding, ClaimLine
from app.services.posting_rules import PostingRuleForm, save_rule
from tests.helpers.era_data import BuiltClaim, EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import (
    buckets,
    cas,
    claim_payments,
    claim_status,
    control,
    import_text,
    ledger_findings,
    new_claim,
    new_payer,
    trace,
)

# 99213 at 120.00 is paid 110 with 10 off by contract; 97110 at 40.00 is bundled into it.
BUNDLED_PAID = ["110.00", "0.00"]
BUNDLED_ADJUSTED = [[cas("CO", "45", "10.00")], [cas("CO", "97", "40.00")]]


def import_bundled(
    practice: EraPractice, payer_id: uuid.UUID, payer: tuple[str, str]
) -> tuple[BuiltClaim, str]:
    """Import a remittance that bundles the claim's second line; return the claim and state."""
    claim = new_claim(practice, payer_id)
    written = written_claim(claim, paid=BUNDLED_PAID, adjustments=BUNDLED_ADJUSTED)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(practice, text)
    (row,) = claim_payments(practice, result.response_id)
    return claim, row.state


def findings(practice: EraPractice, claim: BuiltClaim) -> list[tuple[str, str, str]]:
    """Return the claim's findings that are not archived as (rule, severity, message)."""
    with practice.database.reading() as session:
        query = select(ClaimFinding).where(
            ClaimFinding.claim_id == claim.claim_id, ClaimFinding.archived.is_(False)
        )
        return [(row.rule, row.severity, row.message) for row in session.scalars(query)]


def line_statuses(practice: EraPractice, claim: BuiltClaim) -> list[str]:
    with practice.database.reading() as session:
        query = (
            select(ClaimLine.status)
            .where(ClaimLine.claim_id == claim.claim_id)
            .order_by(ClaimLine.line_number)
        )
        return list(session.scalars(query))


def test_bundled_line_written_off(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)

    claim, state = import_bundled(era_practice, payer_id, payer)

    assert state == "posted"
    # Nothing stays with the payer: 110 paid, 10 and 40 written off.
    assert buckets(era_practice, claim) == {}
    assert claim_status(era_practice, claim) == "paid"
    assert line_statuses(era_practice, claim) == ["paid", "paid"]
    ((rule, severity, message),) = findings(era_practice, claim)
    assert rule == "era.write_off_flag"
    assert severity == "warning"
    assert "CO-97" in message
    assert "written off" in message
    assert "59 or XU" in message
    assert "resubmit" in message
    assert ledger_findings(era_practice) == []


def test_bundled_line_posts_in_matched_mode(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, "matched")

    claim, state = import_bundled(era_practice, payer_id, payer)

    assert state == "posted"
    assert buckets(era_practice, claim) == {}


@pytest.mark.parametrize(
    ("action", "status", "bundled_status", "rule"),
    [
        ("review", "partial", "partial", "era.review"),
        ("denial", "partial", "denied", "era.denial"),
    ],
)
def test_bundled_rule_override(
    era_practice: EraPractice, action: str, status: str, bundled_status: str, rule: str
) -> None:
    payer_id, payer = new_payer(era_practice)
    with era_practice.database.transaction() as session:
        outcome = save_rule(
            session, era_practice.manager, PostingRuleForm("CO", "97", action, payer_id=payer_id)
        )
        outcome.raise_if_rejected()

    claim, state = import_bundled(era_practice, payer_id, payer)

    assert state == "posted"
    # The rule keeps the bundled line's charge with the payer for a biller to decide.
    assert buckets(era_practice, claim) == {payer[0]: Decimal("40.00")}
    # The 40.00 is not settled, so the claim must not read paid.
    assert claim_status(era_practice, claim) == status
    assert line_statuses(era_practice, claim) == ["paid", bundled_status]
    found = findings(era_practice, claim)
    assert [item[0] for item in found] == [rule]
    assert "CO-97" in found[0][2]
    assert ledger_findings(era_practice) == []


def test_bundled_review_names_line(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    with era_practice.database.transaction() as session:
        outcome = save_rule(
            session, era_practice.manager, PostingRuleForm("CO", "97", "review", payer_id=payer_id)
        )
        outcome.raise_if_rejected()

    claim, _ = import_bundled(era_practice, payer_id, payer)

    ((_, severity, message),) = findings(era_practice, claim)
    assert severity == "warning"
    assert message.startswith("Line 2 (97110): CO-97 of $40.00 was held for review")
    assert f"stays with {payer[0]}" in message
    assert "59 or XU" in message
    assert "write the amount off" in message
