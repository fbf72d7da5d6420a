"""Audited views (record, SSN, documents), card images and the form's pickers."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from app.changes import ChangeKind
from app.clock import utc_now
from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.models.patients import OutsideProvider, PatientDocument
from app.models.practice import Payer
from app.models.security import AuditEvent, EmergencyAccess
from app.security.permissions import Permission
from app.services.patient_forms import CardImage
from app.services.registration import (
    add_document,
    archive_document,
    list_documents,
    load_patient_form,
    outside_provider_choices,
    payer_choices,
    provider_choices,
    read_document,
    reveal_ssn,
    save_patient,
)
from tests.services.registration.conftest import TODAY, Practice, coverage, valid_form

# A PNG signature and header chunk, then a text chunk whose words are easy to find in a file.
MARKER = b"ClinicDeskCardMarker-7f3a9c"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13) + b"tEXt" + MARKER * 20


def _patient(practice: Practice, **changes: object) -> uuid.UUID:
    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, valid_form(**changes), TODAY)
    assert outcome.patient_id is not None
    return outcome.patient_id


def _events(practice: Practice, object_type: str) -> list[AuditEvent]:
    with practice.database.session() as session:
        query = (
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type)
            .order_by(AuditEvent.sequence)
        )
        return list(session.scalars(query))


def test_load_audited_as_view(practice: Practice) -> None:
    patient_id = _patient(practice, ssn="123-45-6789")

    with practice.database.transaction() as session:
        form = load_patient_form(session, practice.manager, patient_id)

    views = [event for event in _events(practice, "patient") if event.action == "view"]
    assert len(views) == 1
    assert views[0].patient_id == patient_id
    assert views[0].username == "manager1"
    assert form.ssn == ""
    assert form.ssn_masked == "***-**-6789"
    assert form.phones[0].number == "(847) 555-0123"


def test_load_unknown_patient_not_found(practice: Practice) -> None:
    with pytest.raises(NotFoundError), practice.database.transaction() as session:
        load_patient_form(session, practice.front_desk, uuid.uuid4())


def test_reveal_ssn_audited_every_time(practice: Practice) -> None:
    patient_id = _patient(practice, ssn="123456789")

    shown = []
    for _ in range(2):
        with practice.database.transaction() as session:
            shown.append(reveal_ssn(session, practice.manager, patient_id))

    events = _events(practice, "patient_ssn")
    assert shown == ["123-45-6789", "123-45-6789"]
    assert [event.action for event in events] == ["view", "view"]
    assert all(event.patient_id == patient_id for event in events)
    assert all("6789" not in event.detail for event in events)


def test_reveal_ssn_denied_for_front_desk(practice: Practice) -> None:
    patient_id = _patient(practice, ssn="123456789")

    with pytest.raises(PermissionDeniedError) as raised, practice.database.transaction() as session:
        reveal_ssn(session, practice.front_desk, patient_id)

    denials = _events(practice, "permission")
    assert "Emergency access" in str(raised.value)
    assert [event.object_id for event in denials] == [Permission.PATIENT_VIEW_SSN.value]
    assert denials[0].patient_id == patient_id
    assert denials[0].outcome == "denied"
    assert _events(practice, "patient_ssn") == []


def test_reveal_ssn_with_emergency_grant(practice: Practice) -> None:
    patient_id = _patient(practice, ssn="123456789")
    with practice.database.transaction() as session:
        session.add(
            EmergencyAccess(
                user_id=practice.front_desk.user_id,
                patient_id=patient_id,
                permission=Permission.PATIENT_VIEW_SSN.value,
                reason="Payer needs the SSN to find the policy now",
                expires_at=utc_now() + timedelta(minutes=30),
            )
        )

    with practice.database.transaction() as session:
        assert reveal_ssn(session, practice.front_desk, patient_id) == "123-45-6789"


def _card_coverage(practice: Practice, content: bytes) -> uuid.UUID:
    entry = coverage(practice.aetna, card_front=CardImage(content, "image/png"))
    return _patient(practice, coverages=[entry])


def test_card_image_stored_and_read_back(practice: Practice) -> None:
    patient_id = _card_coverage(practice, PNG)

    with practice.database.transaction() as session:
        summaries = list_documents(session, practice.front_desk, patient_id)
        content = read_document(session, practice.front_desk, summaries[0].id)

    assert [(row.kind, row.byte_count) for row in summaries] == [("card_front", len(PNG))]
    assert summaries[0].coverage_id is not None
    assert len(summaries[0].sha256) == 64
    assert content.content == PNG
    assert content.media_type == "image/png"
    views = [event for event in _events(practice, "patient_document") if event.action == "view"]
    assert len(views) == 1
    assert views[0].patient_id == patient_id


def test_card_image_encrypted_on_disk(practice: Practice) -> None:
    _card_coverage(practice, PNG)
    path = Path(practice.database.path)

    raw = b"".join(
        candidate.read_bytes()
        for candidate in path.parent.iterdir()
        if candidate.name.startswith(path.name)
    )

    assert len(raw) > len(PNG)
    assert MARKER not in raw
    assert b"IHDR" not in raw


def test_new_card_replaces_previous(practice: Practice) -> None:
    patient_id = _card_coverage(practice, PNG)
    with practice.database.transaction() as session:
        form = load_patient_form(session, practice.front_desk, patient_id)
    newer = PNG + b"second"
    form.coverages[0].card_front = CardImage(newer, "image/png")

    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, form, TODAY)

    assert outcome.changes.touches(ChangeKind.DOCUMENTS)
    with practice.database.session() as session:
        rows = session.scalars(select(PatientDocument).order_by(PatientDocument.id)).all()
        assert [(row.archived, row.byte_count) for row in rows] == [
            (True, len(PNG)),
            (False, len(newer)),
        ]


def test_list_documents_skips_content(practice: Practice) -> None:
    patient_id = _card_coverage(practice, PNG)
    statements: list[str] = []

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    engine = practice.database.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        with practice.database.reading() as session:
            list_documents(session, practice.front_desk, patient_id)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    document_queries = [text for text in statements if "FROM patient_document" in text]
    assert document_queries
    assert all("patient_document.content" not in text for text in document_queries)


def test_add_and_archive_document(practice: Practice) -> None:
    patient_id = _patient(practice)
    pdf = b"%PDF-1.7\n" + bytes(100)

    with practice.database.transaction() as session:
        changes = add_document(
            session,
            practice.front_desk,
            patient_id,
            "signed_form",
            "HIPAA notice",
            "application/pdf",
            pdf,
        )
        document_id = list_documents(session, practice.front_desk, patient_id)[0].id
        archive_document(session, practice.front_desk, document_id)
        remaining = list_documents(session, practice.front_desk, patient_id)

    assert changes.touches(ChangeKind.DOCUMENTS)
    assert remaining == []
    actions = [event.action for event in _events(practice, "patient_document")]
    assert actions == ["create", "archive"]


def test_add_document_rejects_wrong_bytes(practice: Practice) -> None:
    patient_id = _patient(practice)

    with pytest.raises(ValidationError) as raised, practice.database.transaction() as session:
        add_document(session, practice.front_desk, patient_id, "scan", "", "image/jpeg", PNG)

    fields = [problem.field for problem in raised.value.problems]
    assert fields == ["kind", "content"]


def test_read_archived_document_not_found(practice: Practice) -> None:
    patient_id = _card_coverage(practice, PNG)
    with practice.database.transaction() as session:
        document_id = list_documents(session, practice.front_desk, patient_id)[0].id
        archive_document(session, practice.front_desk, document_id)

    with pytest.raises(NotFoundError), practice.database.transaction() as session:
        read_document(session, practice.front_desk, document_id)


def test_pickers_list_active_records(practice: Practice) -> None:
    with practice.database.transaction() as session:
        payer = session.get(Payer, practice.cigna)
        assert payer is not None
        payer.archived = True
        session.add(OutsideProvider(first_name="Rita", last_name="Shah", credentials="MD"))
        session.add(OutsideProvider(last_name="North Shore Imaging", archived=True))

    with practice.database.reading() as session:
        payers = payer_choices(session, practice.front_desk)
        providers = provider_choices(session, practice.front_desk)
        outside = outside_provider_choices(session, practice.front_desk)

    assert [choice.label for choice in payers] == ["Aetna (60054)"]
    assert [choice.label for choice in providers] == ["Ana Lopez, MD", "Ben Okafor, NP"]
    assert [choice.label for choice in outside] == ["Shah, Rita, MD"]
