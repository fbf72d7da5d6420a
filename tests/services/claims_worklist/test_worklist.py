"""The claim worklist: row contents, each filter, combined filters, aging and query count."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from app.errors import PermissionDeniedError
from app.models.claims import Claim, ClaimEvent, ClaimFinding
from app.models.patients import Patient
from app.models.practice import Payer, Provider
from app.services.claim_detail import assign_claims
from app.services.claim_worklist import (
    AGING_BUCKETS,
    WorklistFilter,
    WorklistRow,
    aging_bucket,
    aging_summary,
    worklist,
)
from app.services.today import practice_today
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice
from tests.services.claims_scrub.claim_setup import scrub


def rows(practice: ClaimPractice, filters: WorklistFilter | None = None) -> list[WorklistRow]:
    with practice.database.reading() as session:
        return worklist(session, practice.biller, filters or WorklistFilter())


def numbers(practice: ClaimPractice, filters: WorklistFilter) -> list[str]:
    return [row.claim_number for row in rows(practice, filters)]


def today(practice: ClaimPractice) -> date:
    with practice.database.reading() as session:
        return practice_today(session)


def set_claim(practice: ClaimPractice, claim_id: uuid.UUID, **values: object) -> None:
    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        for name, value in values.items():
            setattr(claim, name, value)


def three_claims(practice: ClaimPractice) -> list[uuid.UUID]:
    """Claims on the visit day, 40 days later and 100 days later, oldest first."""
    ids = practice.build().claim_ids
    for offset in (40, 100):
        practice.post(practice.form(day=VISIT_DAY + timedelta(days=offset)))
        ids += practice.build().claim_ids
    assert len(ids) == 3
    return ids


# ---- rows -----------------------------------------------------------------------------------


def test_row_shows_claim(worklist_practice: ClaimPractice) -> None:
    [claim_id] = worklist_practice.build().claim_ids
    scrub(worklist_practice, [claim_id])
    claim = worklist_practice.claim(claim_id)
    with worklist_practice.database.reading() as session:
        patient = session.get(Patient, worklist_practice.patient_id)
        provider = session.get(Provider, claim.rendering_provider_id)
        assert patient is not None and provider is not None
        expected_patient = f"{patient.last_name}, {patient.first_name}"
        expected_chart = patient.chart_number
        expected_provider = provider.display_name

    [row] = rows(worklist_practice)

    age = (today(worklist_practice) - VISIT_DAY).days
    assert row.claim_id == claim_id
    assert row.claim_number == claim.claim_number
    assert row.patient_name == expected_patient
    assert row.chart_number == expected_chart
    assert row.payer_name == "Aetna"
    assert row.provider_name == expected_provider
    assert row.service_date == VISIT_DAY
    assert row.age_days == age
    assert row.amount == Decimal("120.00")
    assert (row.status, row.status_label) == ("hold", "On hold")
    assert (row.error_count, row.warning_count) == (1, 2)
    assert row.last_event.startswith("Scrubbed ")
    assert row.filing_days_left == 365 - age
    assert row.assigned_to_name == ""


def test_paid_claim_has_no_filing_days(worklist_practice: ClaimPractice) -> None:
    [claim_id] = worklist_practice.build().claim_ids
    set_claim(worklist_practice, claim_id, status="paid")

    [row] = rows(worklist_practice)

    assert row.filing_days_left is None
    assert row.status_label == "Paid"


def test_medicare_filing_days_by_calendar_year(worklist_practice: ClaimPractice) -> None:
    assert worklist_practice.build().claim_ids
    with worklist_practice.database.transaction() as session:
        payer = session.get(Payer, worklist_practice.aetna_id)
        assert payer is not None
        payer.claim_filing_indicator = "MB"
        payer.timely_filing_days = 10

    [row] = rows(worklist_practice)

    deadline = VISIT_DAY.replace(year=VISIT_DAY.year + 1)
    assert row.filing_days_left == (deadline - today(worklist_practice)).days


def test_archived_claim_hidden(worklist_practice: ClaimPractice) -> None:
    [claim_id] = worklist_practice.build().claim_ids
    set_claim(worklist_practice, claim_id, archived=True)

    assert rows(worklist_practice) == []


def test_worklist_requires_permission(worklist_practice: ClaimPractice) -> None:
    with (
        pytest.raises(PermissionDeniedError),
        worklist_practice.database.reading() as session,
    ):
        worklist(session, worklist_practice.charge.front_desk, WorklistFilter())


# ---- filters --------------------------------------------------------------------------------


def test_status_filter(worklist_practice: ClaimPractice) -> None:
    first, second, third = three_claims(worklist_practice)
    set_claim(worklist_practice, second, status="ready")
    set_claim(worklist_practice, third, status="denied")

    found = {
        row.claim_id
        for row in rows(worklist_practice, WorklistFilter(statuses=frozenset({"ready", "denied"})))
    }

    assert found == {second, third}
    assert first not in found


def test_needs_work_filter(worklist_practice: ClaimPractice) -> None:
    held, ready_due, ready_later = three_claims(worklist_practice)
    now = today(worklist_practice)
    set_claim(worklist_practice, ready_due, status="ready", follow_up_on=now)
    set_claim(worklist_practice, ready_later, status="ready", follow_up_on=now + timedelta(days=1))

    found = [row.claim_id for row in rows(worklist_practice, WorklistFilter(needs_work=True))]

    assert found == [held, ready_due]


def test_age_filters(worklist_practice: ClaimPractice) -> None:
    oldest, middle, newest = three_claims(worklist_practice)
    age_of_middle = (today(worklist_practice) - (VISIT_DAY + timedelta(days=40))).days

    at_least = rows(worklist_practice, WorklistFilter(min_age_days=age_of_middle))
    at_most = rows(worklist_practice, WorklistFilter(max_age_days=age_of_middle))

    assert [row.claim_id for row in at_least] == [oldest, middle]
    assert [row.claim_id for row in at_most] == [middle, newest]


def test_amount_filters(worklist_practice: ClaimPractice) -> None:
    first, second, third = three_claims(worklist_practice)
    set_claim(worklist_practice, first, total_charge=Decimal("50.00"))
    set_claim(worklist_practice, third, total_charge=Decimal("500.00"))

    found = rows(
        worklist_practice, WorklistFilter(min_amount=Decimal("50.01"), max_amount=Decimal("500.00"))
    )

    assert [row.claim_id for row in found] == [second, third]


def test_payer_and_provider_filters(worklist_practice: ClaimPractice) -> None:
    [claim_id] = worklist_practice.build().claim_ids
    provider_id = worklist_practice.claim(claim_id).rendering_provider_id

    assert len(rows(worklist_practice, WorklistFilter(payer_id=worklist_practice.aetna_id))) == 1
    assert rows(worklist_practice, WorklistFilter(payer_id=worklist_practice.cigna_id)) == []
    assert len(rows(worklist_practice, WorklistFilter(provider_id=provider_id))) == 1
    assert rows(worklist_practice, WorklistFilter(provider_id=uuid.uuid4())) == []


def test_assigned_filter(worklist_practice: ClaimPractice) -> None:
    first, second, _third = three_claims(worklist_practice)
    biller = worklist_practice.biller
    assert biller.user_id is not None
    with worklist_practice.database.transaction() as session:
        assign_claims(session, biller, [second], biller.user_id)

    found = rows(worklist_practice, WorklistFilter(assigned_to=biller.user_id))

    assert [row.claim_id for row in found] == [second]
    assert found[0].assigned_to_name == "Office Admin"
    assert first not in {row.claim_id for row in found}


def test_text_filter(worklist_practice: ClaimPractice) -> None:
    first, second, _third = three_claims(worklist_practice)
    number = worklist_practice.claim(second).claim_number
    with worklist_practice.database.reading() as session:
        patient = session.get(Patient, worklist_practice.patient_id)
        assert patient is not None
        last_name, chart = patient.last_name, patient.chart_number

    assert numbers(worklist_practice, WorklistFilter(text=number.lower())) == [number]
    assert len(rows(worklist_practice, WorklistFilter(text=last_name.upper()))) == 3
    assert len(rows(worklist_practice, WorklistFilter(text=f"  {chart}  {last_name[:3]} "))) == 3
    assert rows(worklist_practice, WorklistFilter(text="%")) == []
    assert rows(worklist_practice, WorklistFilter(text=f"{last_name} nobody")) == []
    assert first in {row.claim_id for row in rows(worklist_practice, WorklistFilter(text=chart))}


def test_filters_combine(worklist_practice: ClaimPractice) -> None:
    first, second, third = three_claims(worklist_practice)
    set_claim(worklist_practice, first, status="ready")
    set_claim(worklist_practice, second, status="ready", total_charge=Decimal("999.00"))

    found = rows(
        worklist_practice, WorklistFilter(statuses=frozenset({"ready"}), min_amount=Decimal(500))
    )

    assert [row.claim_id for row in found] == [second]
    assert third not in {row.claim_id for row in found}


# ---- aging ----------------------------------------------------------------------------------


def row_of(age: int, amount: str) -> WorklistRow:
    return WorklistRow(
        claim_id=uuid.uuid4(), claim_number="C", patient_id=uuid.uuid4(), patient_name="",
        chart_number="", payer_name="", provider_name="", service_date=VISIT_DAY, age_days=age,
        aging_bucket=aging_bucket(age), amount=Decimal(amount), status="hold", status_label="",
        assigned_to_name="", follow_up_on=None, filing_days_left=None, error_count=0,
        warning_count=0, last_event="",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("age", "bucket"),
    [(-3, "0-30"), (0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
     (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "Over 120"), (900, "Over 120")],
)  # fmt: skip
def test_aging_bucket_boundaries(age: int, bucket: str) -> None:
    assert row_of(age, "1").aging_bucket == bucket


def test_aging_summary_counts_and_amounts() -> None:
    summary = aging_summary([row_of(5, "10.00"), row_of(25, "2.50"), row_of(200, "100.00")])

    assert [label for label, _count, _amount in summary] == list(AGING_BUCKETS)
    assert summary[0] == ("0-30", 2, Decimal("12.50"))
    assert summary[1] == ("31-60", 0, Decimal("0.00"))
    assert summary[4] == ("Over 120", 1, Decimal("100.00"))


def test_worklist_rows_match_buckets(worklist_practice: ClaimPractice) -> None:
    three_claims(worklist_practice)

    summary = aging_summary(rows(worklist_practice))

    assert sum(count for _label, count, _amount in summary) == 3


# ---- query count ----------------------------------------------------------------------------


@contextmanager
def counted_statements(practice: ClaimPractice) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with practice.database.reading() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", count)


def add_copies(practice: ClaimPractice, claim_id: uuid.UUID, indexes: range) -> None:
    """Insert copies of a claim numbered by `indexes`, each with a finding and an event."""
    with practice.database.transaction() as session:
        source = session.get(Claim, claim_id)
        assert source is not None
        columns = {
            name: getattr(source, name)
            for name in (
                "patient_id", "encounter_id", "coverage_id", "payer_id", "payer_sequence",
                "rendering_provider_id", "location_id", "place_of_service", "service_date_from",
                "service_date_to", "total_charge",
            )
        }  # fmt: skip
        for index in indexes:
            copy = Claim(claim_number=f"COPY-{index:05d}", status="hold", **columns)
            session.add(copy)
            session.flush()
            session.add(
                ClaimFinding(
                    claim_id=copy.id, rule="patient.address", severity="error", message="m",
                    why="w", field="patient.address", record_id=source.patient_id,
                )
            )  # fmt: skip
            session.add(ClaimEvent(claim_id=copy.id, occurred_at=source.created_at, event="built"))


def worklist_statements(practice: ClaimPractice) -> tuple[int, int]:
    """Return the number of rows the worklist returns and of SQL statements it runs."""
    with counted_statements(practice) as statements:
        found = rows(practice)
    return len(found), len(statements)


def test_query_count_independent_of_rows(worklist_practice: ClaimPractice) -> None:
    [claim_id] = worklist_practice.build().claim_ids
    add_copies(worklist_practice, claim_id, range(10))
    small_rows, small_statements = worklist_statements(worklist_practice)

    add_copies(worklist_practice, claim_id, range(10, 300))
    large_rows, large_statements = worklist_statements(worklist_practice)

    assert small_rows == 11
    assert large_rows == 301
    assert large_statements == small_statements
    assert large_rows > large_statements
