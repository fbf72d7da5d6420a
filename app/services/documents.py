"""Scanned documents and insurance card images, stored inside the encrypted database.

The bytes live in `patient_document.content`, so they are encrypted with the rest of the
database and copied by every backup. Listing documents never loads that column; reading
one is an audited view of the patient's record.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, ValidationError
from app.models.patients import Patient, PatientDocument
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission
from app.validators import echo_for_message

log = logging.getLogger(__name__)

OBJECT_TYPE = "patient_document"

DOCUMENT_KINDS = {
    "card_front": "Insurance card, front",
    "card_back": "Insurance card, back",
    "photo_id": "Photo ID",
    "signed_form": "Signed form",
    "other": "Other",
}

# The first bytes of each accepted file type, so a renamed file of another type is caught.
MAGIC_BYTES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/pdf": (b"%PDF-",),
}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_TITLE_LENGTH = 120


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """One stored document as a list shows it, without its content."""

    id: uuid.UUID
    patient_id: uuid.UUID
    coverage_id: uuid.UUID | None
    kind: str
    title: str
    media_type: str
    byte_count: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentContent:
    """The bytes of one stored document and what they are."""

    media_type: str
    content: bytes
    kind: str
    title: str


def content_problems(content: bytes, media_type: str, field: str) -> list[Problem]:
    """Check a file to store: an accepted type, not empty, at most 10 MB, bytes match the type."""
    if media_type not in MAGIC_BYTES:
        return [
            Problem(
                field,
                f"File type {echo_for_message(media_type) or '(blank)'} is not accepted; "
                "attach a PNG or JPEG picture or a PDF file.",
            )
        ]
    if not content:
        return [Problem(field, "The file is empty; scan or photograph the document again.")]
    if len(content) > MAX_DOCUMENT_BYTES:
        megabytes = len(content) / (1024 * 1024)
        return [
            Problem(
                field,
                f"The file has {megabytes:.1f} MB; attach one of at most 10 MB, such as a "
                "picture taken at a lower resolution.",
            )
        ]
    if not content.startswith(MAGIC_BYTES[media_type]):
        return [
            Problem(
                field,
                f"The file's content is not {media_type} although it is labeled so; "
                "attach the original PNG, JPEG or PDF file.",
            )
        ]
    return []


def new_document(
    actor: Actor,
    patient_id: uuid.UUID,
    kind: str,
    *,
    title: str,
    media_type: str,
    content: bytes,
    coverage_id: uuid.UUID | None = None,
) -> PatientDocument:
    """Build a document row with its SHA-256 and byte count (content checked by the caller)."""
    return PatientDocument(
        patient_id=patient_id,
        coverage_id=coverage_id,
        kind=kind,
        title=title.strip(),
        media_type=media_type,
        byte_count=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        updated_by=actor.user_id,
    )


def _document_problems(kind: str, title: str, media_type: str, content: bytes) -> list[Problem]:
    problems = []
    if kind not in DOCUMENT_KINDS:
        problems.append(
            Problem(
                "kind",
                f"Document kind {echo_for_message(kind) or '(blank)'} is not known; choose "
                f"one of {', '.join(DOCUMENT_KINDS)}.",
            )
        )
    if len(title.strip()) > MAX_TITLE_LENGTH:
        problems.append(
            Problem("title", f"The title is longer than {MAX_TITLE_LENGTH} characters; shorten it.")
        )
    problems.extend(content_problems(content, media_type, "content"))
    return problems


def active_patient(session: Session, patient_id: uuid.UUID) -> Patient:
    """Return the patient, or raise NotFoundError when it is missing or archived."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.archived:
        raise NotFoundError(
            f"Patient {patient_id} was not found or is archived. Search for the patient again."
        )
    return patient


def _active_document(session: Session, document_id: uuid.UUID) -> PatientDocument:
    document = session.get(PatientDocument, document_id)
    if document is None or document.archived:
        raise NotFoundError(
            f"Document {document_id} was not found or is archived. Reopen the patient's "
            "documents and choose it again."
        )
    return document


def add_document(  # noqa: PLR0917 (a public signature other modules call positionally)
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    kind: str,
    title: str,
    media_type: str,
    content: bytes,
    coverage_id: uuid.UUID | None = None,
) -> Changes:
    """Store a document for a patient; raises ValidationError listing every problem."""
    require_or_emergency(session, actor, Permission.PATIENT_EDIT, patient_id)
    active_patient(session, patient_id)
    problems = _document_problems(kind, title, media_type, content)
    if problems:
        raise ValidationError(problems)

    document = new_document(
        actor,
        patient_id,
        kind,
        title=title,
        media_type=media_type,
        content=content,
        coverage_id=coverage_id,
    )
    session.add(document)
    session.flush()

    audit.record(
        session, actor, AuditAction.CREATE, OBJECT_TYPE, document.id, patient_id=patient_id
    )
    log.info("stored document %s (%d bytes) for patient %s", document.id, len(content), patient_id)
    return Changes.of(ChangeKind.DOCUMENTS)


def archive_document(session: Session, actor: Actor, document_id: uuid.UUID) -> Changes:
    """Archive a document so lists no longer show it; the bytes stay for the audit trail."""
    document = _active_document(session, document_id)
    require_or_emergency(session, actor, Permission.PATIENT_EDIT, document.patient_id)
    document.archived = True
    document.updated_by = actor.user_id
    session.flush()

    audit.record(
        session,
        actor,
        AuditAction.ARCHIVE,
        OBJECT_TYPE,
        document.id,
        patient_id=document.patient_id,
    )
    log.info("archived document %s", document.id)
    return Changes.of(ChangeKind.DOCUMENTS)


def list_documents(session: Session, actor: Actor, patient_id: uuid.UUID) -> list[DocumentSummary]:
    """Return the patient's documents, newest first, without loading their content."""
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    rows = session.scalars(
        select(PatientDocument)
        .where(PatientDocument.patient_id == patient_id, PatientDocument.archived.is_(False))
        .order_by(PatientDocument.created_at.desc(), PatientDocument.id.desc())
    )
    return [
        DocumentSummary(
            id=row.id,
            patient_id=row.patient_id,
            coverage_id=row.coverage_id,
            kind=row.kind,
            title=row.title,
            media_type=row.media_type,
            byte_count=row.byte_count,
            sha256=row.sha256,
            created_at=row.created_at,
        )
        for row in rows
    ]


def read_document(session: Session, actor: Actor, document_id: uuid.UUID) -> DocumentContent:
    """Return a document's bytes; each read is audited as a view of the patient's record."""
    document = _active_document(session, document_id)
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, document.patient_id)

    audit.record(
        session, actor, AuditAction.VIEW, OBJECT_TYPE, document.id, patient_id=document.patient_id
    )
    return DocumentContent(
        media_type=document.media_type,
        content=document.content,
        kind=document.kind,
        title=document.title,
    )
