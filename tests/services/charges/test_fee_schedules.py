"""Fee schedules: lookups by date, payer and modifier, overlaps, items and permissions."""

from datetime import date
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.services import fee_schedules as fees
from app.services.fee_schedules import FeeItemForm, FeeScheduleForm
from tests.helpers.fee_data import FeePractice, add_schedule, build_fee_practice


@pytest.fixture
def practice(database: Database) -> FeePractice:
    return build_fee_practice(database)


@pytest.fixture
def two_years(database: Database, practice: FeePractice) -> FeePractice:
    """Practice charges for 2025 and an open-ended 2026 schedule, plus an Aetna schedule."""
    add_schedule(
        database, practice.manager, "Charges 2025", date(2025, 1, 1), date(2025, 12, 31),
        prices={("99213", ""): "100.00", ("99213", "25"): "110.00"},
    )  # fmt: skip
    add_schedule(
        database, practice.manager, "Charges 2026", date(2026, 1, 1),
        prices={("99213", ""): "120.00", ("99214", ""): "180.00", ("J1100", ""): "4.50"},
    )  # fmt: skip
    add_schedule(
        database, practice.manager, "Aetna 2026", date(2026, 1, 1), date(2026, 12, 31),
        payer_id=practice.aetna_id,
        prices={("99213", ""): "88.10", ("99213", "GT"): "80.00"},
    )  # fmt: skip
    return practice


def fee(database: Database, code: str, day: date, *modifiers: str) -> Decimal | None:
    with database.session() as session:
        return fees.fee_for(session, code, list(modifiers), day)


def test_fee_by_date_boundaries(database: Database, two_years: FeePractice) -> None:
    assert fee(database, "99213", date(2025, 1, 1)) == Decimal("100.00")
    assert fee(database, "99213", date(2025, 12, 31)) == Decimal("100.00")
    assert fee(database, "99213", date(2026, 1, 1)) == Decimal("120.00")
    assert fee(database, "99213", date(2031, 6, 1)) == Decimal("120.00")


def test_fee_before_any_schedule(database: Database, two_years: FeePractice) -> None:
    assert fee(database, "99213", date(2024, 12, 31)) is None


def test_fee_for_unpriced_code(database: Database, two_years: FeePractice) -> None:
    assert fee(database, "99214", date(2025, 6, 1)) is None
    assert fee(database, "99215", date(2026, 6, 1)) is None


def test_modifier_item_preferred(database: Database, two_years: FeePractice) -> None:
    day = date(2025, 6, 1)

    assert fee(database, "99213", day, "25") == Decimal("110.00")
    assert fee(database, "99213", day, " 25 ", "59") == Decimal("110.00")
    # Only the first modifier picks an item; otherwise the price without one applies.
    assert fee(database, "99213", day, "59", "25") == Decimal("100.00")
    assert fee(database, "99213", date(2026, 6, 1), "25") == Decimal("120.00")


def test_code_case_ignored(database: Database, two_years: FeePractice) -> None:
    assert fee(database, " j1100", date(2026, 2, 1)) == Decimal("4.50")


def test_allowed_by_payer(database: Database, two_years: FeePractice) -> None:
    day = date(2026, 3, 1)
    with database.session() as session:
        aetna = fees.allowed_for(session, two_years.aetna_id, "99213", [], day)
        telehealth = fees.allowed_for(session, two_years.aetna_id, "99213", ["GT"], day)
        cigna = fees.allowed_for(session, two_years.cigna_id, "99213", [], day)
        expired = fees.allowed_for(session, two_years.aetna_id, "99213", [], date(2027, 1, 1))

    assert aetna == Decimal("88.10")
    assert telehealth == Decimal("80.00")
    assert cigna is None
    assert expired is None


def test_practice_fee_ignores_allowed(database: Database, practice: FeePractice) -> None:
    add_schedule(
        database, practice.manager, "Aetna", date(2026, 1, 1),
        payer_id=practice.aetna_id, prices={("99213", ""): "70.00"},
    )  # fmt: skip

    assert fee(database, "99213", date(2026, 3, 1)) is None


def test_overlap_rejected_naming_both(database: Database, two_years: FeePractice) -> None:
    form = FeeScheduleForm("Mid 2025", "practice", None, date(2025, 7, 1), date(2026, 2, 1))
    with database.transaction() as session:
        outcome = fees.save_fee_schedule(session, two_years.manager, form)

    messages = [problem.message for problem in outcome.problems]
    assert not outcome.saved
    assert len(messages) == 2
    assert "Mid 2025 (07/01/2025 to 02/01/2026) overlaps Charges 2025" in messages[0]
    assert "(01/01/2025 to 12/31/2025)" in messages[0]
    assert "overlaps Charges 2026 (01/01/2026 to open)" in messages[1]


def test_overlap_by_one_day(database: Database, two_years: FeePractice) -> None:
    form = FeeScheduleForm("Old", "practice", None, date(2024, 1, 1), date(2025, 1, 1))
    with database.transaction() as session:
        touching = fees.save_fee_schedule(session, two_years.manager, form)
        form.effective_to = date(2024, 12, 31)
        before = fees.save_fee_schedule(session, two_years.manager, form)

    assert not touching.saved
    assert before.saved


def test_other_payer_may_overlap(database: Database, two_years: FeePractice) -> None:
    cigna = FeeScheduleForm("Cigna 2026", "allowed", two_years.cigna_id, date(2026, 1, 1))
    aetna = FeeScheduleForm("Aetna later", "allowed", two_years.aetna_id, date(2026, 12, 1))
    with database.transaction() as session:
        cigna_outcome = fees.save_fee_schedule(session, two_years.manager, cigna)
        aetna_outcome = fees.save_fee_schedule(session, two_years.manager, aetna)

    assert cigna_outcome.saved
    assert not aetna_outcome.saved
    assert "Aetna 2026" in aetna_outcome.problems[0].message


def test_edit_does_not_overlap_itself(database: Database, two_years: FeePractice) -> None:
    with database.transaction() as session:
        schedule = fees.find_fee_schedule(session, "charges 2026")
        assert schedule is not None
        form = FeeScheduleForm(
            "Charges 2026", "practice", None, date(2026, 1, 1), date(2026, 12, 31), schedule.id
        )
        outcome = fees.save_fee_schedule(session, two_years.manager, form)

    assert outcome.saved
    assert fee(database, "99213", date(2027, 1, 1)) is None


def test_archived_schedule_unused(database: Database, two_years: FeePractice) -> None:
    with database.transaction() as session:
        schedule = fees.find_fee_schedule(session, "Charges 2025")
        assert schedule is not None
        fees.archive_fee_schedule(session, two_years.manager, schedule.id)
        form = FeeScheduleForm("Redo 2025", "practice", None, date(2025, 1, 1), date(2025, 12, 31))
        replacement = fees.save_fee_schedule(session, two_years.manager, form)

    assert fee(database, "99213", date(2025, 6, 1)) is None
    assert replacement.saved


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (FeeScheduleForm("", "practice", None, date(2026, 1, 1)), "name"),
        (FeeScheduleForm("X", "capitated", None, date(2026, 1, 1)), "kind"),
        (FeeScheduleForm("X", "allowed", None, date(2026, 1, 1)), "payer_id"),
        (FeeScheduleForm("X", "practice", None, None), "effective_from"),
        (
            FeeScheduleForm("X", "practice", None, date(2026, 2, 1), date(2026, 1, 1)),
            "effective_to",
        ),
    ],
)
def test_schedule_form_problems(form: FeeScheduleForm, field: str) -> None:
    assert [problem.field for problem in fees.fee_schedule_problems(form)] == [field]


def test_duplicate_name_rejected(database: Database, two_years: FeePractice) -> None:
    form = FeeScheduleForm("charges 2025 ", "allowed", two_years.cigna_id, date(2020, 1, 1))
    with database.transaction() as session:
        outcome = fees.save_fee_schedule(session, two_years.manager, form)

    assert [problem.field for problem in outcome.problems] == ["name"]


def test_list_schedules_order(database: Database, two_years: FeePractice) -> None:
    with database.session() as session:
        listed = fees.list_fee_schedules(session, two_years.biller)

    assert [s.name for s in listed] == ["Charges 2026", "Charges 2025", "Aetna 2026"]
    assert [s.item_count for s in listed] == [3, 2, 2]
    assert listed[2].payer_name == "Aetna"


def test_item_problems(database: Database, two_years: FeePractice) -> None:
    with database.transaction() as session:
        schedule = fees.find_fee_schedule(session, "Charges 2026")
        assert schedule is not None
        cases = {
            "unknown": FeeItemForm(schedule.id, "99299", "", "10"),
            "modifier": FeeItemForm(schedule.id, "99214", "2", "10"),
            "amount": FeeItemForm(schedule.id, "99214", "", "12,34"),
            "negative": FeeItemForm(schedule.id, "99214", "25", "-5"),
            "duplicate": FeeItemForm(schedule.id, "99214", "", "10"),
        }
        found = {
            name: [p.message for p in fees.save_fee_item(session, two_years.manager, form).problems]
            for name, form in cases.items()
        }

    assert "not an active procedure code" in found["unknown"][0]
    assert "2 letters or digits" in found["modifier"][0]
    assert "12,34 is not an amount" in found["amount"][0]
    assert "out of range" in found["negative"][0]
    assert "already prices 99214 without a modifier" in found["duplicate"][0]


def test_item_edit_and_removal(database: Database, two_years: FeePractice) -> None:
    with database.transaction() as session:
        schedule = fees.find_fee_schedule(session, "Charges 2026")
        assert schedule is not None
        items = fees.list_fee_items(session, two_years.manager, schedule.id, "j1")
        assert [item.procedure_code for item in items] == ["J1100"]
        edited = FeeItemForm(schedule.id, "J1100", "", "$5.25", items[0].id)
        fees.save_fee_item(session, two_years.manager, edited).raise_if_rejected()
    assert fee(database, "J1100", date(2026, 2, 1)) == Decimal("5.25")

    with database.transaction() as session:
        fees.archive_fee_item(session, two_years.manager, items[0].id)
    assert fee(database, "J1100", date(2026, 2, 1)) is None

    with database.transaction() as session:
        again = FeeItemForm(schedule.id, "J1100", "", "6")
        outcome = fees.save_fee_item(session, two_years.manager, again)
    assert outcome.record_id == items[0].id
    assert fee(database, "J1100", date(2026, 2, 1)) == Decimal("6.00")


def test_items_list_descriptions(database: Database, two_years: FeePractice) -> None:
    with database.session() as session:
        schedule = fees.find_fee_schedule(session, "Charges 2026")
        assert schedule is not None
        items = fees.list_fee_items(session, two_years.biller, schedule.id, "level 4")

    assert [(i.procedure_code, i.description) for i in items] == [
        ("99214", "Office visit, est. level 4")
    ]


def test_biller_cannot_edit_fees(database: Database, practice: FeePractice) -> None:
    form = FeeScheduleForm("Charges", "practice", None, date(2026, 1, 1))
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        fees.save_fee_schedule(session, practice.biller, form)
