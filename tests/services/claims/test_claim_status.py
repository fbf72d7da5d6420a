"""Claim statuses, their labels and recording events."""

from datetime import timedelta

from sqlalchemy import select

from app.models.claims import Claim, ClaimEvent, ClaimLine
from app.services.claim_build_rows import (
    ClaimHeader,
    claim_diagnoses,
    claim_lines,
    draft_from_claim_line,
    write_claim,
)
from app.services.claim_status import (
    STATUS_LABELS,
    ClaimEventKind,
    ClaimStatus,
    record_event,
    record_events,
    status_label,
)
from app.services.encounters import LineForm
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice


def test_every_status_has_label() -> None:
    assert set(STATUS_LABELS) == set(ClaimStatus)
    assert STATUS_LABELS[ClaimStatus.HOLD] == "On hold"
    assert STATUS_LABELS[ClaimStatus.READY] == "Ready to send"
    assert STATUS_LABELS[ClaimStatus.PATIENT_RESP] == "Patient owes"
    assert STATUS_LABELS[ClaimStatus.PARTIAL] == "Partly paid"


def test_status_label_unknown_text() -> None:
    assert status_label("ready") == "Ready to send"
    assert status_label("mystery") == "mystery"


def test_event_kinds_are_lower_case_words() -> None:
    for kind in ClaimEventKind:
        assert kind.value == kind.name.lower()


def test_record_event_sets_claim_and_lines(claim_practice: ClaimPractice) -> None:
    claim_id = claim_practice.build().claim_ids[0]
    user_id = claim_practice.biller.user_id

    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        record_event(
            session, claim, ClaimEventKind.SCRUBBED, user_id=user_id, status=ClaimStatus.READY
        )

    assert claim_practice.claim(claim_id).status == "ready"
    assert [line.status for line in claim_practice.claim_lines(claim_id)] == ["ready"]
    with claim_practice.database.reading() as session:
        events = list(
            session.scalars(
                select(ClaimEvent.event)
                .where(ClaimEvent.claim_id == claim_id)
                .order_by(ClaimEvent.occurred_at)
            )
        )
    assert events == ["built", "scrubbed"]


def test_record_event_for_one_line(claim_practice: ClaimPractice) -> None:
    encounter_id = claim_practice.post(
        claim_practice.form([LineForm(procedure_code="99213"), LineForm(procedure_code="99214")])
    )
    (claim_id,) = claim_practice.build([encounter_id]).claim_ids
    first, second = claim_practice.claim_lines(claim_id)

    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        record_event(
            session,
            claim,
            ClaimEventKind.DENIED,
            user_id=None,
            status=ClaimStatus.DENIED,
            line_id=second.id,
            detail="Line 2 denied",
        )

    assert claim_practice.claim(claim_id).status == "hold"
    with claim_practice.database.reading() as session:
        statuses = dict(
            session.execute(
                select(ClaimLine.id, ClaimLine.status).where(ClaimLine.claim_id == claim_id)
            ).all()
        )
        event = session.scalars(
            select(ClaimEvent).where(ClaimEvent.claim_id == claim_id, ClaimEvent.event == "denied")
        ).one()
    assert statuses == {first.id: "hold", second.id: "denied"}
    assert event.claim_line_id == second.id
    assert event.user_id is None
    assert event.detail == "Line 2 denied"


def test_record_events_moves_many_claims(claim_practice: ClaimPractice) -> None:
    claim_practice.post(claim_practice.form(day=VISIT_DAY + timedelta(days=1)))
    claim_ids = claim_practice.build().claim_ids
    assert len(claim_ids) == 2

    with claim_practice.database.transaction() as session:
        claims = [session.get(Claim, claim_id) for claim_id in claim_ids]
        events = record_events(
            session,
            [claim for claim in claims if claim is not None],
            ClaimEventKind.SENT,
            user_id=None,
            status=ClaimStatus.SUBMITTED,
            detail="Sent in batch 7",
        )
        assert len(events) == 2

    for claim_id in claim_ids:
        assert claim_practice.claim(claim_id).status == "submitted"
        assert [line.status for line in claim_practice.claim_lines(claim_id)] == ["submitted"]


def test_record_event_on_unflushed_claim(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    with claim_practice.database.transaction() as session:
        original = session.get(Claim, claim_id)
        assert original is not None
        diagnoses = claim_diagnoses(session, claim_id)
        drafts = [draft_from_claim_line(line, diagnoses) for line in claim_lines(session, claim_id)]
        header = ClaimHeader(
            patient_id=original.patient_id,
            encounter_id=original.encounter_id,
            coverage_id=original.coverage_id,
            payer_id=original.payer_id,
            payer_sequence="P",
            rendering_provider_id=original.rendering_provider_id,
            location_id=original.location_id,
            place_of_service="11",
            clearinghouse_id=None,
        )
        copy = write_claim(session, claim_practice.biller, header, drafts, diagnoses, detail="Copy")
        record_event(session, copy, ClaimEventKind.NOTE, user_id=None, status=ClaimStatus.READY)
        copy_id = copy.id

    assert [line.status for line in claim_practice.claim_lines(copy_id)] == ["ready"]
