"""The file a collection agency receives: one row per placed account.

It contains what the agency needs to reach the guarantor and prove the debt's age: contact
details, date of birth, the amount placed and the key dates, and the patients' names.
It never contains diagnoses, procedure codes or service descriptions, because the agency
needs none of them to collect (HIPAA's minimum-necessary standard). Every cell passes
through `csv_safety.safe_row`, so a name typed as a formula stays text in a spreadsheet.
"""

import csv
import io
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from app.clock import utc_now
from app.csv_safety import safe_row
from app.errors import NotFoundError, UserError
from app.files import write_atomically
from app.models.statements import BillingAccount, CollectionPlacement
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.billing_accounts import account_patient_ids, guarantor_contact
from app.services.collections_facts import (
    guarantor_record,
    last_payment_dates,
    latest_statements,
    newest,
    oldest_written_off_service,
    patient_names,
)

log = logging.getLogger(__name__)

CSV_HEADERS = (
    "Account number",
    "Guarantor name",
    "Address",
    "City",
    "State",
    "ZIP",
    "Phone",
    "Email",
    "Guarantor date of birth",
    "Placed date",
    "Placed amount",
    "Last payment date",
    "Last statement date",
    "Oldest service date",
    "Patients",
)
OBJECT_TYPE = "collection_placement"
PLACED = "placed"


def placement_csv(session: Session, actor: Actor, placement_ids: Sequence[uuid.UUID]) -> str:
    """Return the agency file of the placements as CSV text and mark them exported.

    Dates are ISO 8601 (2026-07-31) and amounts plain decimals (395.00). Each placement's
    export is audited. Raises UserError when a placement is no longer with the agency
    (recalled or paid in full), and NotFoundError for an unknown id.
    """
    require(actor, Permission.PAYMENT_VOID)
    chosen = list(dict.fromkeys(placement_ids))
    placements = [_placement(session, placement_id) for placement_id in chosen]
    closed = [placement for placement in placements if placement.status != PLACED]
    if closed:
        raise UserError(
            f"{len(closed)} of the chosen placements are recalled or paid in full, so they "
            "are not sent to the agency; refresh the list and choose placements that are "
            "with the agency."
        )

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)
    exported_at = utc_now()
    for placement in placements:
        writer.writerow(safe_row(_cells(session, placement)))
        placement.exported_at = exported_at
        placement.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            AuditAction.EXPORT,
            OBJECT_TYPE,
            placement.id,
            detail="agency file",
        )
    session.flush()
    log.info("agency file made with %d placements", len(placements))
    return buffer.getvalue()


def export_placement_csv(
    session: Session, actor: Actor, placement_ids: Sequence[uuid.UUID], path: Path
) -> int:
    """Write the agency file to `path` (complete or absent) and return the row count.

    The file is owner-only on POSIX because it lists guarantors' contact details.
    Raises FileWriteError when `path` cannot be written; the unit of work then rolls
    back, so the placements are not marked exported.
    """
    text = placement_csv(session, actor, placement_ids)

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)

    write_atomically(path, write)
    return len(list(dict.fromkeys(placement_ids)))


def _placement(session: Session, placement_id: uuid.UUID) -> CollectionPlacement:
    placement = session.get(CollectionPlacement, placement_id)
    if placement is None or placement.archived:
        raise NotFoundError(
            f"Collection placement {placement_id} was not found; refresh the list of placements."
        )
    return placement


def _cells(session: Session, placement: CollectionPlacement) -> list[object]:
    """Return one placement's cells in CSV_HEADERS order."""
    account = session.get(BillingAccount, placement.account_id)
    assert account is not None, "a placement's account is never deleted"
    contact = guarantor_contact(session, account)
    record = guarantor_record(session, account)
    street = ""
    city = state = zip_code = ""
    if record is not None:
        street = ", ".join(part for part in (record.address_line1, record.address_line2) if part)
        city, state, zip_code = record.city or "", record.state or "", record.zip_code or ""

    patient_ids = account_patient_ids(session, account.id)
    paid_on = newest(last_payment_dates(session, patient_ids, placement.placed_on), patient_ids)
    statement = latest_statements(session, placement.placed_on, [account.id]).get(account.id)
    oldest = oldest_written_off_service(session, patient_ids, placement.placed_on)
    names = patient_names(session, patient_ids)
    return [
        account.account_number,
        contact.name,
        street,
        city,
        state,
        zip_code,
        contact.phone or "",
        contact.email or "",
        contact.date_of_birth.isoformat() if contact.date_of_birth else "",
        placement.placed_on.isoformat(),
        f"{placement.placed_amount:.2f}",
        paid_on.isoformat() if paid_on else "",
        statement.statement_date.isoformat() if statement else "",
        oldest.isoformat() if oldest else "",
        "; ".join(sorted(names[patient_id] for patient_id in patient_ids if patient_id in names)),
    ]
