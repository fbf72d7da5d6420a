"""Printing claims on CMS-1500 forms, the alignment page, and the printer offsets.

Printed claims go to a PDF that the user sends to the printer. In "data" mode the PDF
contains only the data, for purchased red forms. In "form" mode it draws the form too,
for plain-paper copies. Each print is audited per claim and recorded in the claim's
history as a PRINTED event, without changing the claim's status.
"""

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, ValidationError
from app.models.claims import Claim
from app.models.system import Setting
from app.pdf.cms1500 import MAX_OFFSET_MM, MODES, render_alignment_page, render_cms1500
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import chunks
from app.services.claim_documents import claim_documents
from app.services.claim_status import ClaimEventKind, record_event
from app.services.settings import store_setting

log = logging.getLogger(__name__)

OFFSET_X_KEY = "claims.cms1500_offset_x_mm"
OFFSET_Y_KEY = "claims.cms1500_offset_y_mm"


def print_claims(
    session: Session,
    actor: Actor,
    claim_ids: Sequence[uuid.UUID],
    path: Path,
    *,
    mode: str = "form",
) -> int:
    """Write the claims to the PDF `path` as CMS-1500 forms and return the page count.

    The stored printer offsets move the print. The file is written atomically before
    anything is recorded, so a failed write leaves no PRINTED event. Raises
    NotFoundError for an unknown claim id, Cms1500Error for a claim value that does not
    fit the form, and FileWriteError when `path` cannot be written.
    """
    require(actor, Permission.CLAIM_MANAGE)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    ordered = list(dict.fromkeys(claim_ids))
    claims = _load_claims(session, ordered)
    documents = claim_documents(session, ordered)
    missing = [claim_id for claim_id in ordered if claim_id not in documents]
    if missing:
        raise NotFoundError(f"Claim {missing[0]} was not found. Refresh the claim list.")

    offset_x_mm, offset_y_mm = get_print_offsets(session)
    pages = render_cms1500(
        [documents[claim_id] for claim_id in ordered],
        path,
        mode=mode,
        offset_x_mm=offset_x_mm,
        offset_y_mm=offset_y_mm,
    )

    detail = f"CMS-1500 PDF, {mode} mode"
    for claim in claims:
        record_event(session, claim, ClaimEventKind.PRINTED, user_id=actor.user_id, detail=detail)
        audit.record(
            session,
            actor,
            AuditAction.PRINT,
            "claim",
            claim.id,
            patient_id=claim.patient_id,
            detail=detail,
        )
    session.flush()
    log.info("printed %d claims on %d CMS-1500 pages in %s mode", len(claims), pages, mode)
    return pages


def print_alignment_page(session: Session, actor: Actor, path: Path) -> None:
    """Write the alignment page to the PDF `path`, moved by the stored printer offsets.

    The page carries no patient data, so it is logged but not audited.
    """
    require(actor, Permission.CLAIM_MANAGE)
    offset_x_mm, offset_y_mm = get_print_offsets(session)
    render_alignment_page(path, offset_x_mm=offset_x_mm, offset_y_mm=offset_y_mm)
    log.info("CMS-1500 alignment page printed at offsets %s, %s mm", offset_x_mm, offset_y_mm)


def get_print_offsets(session: Session) -> tuple[float, float]:
    """Return the stored (x, y) printer offsets in millimeters, right and down positive.

    A missing or invalid stored value reads as 0.
    """
    query = select(Setting.key, Setting.value).where(Setting.key.in_((OFFSET_X_KEY, OFFSET_Y_KEY)))
    stored: dict[str, object] = dict(session.execute(query).all())
    return _stored_offset(stored, OFFSET_X_KEY), _stored_offset(stored, OFFSET_Y_KEY)


def set_print_offsets(session: Session, actor: Actor, x_mm: float, y_mm: float) -> Changes:
    """Store the printer offsets in millimeters, each from -10 to 10, to 0.1 mm.

    Billers calibrate their own printers, so CLAIM_MANAGE is enough. Raises
    ValidationError naming each offset outside the range.
    """
    require(actor, Permission.CLAIM_MANAGE)
    problems = [
        Problem(
            name,
            f"The {label} offset {value:g} mm is outside -10 to 10 mm; measure it again "
            "on the alignment page.",
        )
        for name, label, value in (("x_mm", "horizontal", x_mm), ("y_mm", "vertical", y_mm))
        if not -MAX_OFFSET_MM <= value <= MAX_OFFSET_MM
    ]
    if problems:
        raise ValidationError(problems)

    rounded = (round(float(x_mm), 1), round(float(y_mm), 1))
    if get_print_offsets(session) == rounded:
        return Changes()
    store_setting(session, actor, OFFSET_X_KEY, rounded[0])
    store_setting(session, actor, OFFSET_Y_KEY, rounded[1])
    log.info("CMS-1500 printer offsets set to %s, %s mm", x_mm, y_mm)
    return Changes.of(ChangeKind.SETTINGS)


def _stored_offset(stored: dict[str, object], key: str) -> float:
    value = stored.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        log.error("stored setting %s is not a number, so claims print with offset 0", key)
        return 0.0
    if not -MAX_OFFSET_MM <= value <= MAX_OFFSET_MM:
        log.error("stored setting %s is outside -10 to 10 mm, so claims print with offset 0", key)
        return 0.0
    return float(value)


def _load_claims(session: Session, claim_ids: list[uuid.UUID]) -> list[Claim]:
    """Return the claims in the order of `claim_ids`."""
    found: dict[uuid.UUID, Claim] = {}
    for chunk in chunks(claim_ids):
        found.update(
            (claim.id, claim) for claim in session.scalars(select(Claim).where(Claim.id.in_(chunk)))
        )
    return [found[claim_id] for claim_id in claim_ids if claim_id in found]
