"""The ledger checks: hashes, audit events, reversals, balances and the audit chain."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.ids import new_id
from app.models.ledger import LedgerEntry
from app.services.ledger import entry_hash, reverse_entry
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.ledger_verify import LedgerFinding, _balance_findings, ledger_check
from tests.helpers.ledger_data import (
    LedgerPractice,
    build_ledger_practice,
    post_charge,
    post_payment,
)

DOS = date(2026, 2, 2)


@pytest.fixture
def practice(database: Database) -> LedgerPractice:
    return build_ledger_practice(database)


@pytest.fixture
def charge_id(database: Database, practice: LedgerPractice) -> uuid.UUID:
    """A small ledger for two patients; returns the id of Rivera's Aetna charge."""
    rivera, chen = practice.patient_ids[0], practice.patient_ids[1]
    with database.transaction() as session:
        charge = post_charge(
            session, practice, rivera, "99213", "120", service_date=DOS, payer_id=practice.aetna_id
        )
        post_charge(session, practice, rivera, "99000", "15", service_date=DOS)
        wrong = post_charge(session, practice, chen, "99214", "180", service_date=DOS)
        reverse_entry(session, practice.biller, wrong.id, "Wrong level")
        post_payment(session, practice, rivera, "15")
        return charge.id


def _check(database: Database, practice: LedgerPractice) -> list[LedgerFinding]:
    with database.transaction() as session:
        return ledger_check(session, practice.manager)


def _tamper(database: Database, *statements: tuple[str, dict[str, object]]) -> None:
    """Run raw SQL as someone holding the database key would, outside ClinicDesk."""
    with database.transaction() as session:
        for sql, parameters in statements:
            session.execute(text(sql), parameters)


def test_intact_ledger_no_findings(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    assert _check(database, practice) == []


def test_check_needs_audit_permission(database: Database, practice: LedgerPractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        ledger_check(session, practice.biller)


def test_update_rejected_by_trigger(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    update = ("UPDATE ledger_entry SET amount = 1 WHERE id = :id", {"id": charge_id.bytes})
    with pytest.raises(IntegrityError, match="append-only"):
        _tamper(database, update)


def test_changed_row_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    _tamper(
        database,
        ("DROP TRIGGER ledger_entry_no_update", {}),
        ("UPDATE ledger_entry SET amount = 1200 WHERE id = :id", {"id": charge_id.bytes}),
    )

    findings = _check(database, practice)

    assert [finding.check for finding in findings] == ["row_hash"]
    assert findings[0].entry_id == charge_id
    assert "changed after posting" in findings[0].message


def test_rehashed_row_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    with database.session() as session:
        entry = session.get(LedgerEntry, charge_id)
        assert entry is not None
        entry.memo = "edited"
        forged_hash = entry_hash(entry)
        session.rollback()
    _tamper(
        database,
        ("DROP TRIGGER ledger_entry_no_update", {}),
        (
            "UPDATE ledger_entry SET memo = 'edited', row_hash = :hash WHERE id = :id",
            {"hash": forged_hash, "id": charge_id.bytes},
        ),
    )

    findings = _check(database, practice)

    assert [finding.check for finding in findings] == ["audit"]
    assert "other than the one its audit POST event recorded" in findings[0].message


def test_deleted_row_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    _tamper(
        database,
        ("DROP TRIGGER ledger_entry_no_delete", {}),
        ("DELETE FROM ledger_entry WHERE id = :id", {"id": charge_id.bytes}),
    )

    findings = _check(database, practice)

    assert [finding.check for finding in findings] == ["audit"]
    assert findings[0].entry_id == charge_id
    assert "deleted outside ClinicDesk" in findings[0].message


def test_inserted_row_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    with database.transaction() as session:
        entry = LedgerEntry(
            id=new_id(),
            posted_by=practice.admin.user_id,
            entry_type="payment",
            amount=Decimal("-50.00"),
            patient_id=practice.patient_ids[0],
            responsible_party="patient",
            memo="",
        )
        session.add(entry)
        inserted_id = entry.id

    findings = _check(database, practice)

    assert {finding.check for finding in findings} == {"row_hash", "audit"}
    assert {finding.entry_id for finding in findings} == {inserted_id}


def test_bad_reversals_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    with database.transaction() as session:
        charge = session.get(LedgerEntry, charge_id)
        assert charge is not None
        for amount in ("-120.00", "-100.00"):
            session.add(
                LedgerEntry(
                    posted_by=practice.admin.user_id,
                    entry_type="reversal",
                    amount=Decimal(amount),
                    patient_id=charge.patient_id,
                    payer_id=charge.payer_id,
                    responsible_party=charge.responsible_party,
                    reverses_id=charge.id,
                    memo="",
                )
            )
        session.add(
            LedgerEntry(
                posted_by=practice.admin.user_id,
                entry_type="reversal",
                amount=Decimal("-5.00"),
                patient_id=charge.patient_id,
                responsible_party="patient",
                memo="",
            )
        )

    reversal_messages = [
        finding.message for finding in _check(database, practice) if finding.check == "reversal"
    ]

    assert len(reversal_messages) == 3
    assert any("does not name the row it reverses" in text for text in reversal_messages)
    assert any("does not cancel row" in text for text in reversal_messages)
    assert any("reversed 2 times" in text for text in reversal_messages)


def test_audit_chain_break_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    _tamper(
        database,
        ("DROP TRIGGER audit_event_no_update", {}),
        ("UPDATE audit_event SET detail = 'edited' WHERE sequence = 3", {}),
    )

    findings = _check(database, practice)

    assert [finding.check for finding in findings] == ["audit_chain"]
    assert "row content was changed" in findings[0].message


def test_balance_mismatch_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    rivera = practice.patient_ids[0]
    with database.session() as session:
        table = LedgerEntry.__table__
        rows = list(session.execute(select(table).where(table.c.patient_id == rivera)))
        # One row left out stands for a balance query that misses a row.
        findings = _balance_findings(session, rivera, rows[1:], {practice.aetna_id: "Aetna"})

    messages = [finding.message for finding in findings]
    assert len(messages) == 3
    assert "the rows sum to $0.00 but the balance reads $120.00" in messages[0]
    assert "the ledger view ends at $0.00" in messages[1]
    assert "bucket sums (none) differ" in messages[2]


def _bulk_rows(practice: LedgerPractice) -> list[NewEntry]:
    rivera = practice.patient_ids[0]
    return [
        NewEntry("payment", Decimal(f"-{n}.25"), rivera, "patient", memo=f"row {n}")
        for n in range(1, 4)
    ]


def test_bulk_rows_verify_and_count_in_balance(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    with database.transaction() as session:
        ids = post_entries(session, practice.biller, _bulk_rows(practice), detail="test")
    assert len(ids) == 3
    assert _check(database, practice) == []
    with database.transaction() as session:
        stored = session.get(LedgerEntry, ids[0])
        assert stored is not None and stored.row_hash == entry_hash(stored)


def test_bulk_row_changed_later_found(
    database: Database, practice: LedgerPractice, charge_id: uuid.UUID
) -> None:
    with database.transaction() as session:
        ids = post_entries(session, practice.biller, _bulk_rows(practice))
    _tamper(
        database,
        ("DROP TRIGGER ledger_entry_no_update", {}),
        ("UPDATE ledger_entry SET memo = 'edited' WHERE id = :id", {"id": ids[1].bytes}),
    )
    checks = {finding.check for finding in _check(database, practice) if finding.entry_id == ids[1]}
    assert "row_hash" in checks
