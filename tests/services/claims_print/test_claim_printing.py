"""Printing claims from the database: events, audit rows, offsets and the alignment page."""

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import FileWriteError, NotFoundError, PermissionDeniedError, ValidationError
from app.models.claims import Claim, ClaimEvent
from app.models.patients import Patient
from app.models.security import AuditEvent
from app.models.system import Setting
from app.pdf.cms1500 import BOX_POSITIONS
from app.services.claim_printing import (
    OFFSET_X_KEY,
    OFFSET_Y_KEY,
    get_print_offsets,
    print_alignment_page,
    print_claims,
    set_print_offsets,
)
from app.services.encounters import LineForm
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.pdf_text import PlacedText, page_count, placed_text

POINTS_PER_MM = 72 / 25.4


def text_at(
    runs: list[PlacedText], key: str, page: int = 0, dx: float = 0, dy: float = 0
) -> str | None:
    """Return the text printed at item `key` on `page`, moved by (dx, dy) points."""
    x, y = BOX_POSITIONS[key]
    for run in runs:
        if run.page == page and abs(run.x - (x + dx)) < 0.5 and abs(run.y - (y + dy)) < 0.5:
            return run.text
    return None


def print_as_biller(
    practice: ClaimPractice, claim_ids: list[uuid.UUID], path: Path, mode: str = "form"
) -> int:
    with practice.database.transaction() as session:
        return print_claims(session, practice.biller, claim_ids, path, mode=mode)


def events_of(practice: ClaimPractice, claim_id: uuid.UUID) -> list[tuple[str, str | None]]:
    with practice.database.reading() as session:
        rows = session.execute(
            select(ClaimEvent.event, ClaimEvent.detail)
            .where(ClaimEvent.claim_id == claim_id)
            .order_by(ClaimEvent.occurred_at)
        )
        return [(event, detail) for event, detail in rows]


def nine_line_claim(practice: ClaimPractice) -> uuid.UUID:
    lines = [
        LineForm(procedure_code="97110", modifiers=["GP"], units=units) for units in range(1, 10)
    ]
    encounter_id = practice.post(practice.form(lines))
    (claim_id,) = practice.build([encounter_id]).claim_ids
    return claim_id


def test_print_claim_writes_pdf(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    path = tmp_path / "claims.pdf"

    pages = print_as_biller(claim_practice, [claim_id], path, mode="data")

    assert pages == 1
    assert page_count(path) == 1
    claim = claim_practice.claim(claim_id)
    with claim_practice.database.reading() as session:
        patient = session.get(Patient, claim.patient_id)
        assert patient is not None
        name = f"{patient.last_name} {patient.first_name}".upper()
    runs = placed_text(path)
    assert (text_at(runs, "2") or "").startswith(name)
    assert text_at(runs, "26") == claim.claim_number
    assert text_at(runs, "21.indicator") == "0"


def test_print_records_event_and_audit(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    print_as_biller(claim_practice, [claim_id], tmp_path / "claims.pdf", mode="data")

    assert events_of(claim_practice, claim_id)[-1] == ("printed", "CMS-1500 PDF, data mode")
    assert claim_practice.claim(claim_id).status == "hold"
    with claim_practice.database.reading() as session:
        audits = list(
            session.execute(
                select(AuditEvent.action, AuditEvent.patient_id, AuditEvent.detail).where(
                    AuditEvent.object_type == "claim", AuditEvent.object_id == str(claim_id)
                )
            )
        )
    assert audits == [("print", claim_practice.patient_id, "CMS-1500 PDF, data mode")]


def test_print_continues_long_claim(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    claim_id = nine_line_claim(claim_practice)
    path = tmp_path / "claims.pdf"

    pages = print_as_biller(claim_practice, [claim_id], path)

    assert pages == 2
    runs = placed_text(path)
    assert text_at(runs, "continued", page=0) == "CONTINUED PAGE 1 OF 2"
    assert text_at(runs, "continued", page=1) is None
    assert text_at(runs, "24.6.D", page=0) is not None
    assert text_at(runs, "24.3.D", page=1) is not None
    assert text_at(runs, "24.4.D", page=1) is None


def test_print_several_claims_in_order(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    first = claim_practice.build().claim_ids[0]
    second = nine_line_claim(claim_practice)
    path = tmp_path / "claims.pdf"

    pages = print_as_biller(claim_practice, [second, first, second], path)

    assert pages == 3
    runs = placed_text(path)
    assert text_at(runs, "26", page=0) == claim_practice.claim(second).claim_number
    assert text_at(runs, "26", page=2) == claim_practice.claim(first).claim_number
    assert [event for event, _ in events_of(claim_practice, second)].count("printed") == 1


def test_print_unknown_claim(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    path = tmp_path / "claims.pdf"

    with pytest.raises(NotFoundError, match="not found"):
        print_as_biller(claim_practice, [claim_id, uuid.uuid4()], path)
    assert not path.exists()
    assert [event for event, _ in events_of(claim_practice, claim_id)] == ["built"]


def test_print_failed_write_records_nothing(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    with pytest.raises(FileWriteError):
        print_as_biller(claim_practice, [claim_id], tmp_path / "missing" / "claims.pdf")
    assert [event for event, _ in events_of(claim_practice, claim_id)] == ["built"]


def test_print_needs_claim_permission(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    front_desk = claim_practice.charge.front_desk

    with pytest.raises(PermissionDeniedError), claim_practice.database.transaction() as session:
        print_claims(session, front_desk, [claim_id], tmp_path / "claims.pdf")
    with pytest.raises(PermissionDeniedError), claim_practice.database.transaction() as session:
        set_print_offsets(session, front_desk, 1, 1)
    assert not (tmp_path / "claims.pdf").exists()


def test_offsets_default_to_zero(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.reading() as session:
        assert get_print_offsets(session) == (0.0, 0.0)


def test_set_offsets_round_trip(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        changes = set_print_offsets(session, claim_practice.biller, 2.54, -1.25)
    assert changes.kinds

    with claim_practice.database.reading() as session:
        assert get_print_offsets(session) == (2.5, -1.2)
    with claim_practice.database.transaction() as session:
        unchanged = set_print_offsets(session, claim_practice.biller, 2.5, -1.2)
    assert not unchanged.kinds


@pytest.mark.parametrize(("x_mm", "y_mm", "field"), [(10.5, 0, "x_mm"), (0, -12, "y_mm")])
def test_set_offsets_out_of_range(
    claim_practice: ClaimPractice, x_mm: float, y_mm: float, field: str
) -> None:
    with pytest.raises(ValidationError) as raised, claim_practice.database.transaction() as session:
        set_print_offsets(session, claim_practice.biller, x_mm, y_mm)
    assert [problem.field for problem in raised.value.problems] == [field]


def test_invalid_stored_offset_reads_zero(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        session.add(Setting(key=OFFSET_X_KEY, value="left"))
        session.add(Setting(key=OFFSET_Y_KEY, value=55))

    with claim_practice.database.reading() as session:
        assert get_print_offsets(session) == (0.0, 0.0)


def test_stored_offsets_move_print(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    print_as_biller(claim_practice, [claim_id], tmp_path / "still.pdf", mode="data")
    with claim_practice.database.transaction() as session:
        set_print_offsets(session, claim_practice.biller, 4, 3)

    print_as_biller(claim_practice, [claim_id], tmp_path / "moved.pdf", mode="data")

    still, moved = placed_text(tmp_path / "still.pdf"), placed_text(tmp_path / "moved.pdf")
    dx, dy = 4 * POINTS_PER_MM, -3 * POINTS_PER_MM
    name = text_at(still, "2")
    assert name is not None
    assert text_at(moved, "2", dx=dx, dy=dy) == name
    assert text_at(moved, "2") is None


def test_alignment_page_uses_offsets(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    with claim_practice.database.transaction() as session:
        set_print_offsets(session, claim_practice.biller, -2, 1.5)
    path = tmp_path / "align.pdf"

    with claim_practice.database.transaction() as session:
        print_alignment_page(session, claim_practice.biller, path)

    runs = placed_text(path)
    dx, dy = -2 * POINTS_PER_MM, -1.5 * POINTS_PER_MM
    assert page_count(path) == 1
    assert text_at(runs, "2", dx=dx, dy=dy) == "2 PATIENT NAME"
    assert text_at(runs, "continued", dx=dx, dy=dy) == "ALIGNMENT OFFSET X -2.0 MM Y +1.5 MM"


def test_claim_status_unchanged_by_print(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.status = "submitted"

    print_as_biller(claim_practice, [claim_id], tmp_path / "claims.pdf")

    assert claim_practice.claim(claim_id).status == "submitted"
