"""Checks run after each remittance attack: the ledger is intact and each claim adds up."""

from decimal import Decimal

from sqlalchemy import select

from app.models.ledger import LedgerEntry
from app.money import ZERO
from app.services.ledger_verify import ledger_check
from tests.helpers.era_data import BuiltClaim, EraPractice


def assert_ledger_intact(practice: EraPractice, *claims: BuiltClaim) -> None:
    """Fail when ledger_check finds anything or a claim's lines do not add up to the cent.

    Per line: the charge equals what was paid, written off and is still open, the
    transfers between buckets cancel out, and no bucket owes less than nothing.
    """
    with practice.database.transaction() as session:
        assert ledger_check(session, practice.manager) == []
        for claim in claims:
            for line_id in claim.charge_line_ids:
                rows = session.scalars(
                    select(LedgerEntry).where(LedgerEntry.charge_line_id == line_id)
                ).all()
                kinds: dict[str, Decimal] = {}
                buckets: dict[str, Decimal] = {}
                for row in rows:
                    kinds[row.entry_type] = kinds.get(row.entry_type, ZERO) + row.amount
                    key = f"{row.responsible_party}:{row.payer_id}"
                    buckets[key] = buckets.get(key, ZERO) + row.amount
                open_amount = sum(buckets.values(), ZERO)
                charge = kinds.get("charge", ZERO)
                settled = -kinds.get("payment", ZERO) - kinds.get("adjustment", ZERO)
                reversed_ = kinds.get("reversal", ZERO)
                assert kinds.get("transfer", ZERO) == ZERO, kinds
                assert charge == settled + open_amount - reversed_ - kinds.get("refund", ZERO)
                assert all(amount >= ZERO for amount in buckets.values()), buckets
