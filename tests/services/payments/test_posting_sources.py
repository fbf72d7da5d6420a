"""Linking posted adjudications to their claim payments, and the import's plain claim rows."""

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, inspect, select, update

from app.models.claims import ClaimFinding
from app.models.payments import RemittanceClaim
from app.services.claim_cob import AdjudicationForm, AdjustmentForm, LineAdjudicationForm
from app.services.era_claim_rows import COLUMNS
from app.services.era_posting import apply_plans
from app.services.era_posting_plan import plan_adjudication
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    PAID_ON,
    add_source,
    module_claim_practice,
    new_claim,
    new_patient,
    record,
)

D = Decimal
# Set by the model's defaults when insert_claim_payments leaves them out.
DEFAULTED = {"created_at", "updated_at", "archived"}
LINKED_AT = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
DENIED_LOOP = "CLP*PCN*4*120*0**12*ICN77~MOA***MA130~SVC*HC:99213*120*0**1~CAS*CO*16*120~"


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


def paid_form(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    (line,) = practice.claim_lines(claim_id)
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("105.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=D("105.00"),
                adjustments=[AdjustmentForm("CO", "45", D("15.00"))],
            )
        ],
    )


def denied_form(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    (line,) = practice.claim_lines(claim_id)
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="4",
        paid_amount=D("0.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=D("0.00"),
                adjustments=[AdjustmentForm("CO", "16", D("120.00"))],
            )
        ],
    )


def stored_source(practice: ClaimPractice, source_id: uuid.UUID) -> RemittanceClaim:
    with practice.database.reading() as session:
        source = session.get(RemittanceClaim, source_id)
        assert source is not None
        return source


def test_claim_row_fields_are_columns() -> None:
    columns = {column.key for column in inspect(RemittanceClaim).columns}

    assert set(COLUMNS) == columns - DEFAULTED


def test_stale_source_linked(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = paid_form(practice, claim_id)
    adjudication_id = record(practice, form)
    source_id = add_source(practice, claim_id, form)

    with practice.database.transaction() as session:
        plan = plan_adjudication(session, adjudication_id, source_id)
        apply_plans(session, practice.biller, [plan])

    source = stored_source(practice, source_id)
    assert source.state == "posted"
    assert source.adjudication_id == adjudication_id
    assert source.posted_at is not None
    assert source.posted_by == practice.biller.user_id
    assert source.updated_by == practice.biller.user_id


def test_linked_source_not_loaded(practice: ClaimPractice) -> None:
    """A claim payment stored posted and linked is neither loaded nor written again."""
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = paid_form(practice, claim_id)
    adjudication_id = record(practice, form)
    source_id = add_source(practice, claim_id, form)
    with practice.database.transaction() as session:
        session.execute(
            update(RemittanceClaim)
            .where(RemittanceClaim.id == source_id)
            .values(
                adjudication_id=adjudication_id,
                state="posted",
                posted_at=LINKED_AT,
                posted_by=practice.biller.user_id,
                updated_by=practice.biller.user_id,
            )
        )
    before = stored_source(practice, source_id)

    loaded: list[object] = []
    with practice.database.transaction() as session:
        plan = plan_adjudication(session, adjudication_id, source_id)
        event.listen(session, "loaded_as_persistent", lambda _, item: loaded.append(item))
        apply_plans(session, practice.biller, [plan])

    after = stored_source(practice, source_id)
    assert not any(isinstance(item, RemittanceClaim) for item in loaded)
    assert after.updated_at == before.updated_at
    assert after.posted_at == LINKED_AT
    assert after.state == "posted"


def test_linked_source_other_adjudication(practice: ClaimPractice) -> None:
    """A claim payment linked to another adjudication is linked to the posted one."""
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = paid_form(practice, claim_id)
    first_id = record(practice, form)
    source_id = add_source(practice, claim_id, form)
    with practice.database.transaction() as session:
        session.execute(
            update(RemittanceClaim)
            .where(RemittanceClaim.id == source_id)
            .values(
                adjudication_id=first_id,
                state="posted",
                posted_at=LINKED_AT,
                posted_by=practice.biller.user_id,
                updated_by=practice.biller.user_id,
            )
        )
    second_id = record(practice, replace(form, payer_claim_number="ICN-2"))

    with practice.database.transaction() as session:
        plan = plan_adjudication(session, second_id, source_id)
        apply_plans(session, practice.biller, [plan])

    source = stored_source(practice, source_id)
    assert source.adjudication_id == second_id
    assert source.posted_at == LINKED_AT


def test_denial_reads_stored_loop(practice: ClaimPractice) -> None:
    """A denial's finding names the remark codes of a claim payment not held in the session."""
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = denied_form(practice, claim_id)
    adjudication_id = record(practice, form)
    source_id = add_source(practice, claim_id, form, DENIED_LOOP)

    with practice.database.transaction() as session:
        plan = plan_adjudication(session, adjudication_id, source_id)
        apply_plans(session, practice.biller, [plan])

    with practice.database.reading() as session:
        messages = session.scalars(
            select(ClaimFinding.message).where(
                ClaimFinding.claim_id == claim_id, ClaimFinding.rule == "era.denial"
            )
        ).all()
    assert len(messages) == 1
    assert "CO-16" in messages[0]
    assert "MA130" in messages[0]
