"""One bad account in a statement preview or run: it is skipped with a reason, the rest go on."""

import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, UserError
from app.models.patients import Person
from app.models.security import AuditEvent
from app.models.statements import BillingAccount, Statement, StatementRun
from app.pdf.statement import StatementDocument, statement_pdf_bytes
from app.services import statement_figures, statement_runs
from app.services.billing_accounts import (
    ensure_accounts,
    found_guarantor_contacts,
    guarantor_contacts,
)
from app.services.statement_figures import figures_for_accounts, figures_with_problems
from app.services.statement_runs import (
    DRAW_FAILED,
    SKIP_PROBLEM,
    PreviewRow,
    RunProblem,
    preview_run,
    run_statements,
)
from tests.helpers.pdf_text import placed_text
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    INSURED_DUE,
    PERSON_DUE,
    STATEMENT_DATE,
    StatementPractice,
    build_statement_practice,
)

MISSING_REASON = (
    "Skipped: the guarantor record is missing; open the patient (Ethan Walsh) and choose "
    "the guarantor again"
)
ARCHIVED_REASON = (
    "Skipped: the guarantor record is archived; open the patient (Ethan Walsh) and choose "
    "the guarantor again"
)
FIGURES_FAILED_REASON = (
    "Skipped: its statement figures could not be computed (RuntimeError, details in the "
    "log); tell your ClinicDesk support contact the account number"
)


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


def account_ids(database: Database, practice: StatementPractice) -> dict[str, uuid.UUID]:
    """Return the account id of each account in the practice, by a short name."""
    patients = {
        "family": practice.parent,
        "insured": practice.insured,
        "credit": practice.credit,
        "person": practice.person_patient,
        "small": practice.small,
    }
    with database.transaction() as session:
        accounts = ensure_accounts(session, practice.biller, list(patients.values()))
    return {name: accounts[patient] for name, patient in patients.items()}


def delete_person(database: Database, person_id: uuid.UUID) -> None:
    """Delete a Person row behind ClinicDesk's back, as a damaged or half-synced file has it.

    Patients and accounts name the person through foreign keys, so the checks are turned
    off first, outside any transaction.
    """
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("DELETE FROM person WHERE id = ?", (person_id.bytes,))
        raw.commit()
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()


def archive_person(database: Database, person_id: uuid.UUID) -> None:
    with database.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.archived = True


def preview_by_account(
    database: Database, practice: StatementPractice
) -> dict[uuid.UUID, PreviewRow]:
    with database.transaction() as session:
        rows = preview_run(session, practice.biller, STATEMENT_DATE)
    return {row.account_id: row for row in rows}


def account_number(database: Database, account_id: uuid.UUID) -> str:
    with database.transaction() as session:
        account = session.get(BillingAccount, account_id)
        assert account is not None
        return account.account_number


def failing_for(account_id: uuid.UUID) -> Callable[..., bytes]:
    """Return statement_pdf_bytes, but raising ValueError for the statement of `account_id`."""

    def draw(document: StatementDocument, *args: object, **kwargs: object) -> bytes:
        if document.figures.account_id == account_id:
            raise ValueError("drawing failed")
        return statement_pdf_bytes(document, *args, **kwargs)  # type: ignore[arg-type]

    return draw


# --- a missing or archived guarantor record ---------------------------------------------


def test_missing_guarantor_skipped_in_preview(
    database: Database, practice: StatementPractice
) -> None:
    ids = account_ids(database, practice)
    delete_person(database, practice.person_guarantor)

    rows = preview_by_account(database, practice)

    person = rows[ids["person"]]
    assert person.level is None
    assert person.skip == SKIP_PROBLEM
    assert person.reason == MISSING_REASON
    assert person.guarantor_name == ""
    assert person.amount_due == PERSON_DUE
    assert rows[ids["family"]].level == "statement"
    assert rows[ids["insured"]].level == "statement"


def test_missing_guarantor_left_out_of_run(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    delete_person(database, practice.person_guarantor)

    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)
        made = set(session.scalars(select(Statement.account_id)))
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "statement_run")
        ).one()

    assert made == {ids["family"], ids["insured"]}
    assert outcome.printed == 2
    assert outcome.skipped == 3
    assert outcome.total_due == FAMILY_BALANCE + INSURED_DUE
    assert outcome.problems == (
        RunProblem(ids["person"], account_number(database, ids["person"]), MISSING_REASON),
    )
    assert event.detail.endswith("3 accounts skipped (1 with a problem)")


def test_archived_guarantor_skipped(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    archive_person(database, practice.person_guarantor)

    rows = preview_by_account(database, practice)
    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)

    assert rows[ids["person"]].skip == SKIP_PROBLEM
    assert rows[ids["person"]].reason == ARCHIVED_REASON
    assert rows[ids["person"]].guarantor_name == "Karen Walsh"
    assert [problem.account_id for problem in outcome.problems] == [ids["person"]]
    assert outcome.printed == 2


def test_strict_figures_still_raise(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    delete_person(database, practice.person_guarantor)

    with database.transaction() as session, pytest.raises(NotFoundError, match="guarantor"):
        figures_for_accounts(session, list(ids.values()), STATEMENT_DATE)


def test_found_contacts_leave_out_missing(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    delete_person(database, practice.person_guarantor)

    with database.transaction() as session:
        accounts = [session.get(BillingAccount, account_id) for account_id in ids.values()]
        known = [account for account in accounts if account is not None]
        found = found_guarantor_contacts(session, known)
        with pytest.raises(NotFoundError, match="was not found"):
            guarantor_contacts(session, known)

    assert set(found) == set(ids.values()) - {ids["person"]}
    assert found[ids["family"]].name == "Laura Garcia"
    assert found[ids["family"]].archived is False


# --- figures that fail to compute -------------------------------------------------------


def failing_assembly(account_id: uuid.UUID) -> Callable[..., object]:
    """Return statement_figures._assemble, but raising RuntimeError for `account_id`."""
    assemble = statement_figures._assemble

    def failing(parts: Any, context: Any) -> object:
        if parts.account.id == account_id:
            raise RuntimeError("assembly failed")
        return assemble(parts, context)

    return failing


def test_failed_figures_skip_one_account(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    with patch.object(statement_figures, "_assemble", failing_assembly(ids["family"])):
        rows = preview_by_account(database, practice)
        with database.transaction() as session:
            batch = figures_with_problems(session, list(ids.values()), STATEMENT_DATE)

    family = rows[ids["family"]]
    assert family.skip == SKIP_PROBLEM
    assert family.reason == FIGURES_FAILED_REASON
    assert family.amount_due == Decimal("0.00")
    assert rows[ids["insured"]].level == "statement"
    assert rows[ids["person"]].amount_due == PERSON_DUE
    assert set(batch.problems) == {ids["family"]}


def test_failed_figures_raise_when_strict(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    with (
        patch.object(statement_figures, "_assemble", failing_assembly(ids["family"])),
        database.transaction() as session,
        pytest.raises(RuntimeError, match="assembly failed"),
    ):
        figures_for_accounts(session, list(ids.values()), STATEMENT_DATE)


# --- a statement that fails to draw -----------------------------------------------------


def test_failed_pdf_skips_one_account(
    database: Database, practice: StatementPractice, tmp_path: Path
) -> None:
    ids = account_ids(database, practice)

    with (
        patch.object(statement_runs, "statement_pdf_bytes", failing_for(ids["family"])),
        database.transaction() as session,
    ):
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)
        statements = session.scalars(select(Statement).order_by(Statement.statement_number))
        made = [(row.account_id, row.statement_number) for row in statements]
        run = session.get(StatementRun, outcome.run_id)
        assert run is not None
        count, total = run.statement_count, run.total_due

    assert {account for account, _number in made} == {ids["insured"], ids["person"]}
    numbers = sorted(int(number.rsplit("-", 1)[1]) for _account, number in made)
    assert numbers == [numbers[0], numbers[0] + 1]
    assert outcome.printed == 2
    assert count == 2
    assert total == INSURED_DUE + PERSON_DUE
    assert outcome.total_due == INSURED_DUE + PERSON_DUE
    assert outcome.skipped == 3
    assert outcome.problems == (
        RunProblem(
            ids["family"], account_number(database, ids["family"]), DRAW_FAILED.format("ValueError")
        ),
    )
    assert outcome.batch_pdf is not None
    path = tmp_path / "batch.pdf"
    path.write_bytes(outcome.batch_pdf)
    text = " ".join(piece.text for piece in placed_text(path))
    assert "Daniel Brooks" in text
    assert "Karen Walsh" in text
    assert "Laura Garcia" not in text


def test_failed_pdf_is_logged_by_id(
    database: Database, practice: StatementPractice, caplog: pytest.LogCaptureFixture
) -> None:
    ids = account_ids(database, practice)

    with (
        patch.object(statement_runs, "statement_pdf_bytes", failing_for(ids["family"])),
        database.transaction() as session,
    ):
        run_statements(session, practice.biller, STATEMENT_DATE)

    failures = [record for record in caplog.records if "failed to draw" in record.getMessage()]
    assert len(failures) == 1
    assert str(ids["family"]) in failures[0].getMessage()
    assert "Garcia" not in caplog.text


def test_every_pdf_failing_makes_no_run(database: Database, practice: StatementPractice) -> None:
    def never(*_args: object, **_kwargs: object) -> bytes:
        raise ValueError("drawing failed")

    with (
        patch.object(statement_runs, "statement_pdf_bytes", never),
        pytest.raises(UserError, match="None of the 3 statements could be drawn"),
        database.transaction() as session,
    ):
        run_statements(session, practice.biller, STATEMENT_DATE)

    with database.transaction() as session:
        assert session.scalars(select(StatementRun)).all() == []
        assert session.scalars(select(Statement)).all() == []
