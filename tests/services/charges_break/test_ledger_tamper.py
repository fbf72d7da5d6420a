"""Ledger verify after posted encounters are changed behind the application's back."""

import uuid

from sqlalchemy import text

from app.db.database import Database
from app.services import encounters
from app.services.encounters import LineForm
from app.services.ledger_verify import LedgerFinding, ledger_check
from tests.helpers.charge_data import ChargePractice
from tests.services.charges_break.flows import line_ids, posted


def findings(database: Database, practice: ChargePractice) -> list[LedgerFinding]:
    with database.transaction() as session:
        return ledger_check(session, practice.manager)


def tamper(database: Database, *statements: str, **parameters: object) -> None:
    """Run raw SQL as someone holding the database key would, outside ClinicDesk."""
    with database.transaction() as session:
        for statement in statements:
            session.execute(text(statement), parameters)


def posted_with_reversal(
    database: Database, practice: ChargePractice
) -> tuple[uuid.UUID, uuid.UUID]:
    """Post two lines and reverse the first; return the encounter id and the second line."""
    two = [LineForm(procedure_code="99213"), LineForm(procedure_code="99214")]
    encounter_id = posted(database, practice, practice.form(two))
    first, second = line_ids(database, encounter_id)
    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, first, "Not done")
    return encounter_id, second


def test_untouched_flow_clean(database: Database, tampered_practice: ChargePractice) -> None:
    posted_with_reversal(database, tampered_practice)

    assert findings(database, tampered_practice) == []


def test_changed_charge_found(database: Database, tampered_practice: ChargePractice) -> None:
    _encounter, line_id = posted_with_reversal(database, tampered_practice)

    tamper(
        database,
        "DROP TRIGGER ledger_entry_no_update",
        "UPDATE ledger_entry SET amount = 100 WHERE source_id = :line",
        line=line_id.bytes,
    )

    assert {finding.check for finding in findings(database, tampered_practice)} >= {"row_hash"}


def test_deleted_reversal_found(database: Database, tampered_practice: ChargePractice) -> None:
    posted_with_reversal(database, tampered_practice)

    tamper(
        database,
        "DROP TRIGGER ledger_entry_no_delete",
        "DELETE FROM ledger_entry WHERE entry_type = 'reversal'",
    )

    assert [finding.check for finding in findings(database, tampered_practice)] == ["audit"]


def test_posted_line_amount_found(database: Database, tampered_practice: ChargePractice) -> None:
    _encounter, line_id = posted_with_reversal(database, tampered_practice)

    tamper(
        database,
        "DROP TRIGGER charge_line_posted_no_update",
        "UPDATE charge_line SET units = 9, charge_amount = 157500 WHERE id = :line",
        line=line_id.bytes,
    )

    found = findings(database, tampered_practice)
    assert [finding.check for finding in found] == ["charge_line"]
    assert "differs from its ledger charge" in found[0].message


def test_posted_line_units_found(database: Database, tampered_practice: ChargePractice) -> None:
    _encounter, line_id = posted_with_reversal(database, tampered_practice)

    tamper(
        database,
        "DROP TRIGGER charge_line_posted_no_update",
        "UPDATE charge_line SET units = 9 WHERE id = :line",
        line=line_id.bytes,
    )

    assert [finding.check for finding in findings(database, tampered_practice)] == ["charge_line"]


def test_posted_line_deleted_found(database: Database, tampered_practice: ChargePractice) -> None:
    _encounter, line_id = posted_with_reversal(database, tampered_practice)

    # Ledger rows name their line through a foreign key, so someone deleting a posted
    # line behind ClinicDesk's back turns the checks off first, outside any transaction.
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("DROP TRIGGER charge_line_posted_no_delete")
        cursor.execute("DELETE FROM charge_line WHERE id = ?", (line_id.bytes,))
        raw.commit()
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()

    found = findings(database, tampered_practice)
    assert [finding.check for finding in found] == ["charge_line"]
    assert "does not exist" in found[0].message


def test_status_set_back_found(database: Database, tampered_practice: ChargePractice) -> None:
    encounter_id, _line = posted_with_reversal(database, tampered_practice)

    tamper(
        database,
        "UPDATE encounter SET status = 'draft' WHERE id = :encounter",
        encounter=encounter_id.bytes,
    )

    found = findings(database, tampered_practice)
    assert {finding.check for finding in found} == {"charge_line"}
    assert "is a draft" in found[0].message
