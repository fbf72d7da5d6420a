"""claim_detail and the worklist actions: assign, follow-up and notes."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.changes import ChangeKind
from app.errors import NotFoundError, PermissionDeniedError, UserError, ValidationError
from app.models.claims import Claim, ClaimEvent
from app.models.security import AuditEvent
from app.problems import Severity
from app.security.permissions import Role
from app.services import encounters, users
from app.services.claim_worklist import (
    add_claim_note,
    assign_claims,
    assignable_users,
    claim_detail,
    set_follow_up,
)
from app.services.today import practice_today
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice
from tests.services.claims_scrub.claim_setup import scrub

PASSWORD = "Lakeside-desk-2024!"


def one_claim(practice: ClaimPractice) -> uuid.UUID:
    [claim_id] = practice.build().claim_ids
    return claim_id


def add_user(practice: ClaimPractice, username: str, name: str, role: Role) -> uuid.UUID:
    with practice.database.transaction() as session:
        written = users.create_user(session, practice.charge.admin, username, name, role, PASSWORD)
    return written.user.id


def claim_events(practice: ClaimPractice, claim_id: uuid.UUID, kind: str) -> list[ClaimEvent]:
    with practice.database.reading() as session:
        query = select(ClaimEvent).where(ClaimEvent.claim_id == claim_id, ClaimEvent.event == kind)
        return list(session.scalars(query))


# ---- detail ---------------------------------------------------------------------------------


def test_detail_shows_claim(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    scrub(worklist_practice, [claim_id])
    claim = worklist_practice.claim(claim_id)

    with worklist_practice.database.transaction() as session:
        detail = claim_detail(session, worklist_practice.biller, claim_id)

    assert detail.claim_number == claim.claim_number
    assert (detail.status, detail.status_label) == ("hold", "On hold")
    assert detail.payer_name == "Aetna"
    assert detail.service_date_from == VISIT_DAY
    assert (detail.frequency_code, detail.frequency_label) == ("1", "Original")
    assert [(item.display_code, item.position) for item in detail.diagnoses] == [("E11.9", 1)]
    assert "diabetes" in detail.diagnoses[0].description.lower()
    assert [(line.line_number, line.procedure_code, line.pointers) for line in detail.lines] == [
        (1, "99213", (1,))
    ]
    assert detail.findings[0].severity is Severity.ERROR
    assert {item.rule for item in detail.findings} == {
        "patient.address",
        "eligibility.not_verified",
        "clearinghouse.missing",
    }
    assert [entry.event for entry in detail.events] == ["built", "scrubbed"]
    assert detail.events[-1].user_name == "Office Admin"
    assert detail.events[-1].status_label == "On hold"
    assert detail.batches == ()
    assert detail.filing_days_left is not None


def test_detail_view_audited(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)

    with worklist_practice.database.transaction() as session:
        claim_detail(session, worklist_practice.biller, claim_id)

    with worklist_practice.database.reading() as session:
        views = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.object_type == "claim")
        ).all()
    assert [(row.object_id, row.patient_id) for row in views] == [
        (str(claim_id), worklist_practice.patient_id)
    ]


def test_detail_line_findings_numbered(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    [line] = worklist_practice.claim_lines(claim_id)
    with worklist_practice.database.transaction() as session:
        encounters.reverse_line(
            session, worklist_practice.biller, line.charge_line_id, "Wrong code"
        )
    scrub(worklist_practice, [claim_id])

    with worklist_practice.database.transaction() as session:
        detail = claim_detail(session, worklist_practice.biller, claim_id)

    [changed] = [item for item in detail.findings if item.rule == "charges.changed"]
    assert changed.line_number == 1


def test_detail_of_missing_claim(worklist_practice: ClaimPractice) -> None:
    with (
        pytest.raises(NotFoundError, match="was not found"),
        worklist_practice.database.transaction() as session,
    ):
        claim_detail(session, worklist_practice.biller, uuid.uuid4())


def test_detail_requires_permission(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)

    with (
        pytest.raises(PermissionDeniedError),
        worklist_practice.database.transaction() as session,
    ):
        claim_detail(session, worklist_practice.charge.front_desk, claim_id)


# ---- assigning ------------------------------------------------------------------------------


def test_assignable_users_can_work_claims(worklist_practice: ClaimPractice) -> None:
    biller_id = add_user(worklist_practice, "bea", "Bea Biller", Role.BILLER)
    add_user(worklist_practice, "fred", "Fred Desk", Role.FRONT_DESK)
    manager_id = add_user(worklist_practice, "mia", "Mia Manager", Role.MANAGER)

    with worklist_practice.database.reading() as session:
        found = assignable_users(session, worklist_practice.biller)

    names = [name for _user_id, name in found]
    assert names == ["Bea Biller", "Mia Manager", "Office Admin"]
    assert (biller_id, "Bea Biller") in found
    assert (manager_id, "Mia Manager") in found


def test_assign_and_clear(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    biller_id = add_user(worklist_practice, "bea", "Bea Biller", Role.BILLER)

    with worklist_practice.database.transaction() as session:
        changes = assign_claims(session, worklist_practice.biller, [claim_id], biller_id)
    assigned = worklist_practice.claim(claim_id).assigned_to
    with worklist_practice.database.transaction() as session:
        assign_claims(session, worklist_practice.biller, [claim_id], None)

    assert changes.touches(ChangeKind.CLAIMS)
    assert assigned == biller_id
    assert worklist_practice.claim(claim_id).assigned_to is None
    details = [event.detail for event in claim_events(worklist_practice, claim_id, "assigned")]
    assert details == ["Assigned to Bea Biller", "Assignment cleared"]


def test_same_assignment_adds_no_event(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    biller_id = add_user(worklist_practice, "bea", "Bea Biller", Role.BILLER)

    for _ in range(2):
        with worklist_practice.database.transaction() as session:
            assign_claims(session, worklist_practice.biller, [claim_id, claim_id], biller_id)

    assert len(claim_events(worklist_practice, claim_id, "assigned")) == 1


def test_front_desk_cannot_be_assigned(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    desk_id = add_user(worklist_practice, "fred", "Fred Desk", Role.FRONT_DESK)

    with (
        pytest.raises(UserError, match="Fred Desk cannot work claims"),
        worklist_practice.database.transaction() as session,
    ):
        assign_claims(session, worklist_practice.biller, [claim_id], desk_id)


def test_assign_unknown_user(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)

    with (
        pytest.raises(NotFoundError),
        worklist_practice.database.transaction() as session,
    ):
        assign_claims(session, worklist_practice.biller, [claim_id], uuid.uuid4())


# ---- follow-up and notes --------------------------------------------------------------------


def test_follow_up_set_and_cleared(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    with worklist_practice.database.reading() as session:
        today = practice_today(session)
    on = today + timedelta(days=14)

    with worklist_practice.database.transaction() as session:
        set_follow_up(session, worklist_practice.biller, claim_id, on, "  Call Aetna  ")
    stored = worklist_practice.claim(claim_id).follow_up_on
    with worklist_practice.database.transaction() as session:
        set_follow_up(session, worklist_practice.biller, claim_id, None, "")

    assert stored == on
    assert worklist_practice.claim(claim_id).follow_up_on is None
    details = [event.detail for event in claim_events(worklist_practice, claim_id, "follow_up")]
    assert details == [f"Follow up on {on:%m/%d/%Y}: Call Aetna", "Follow-up cleared"]


def test_follow_up_in_past_rejected(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)

    with (
        pytest.raises(UserError, match="is before today"),
        worklist_practice.database.transaction() as session,
    ):
        set_follow_up(session, worklist_practice.biller, claim_id, VISIT_DAY, "")


def test_note_recorded_with_user(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)

    with worklist_practice.database.transaction() as session:
        add_claim_note(session, worklist_practice.biller, claim_id, "Payer asked for notes.")

    [note] = claim_events(worklist_practice, claim_id, "note")
    assert note.detail == "Payer asked for notes."
    assert note.user_id == worklist_practice.biller.user_id
    assert note.status is None


@pytest.mark.parametrize(
    ("note", "expected"),
    [("   ", "The note is missing"), ("x" * 2001, "shorten it"), ("bell\a", "control character")],
)
def test_invalid_note_rejected(worklist_practice: ClaimPractice, note: str, expected: str) -> None:
    claim_id = one_claim(worklist_practice)

    with (
        pytest.raises(ValidationError, match=expected),
        worklist_practice.database.transaction() as session,
    ):
        add_claim_note(session, worklist_practice.biller, claim_id, note)


def test_note_on_archived_claim(worklist_practice: ClaimPractice) -> None:
    claim_id = one_claim(worklist_practice)
    with worklist_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.archived = True

    with (
        pytest.raises(NotFoundError),
        worklist_practice.database.transaction() as session,
    ):
        add_claim_note(session, worklist_practice.biller, claim_id, "Hello")
