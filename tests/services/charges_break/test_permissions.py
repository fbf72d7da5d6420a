"""Every charge-capture write, tried by each role that may not make it."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.charges import FeeScheduleItem, ModifierRule, ProcedureCode
from app.models.security import AuditEvent
from app.security.permissions import Actor
from app.services import (
    encounters,
    fee_csv,
    fee_schedules,
    icd10_import,
    ledger,
    modifiers,
    procedure_codes,
)
from app.services.encounters import LineForm
from app.services.fee_csv import ImportTarget
from app.services.fee_schedules import FeeItemForm, FeeScheduleForm
from app.services.ledger_verify import ledger_check
from tests.helpers.charge_data import ChargePractice, book_visit, check_in_and_out
from tests.helpers.icd10_data import SAMPLE_ORDER_FILE
from tests.services.charges_break.flows import line_ids, posted, saved

Write = Callable[[Session, Actor], object]


@dataclass(frozen=True)
class Targets:
    """Records the writes act on."""

    appointment_id: uuid.UUID
    draft_id: uuid.UUID
    posted_line_id: uuid.UUID
    other_line_id: uuid.UUID
    schedule_id: uuid.UUID
    fee_item_id: uuid.UUID
    code_id: uuid.UUID
    modifier_id: uuid.UUID
    rule_id: uuid.UUID
    fee_file: Path


@pytest.fixture
def targets(database: Database, practice: ChargePractice, tmp_path: Path) -> Targets:
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)
    draft_id = saved(
        database, practice.biller, practice.form(patient_id=practice.uninsured_patient_id)
    )
    two_lines = [LineForm(procedure_code="99213"), LineForm(procedure_code="99214")]
    posted_line_id, other_line_id = line_ids(
        database, posted(database, practice, practice.form(two_lines))
    )
    fee_file = tmp_path / "fees.csv"
    fee_file.write_text("code,description,fee\n99213,Visit,125\n", encoding="utf-8")
    with database.reading() as session:
        schedule = fee_schedules.find_fee_schedule(session, "Charges 2026")
        assert schedule is not None
        item_id = session.scalars(
            select(FeeScheduleItem.id).where(FeeScheduleItem.fee_schedule_id == schedule.id)
        ).first()
        code = procedure_codes.find_procedure_code(session, "T1001")
        modifier_id = next(row.id for row in modifiers.list_modifiers(session, practice.manager))
        rule_id = session.scalars(select(ModifierRule.id)).one()
    assert item_id is not None
    assert code is not None
    return Targets(
        appointment_id,
        draft_id,
        posted_line_id,
        other_line_id,
        schedule.id,
        item_id,
        code.id,
        modifier_id,
        rule_id,
        fee_file,
    )


def charge_writes(practice: ChargePractice, targets: Targets) -> dict[str, Write]:
    """Writes that need CHARGE_POST."""
    return {
        "save encounter": lambda s, a: encounters.save_encounter(s, a, practice.form()),
        "post encounter": lambda s, a: encounters.post_encounter(s, a, targets.draft_id),
        "reverse line": lambda s, a: encounters.reverse_line(s, a, targets.posted_line_id, "x"),
        "correct line": lambda s, a: encounters.correct_line(
            s, a, targets.other_line_id, LineForm(procedure_code="99213"), "x"
        ),
        "visit draft": lambda s, a: encounters.encounter_for_appointment(
            s, a, targets.appointment_id
        ),
        "favorites": lambda s, a: encounters.set_favorite_codes(
            s, a, practice.provider_id, ["99213"]
        ),
    }


def manager_writes(practice: ChargePractice, targets: Targets) -> dict[str, Write]:
    """Writes to code sets, fee schedules and the ledger lock that only managers make."""
    new_schedule = FeeScheduleForm("Next", "practice", None, date(2020, 1, 1), date(2020, 12, 31))
    return {
        "add code": lambda s, a: procedure_codes.save_procedure_code(
            s, a, procedure_codes.ProcedureCodeForm("99215", "Visit 5")
        ),
        "archive code": lambda s, a: procedure_codes.archive_procedure_code(s, a, targets.code_id),
        "add modifier": lambda s, a: modifiers.save_modifier(
            s, a, modifiers.ModifierForm("59", "Distinct")
        ),
        "archive modifier": lambda s, a: modifiers.archive_modifier(s, a, targets.modifier_id),
        "seed modifiers": modifiers.seed_standard_modifiers,
        "add rule": lambda s, a: modifiers.save_modifier_rule(
            s, a, modifiers.ModifierRuleForm("99213", "25")
        ),
        "remove rule": lambda s, a: modifiers.remove_modifier_rule(s, a, targets.rule_id),
        "import edition": lambda s, a: icd10_import.import_icd_edition(
            s, a, SAMPLE_ORDER_FILE, "FY2027", date(2026, 10, 1), date(2027, 9, 30)
        ),
        "add schedule": lambda s, a: fee_schedules.save_fee_schedule(s, a, new_schedule),
        "archive schedule": lambda s, a: fee_schedules.archive_fee_schedule(
            s, a, targets.schedule_id
        ),
        "add fee": lambda s, a: fee_schedules.save_fee_item(
            s, a, FeeItemForm(targets.schedule_id, "T1001", "", Decimal("10"))
        ),
        "remove fee": lambda s, a: fee_schedules.archive_fee_item(s, a, targets.fee_item_id),
        "preview fee file": lambda s, a: fee_csv.preview_fee_import(
            s, a, targets.fee_file, ImportTarget(schedule_id=targets.schedule_id)
        ),
        "export fees": lambda s, a: fee_csv.export_fee_schedule(
            s, a, targets.schedule_id, targets.fee_file.with_name("out.csv")
        ),
        "lock ledger": lambda s, a: ledger.set_ledger_lock_date(s, a, date(2026, 1, 31)),
        "verify ledger": ledger_check,
    }


def denials(database: Database) -> int:
    with database.reading() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")
        return session.scalar(query) or 0


def codes_and_prices(database: Database) -> tuple[int, int]:
    with database.reading() as session:
        codes = session.scalar(select(func.count()).select_from(ProcedureCode)) or 0
        prices = session.scalar(select(func.count()).select_from(FeeScheduleItem)) or 0
    return codes, prices


def attempt(database: Database, actor: Actor, write: Write) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        write(session, actor)


def test_front_desk_makes_no_charge_write(
    database: Database, practice: ChargePractice, targets: Targets
) -> None:
    for name, write in charge_writes(practice, targets).items():
        before = denials(database)

        attempt(database, practice.front_desk, write)

        assert denials(database) == before + 1, name


@pytest.mark.parametrize("role", ["front_desk", "provider", "biller"])
def test_only_managers_edit_code_sets(
    database: Database, practice: ChargePractice, targets: Targets, role: str
) -> None:
    actor: Actor = getattr(practice, role)
    stored = codes_and_prices(database)

    for name, write in manager_writes(practice, targets).items():
        before = denials(database)

        attempt(database, actor, write)

        assert denials(database) == before + 1, name
    assert codes_and_prices(database) == stored


@pytest.mark.parametrize("role", ["provider", "biller", "manager"])
def test_charge_roles_post(
    database: Database, practice: ChargePractice, targets: Targets, role: str
) -> None:
    actor: Actor = getattr(practice, role)

    for name, write in charge_writes(practice, targets).items():
        with database.transaction() as session:
            assert write(session, actor) is not None, name
