"""Claim batches: one 837P file per clearinghouse, saved to a folder or uploaded by SFTP.

A batch keeps the exact text of its file and the control numbers that the 999 and
277CA responses quote back. Its claims stay READY until the file has left: a file
written to the outbox, or an upload renamed into place on the server, is what moves
each claim to SUBMITTED. A failed write or upload marks nothing.
"""

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import FileWriteError, NotFoundError, UserError
from app.files import write_atomically
from app.models.claims import (
    Claim,
    ClaimBatch,
    ClaimBatchItem,
    ClaimFinding,
    ClaimLine,
    Clearinghouse,
    X12Response,
)
from app.models.practice import Payer
from app.problems import Problem, Severity
from app.progress import Progress
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import clearinghouses
from app.services.claim_documents import claim_documents, submitter_for
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event, status_label
from app.services.encounter_records import reversed_line_ids
from app.services.file_imports import import_in_savepoint
from app.services.numbering import next_number
from app.services.scheduling_settings import practice_now
from app.services.x12_control import format_control_number, next_interchange_number
from app.services.x12_responses import ResponseImport, import_response
from app.sftp import DownloadedFile, RemoteFile, SftpTarget, list_and_download, upload_file
from app.x12.claim_data import Submitter
from app.x12.envelope import X12WriteError
from app.x12.segments import decode_x12_bytes
from app.x12.writer_837p import Written837, envelope_header, write_837p

__all__ = [
    "BatchResult",
    "BatchStatus",
    "create_batches",
    "export_batch",
    "fetch_responses",
    "upload_batch",
]

log = logging.getLogger(__name__)

OBJECT_TYPE = "claim_batch"
BATCH_NUMBER_KIND = "claim_batch"
# The finding on a claim whose 837P cannot be written, and the field it opens.
WRITE_RULE = "x12.write"
WRITE_FIELD = "claim.claim_number"
WHY_UNWRITABLE = (
    "The claim's data cannot be written as a valid 837P, and clearinghouses reject a "
    "file with an invalid claim, so it was left out of the file until it is corrected."
)


class BatchStatus(StrEnum):
    """The state of a claim file: created, saved to a folder, uploaded, or acknowledged by a 999."""

    CREATED = "created"
    EXPORTED = "exported"
    UPLOADED = "uploaded"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The batches created, and each claim left out with the reason."""

    batch_ids: list[uuid.UUID]
    problems: list[Problem]
    changes: Changes


# ---- creating batches ---------------------------------------------------------------------


def create_batches(
    session: Session, actor: Actor, claim_ids: Sequence[uuid.UUID] | None = None
) -> BatchResult:
    """Write one 837P batch per clearinghouse from the READY claims.

    With `claim_ids`, only those of them that are READY. Claims already in a batch that
    was never sent, and claims whose payer has no clearinghouse, are left out with a
    Problem each. The claims stay READY until the batch is exported or uploaded.
    """
    require(actor, Permission.CLAIM_MANAGE)
    claims, problems = _batchable_claims(session, claim_ids)
    groups, unrouted = _group_by_clearinghouse(session, claims)
    problems.extend(unrouted)

    batch_ids = []
    held_any = False
    for clearinghouse, group in groups:
        try:
            batch, held_problems = _write_batch(session, actor, clearinghouse, group)
        except X12WriteError as error:
            # The settings or the practice's address need fixing; other groups go on.
            log.warning("batch for clearinghouse %s not written: %s", clearinghouse.id, error)
            problems.append(Problem("claim_file", str(error)))
            continue
        problems.extend(held_problems)
        held_any = held_any or bool(held_problems)
        if batch is not None:
            batch_ids.append(batch.id)

    log.info("created %d claim batches, %d problems", len(batch_ids), len(problems))
    changes = Changes.of(ChangeKind.CLAIMS) if batch_ids or held_any else Changes()
    return BatchResult(batch_ids, problems, changes)


def _batchable_claims(
    session: Session, claim_ids: Sequence[uuid.UUID] | None
) -> tuple[list[Claim], list[Problem]]:
    query = select(Claim).where(Claim.archived.is_(False))
    if claim_ids is None:
        query = query.where(Claim.status == ClaimStatus.READY.value)
    else:
        query = query.where(Claim.id.in_(claim_ids))
    found = list(session.scalars(query.order_by(Claim.claim_number)))

    problems = []
    waiting = _claims_in_unsent_batches(session, [claim.id for claim in found])
    reversed_lines = _reversed_line_numbers(session, [claim.id for claim in found])
    batchable = []
    for claim in found:
        if claim.status != ClaimStatus.READY.value:
            label = status_label(claim.status)
            problems.append(
                Problem(
                    "claim.status",
                    f"Claim {claim.claim_number} is {label}, not Ready to send, so it was left "
                    "out. Check it again to make it ready.",
                    Severity.WARNING,
                )
            )
        elif claim.id in waiting:
            problems.append(
                Problem(
                    "claim.batch",
                    f"Claim {claim.claim_number} is already in claim file {waiting[claim.id]}, "
                    "which was not sent yet. Save or upload that file instead.",
                    Severity.WARNING,
                )
            )
        elif claim.id in reversed_lines:
            problems.append(
                Problem(
                    "claim.lines",
                    f"Claim {claim.claim_number} was left out: the charge of line "
                    f"{reversed_lines[claim.id]} was reversed after the claim was checked. "
                    "Check the claim again, then rebuild it from the current charges.",
                    Severity.WARNING,
                )
            )
        else:
            batchable.append(claim)
    return batchable, problems


def _reversed_line_numbers(session: Session, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Map each claim that bills a reversed charge to the first such line's number."""
    if not claim_ids:
        return {}
    query = (
        select(ClaimLine.claim_id, ClaimLine.line_number, ClaimLine.charge_line_id)
        .where(ClaimLine.claim_id.in_(claim_ids), ClaimLine.archived.is_(False))
        .order_by(ClaimLine.line_number)
    )
    rows = session.execute(query).all()
    reversed_ids = reversed_line_ids(session, [row.charge_line_id for row in rows])
    found: dict[uuid.UUID, int] = {}
    for claim_id, line_number, charge_line_id in rows:
        if charge_line_id in reversed_ids:
            found.setdefault(claim_id, line_number)
    return found


def _claims_in_unsent_batches(session: Session, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Map each claim that sits in a created, never-sent batch to that batch's number."""
    if not claim_ids:
        return {}
    query = (
        select(ClaimBatchItem.claim_id, ClaimBatch.batch_number)
        .join(ClaimBatch, ClaimBatch.id == ClaimBatchItem.batch_id)
        .where(
            ClaimBatchItem.claim_id.in_(claim_ids),
            ClaimBatch.status == BatchStatus.CREATED.value,
            ClaimBatch.archived.is_(False),
        )
    )
    return dict(session.execute(query).all())


def _group_by_clearinghouse(
    session: Session, claims: list[Claim]
) -> tuple[list[tuple[Clearinghouse, list[Claim]]], list[Problem]]:
    by_payer: dict[uuid.UUID, Clearinghouse | None] = {}
    groups: dict[uuid.UUID, list[Claim]] = defaultdict(list)
    found: dict[uuid.UUID, Clearinghouse] = {}
    problems = []
    for claim in claims:
        if claim.payer_id not in by_payer:
            by_payer[claim.payer_id] = clearinghouses.clearinghouse_for_payer(
                session, claim.payer_id
            )
        clearinghouse = by_payer[claim.payer_id]
        if clearinghouse is None:
            problems.append(_no_clearinghouse(session, claim))
            continue
        found[clearinghouse.id] = clearinghouse
        groups[clearinghouse.id].append(claim)

    ordered = sorted(found.values(), key=lambda clearinghouse: clearinghouse.name.lower())
    return [(clearinghouse, groups[clearinghouse.id]) for clearinghouse in ordered], problems


def _no_clearinghouse(session: Session, claim: Claim) -> Problem:
    payer = session.get(Payer, claim.payer_id)
    payer_name = payer.name if payer is not None else "its payer"
    return Problem(
        "payer.clearinghouse",
        f"Claim {claim.claim_number} was left out: {payer_name} has no clearinghouse. "
        "Choose one for the payer on Admin > Payers, or print the claim on a CMS-1500.",
    )


def _write_batch(
    session: Session, actor: Actor, clearinghouse: Clearinghouse, claims: list[Claim]
) -> tuple[ClaimBatch | None, list[Problem]]:
    """Write one batch of the claims, leaving out and holding each claim that cannot be written.

    Returns None for the batch when no claim could be written. Raises X12WriteError when
    the clearinghouse settings do not fit the envelope, because then no claim can be sent.
    """
    documents = claim_documents(session, [claim.id for claim in claims])
    submitter = submitter_for(session, clearinghouse.id)
    interchange = next_interchange_number(session)
    created_at = practice_now(session)

    def write(batch_claims: list[Claim]) -> Written837:
        return write_837p(
            submitter,
            [documents[claim.id] for claim in batch_claims],
            interchange_number=interchange,
            group_number=interchange,
            created_at=created_at,
        )

    try:
        written = write(claims)
    except X12WriteError:
        # Writing the claims one by one finds the ones at fault; the others still go out.
        _check_envelope(submitter, interchange, created_at)
        unwritable = _unwritable_claims(claims, write)
        problems = _hold_unwritable(session, actor, unwritable)
        claims = [claim for claim in claims if claim.id not in unwritable]
        if not claims:
            return None, problems
        written = write(claims)
    else:
        problems = []

    batch_number = next_number(session, BATCH_NUMBER_KIND)
    control = format_control_number(interchange)
    file_name = clearinghouses.format_file_name(
        clearinghouse.file_name_pattern,
        batch=batch_number,
        date=created_at.strftime("%Y%m%d"),
        control=control,
    )
    batch = ClaimBatch(
        batch_number=batch_number,
        clearinghouse_id=clearinghouse.id,
        interchange_control_number=control,
        # The group number repeats the interchange number, which keeps it unique too.
        group_control_number=str(interchange),
        usage_indicator=clearinghouse.usage_indicator,
        file_name=file_name,
        content=written.text,
        sha256=hashlib.sha256(written.text.encode("utf-8")).hexdigest(),
        claim_count=len(claims),
        total_charge=sum((claim.total_charge for claim in claims), Decimal("0")),
        status=BatchStatus.CREATED.value,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(batch)
    session.flush()

    for claim in claims:
        session.add(
            ClaimBatchItem(
                batch_id=batch.id,
                claim_id=claim.id,
                transaction_control_number=written.transaction_numbers[claim.claim_number],
                updated_by=actor.user_id,
            )
        )
        claim.clearinghouse_id = clearinghouse.id
    session.flush()

    detail = f"{len(claims)} claims, interchange {control}, clearinghouse {clearinghouse.id}"
    audit.record(session, actor, AuditAction.CREATE, OBJECT_TYPE, batch.id, detail=detail)
    return batch, problems


def _check_envelope(submitter: Submitter, interchange: int, created_at: datetime) -> None:
    """Raise X12WriteError when the clearinghouse settings cannot go into the 837P envelope."""
    envelope_header(
        submitter, interchange_number=interchange, group_number=interchange, created_at=created_at
    )


def _unwritable_claims(
    claims: list[Claim], write: Callable[[list[Claim]], Written837]
) -> dict[uuid.UUID, X12WriteError]:
    """Write each claim alone and return the error of each claim that fails, by claim id."""
    errors: dict[uuid.UUID, X12WriteError] = {}
    for claim in claims:
        try:
            write([claim])
        except X12WriteError as error:
            errors[claim.id] = error
    return errors


def _hold_unwritable(
    session: Session, actor: Actor, errors: dict[uuid.UUID, X12WriteError]
) -> list[Problem]:
    """Put each claim on hold with an x12.write finding and a NOTE event; return the problems.

    The next scrub replaces the finding like any other, so a claim whose data is still
    wrong returns here on the next batch.
    """
    problems = []
    for claim_id, error in errors.items():
        claim = session.get(Claim, claim_id)
        assert claim is not None  # loaded by _batchable_claims in this unit of work
        message = f"{error} The claim was left out of the claim file and put on hold."
        session.add(
            ClaimFinding(
                claim_id=claim.id,
                rule=WRITE_RULE,
                severity=Severity.ERROR.value,
                message=str(error),
                why=WHY_UNWRITABLE,
                # NOTE: X12WriteError does not name the field, so the finding points at
                # the claim; its message names the record to correct.
                field=WRITE_FIELD,
                record_id=claim.id,
                updated_by=actor.user_id,
            )
        )
        record_event(
            session,
            claim,
            ClaimEventKind.NOTE,
            user_id=actor.user_id,
            status=ClaimStatus.HOLD,
            detail=message,
        )
        log.warning("claim %s left out of its claim file: its 837P cannot be written", claim.id)
        problems.append(Problem(WRITE_FIELD, message))
    return problems


# ---- sending batches ----------------------------------------------------------------------


def export_batch(
    session: Session,
    actor: Actor,
    batch_id: uuid.UUID,
    folder: Path | None = None,
    *,
    resend: bool = False,
) -> Path:
    """Save the batch's file in `folder` (default: the clearinghouse's outbox folder).

    Marks the batch exported and each claim SUBMITTED with an EXPORTED event, and
    returns the file's path. Raises UserError when no folder is set or known, when the
    batch was sent before and `resend` is False, or when the file cannot be written
    (then nothing is marked).
    """
    require(actor, Permission.CLAIM_MANAGE)
    batch = get_batch(session, batch_id)
    clearinghouse = clearinghouses.get_clearinghouse(session, batch.clearinghouse_id)
    _check_sendable(session, batch, resend)

    target_folder = folder if folder is not None else _outbox(clearinghouse)
    path = target_folder / batch.file_name
    content = batch.content.encode("utf-8")

    def write(temporary: Path) -> None:
        temporary.write_bytes(content)

    try:
        write_atomically(path, write)
    except FileWriteError as error:
        raise FileWriteError(f"{error} Nothing was marked as sent.") from error

    _mark_sent(session, actor, batch, BatchStatus.EXPORTED, str(path))
    audit.record(
        session, actor, AuditAction.EXPORT, OBJECT_TYPE, batch.id, detail=f"saved as {path}"
    )
    log.info("exported batch %s (%d claims)", batch.id, batch.claim_count)
    return path


def upload_batch(
    session: Session,
    actor: Actor,
    batch_id: uuid.UUID,
    *,
    resend: bool = False,
    progress: Progress | None = None,
) -> Changes:
    """Upload the batch's file to the clearinghouse's SFTP upload folder.

    The claims become SUBMITTED, with a SENT event, only after the file was renamed
    into place on the server. Raises UserError (an SftpError for connection failures)
    when SFTP is not set up, when the batch was sent before and `resend` is False, or
    when the upload fails. Then nothing is marked.
    """
    require(actor, Permission.CLAIM_MANAGE)
    batch = get_batch(session, batch_id)
    clearinghouse = clearinghouses.get_clearinghouse(session, batch.clearinghouse_id)
    _check_sendable(session, batch, resend)
    target = sftp_target(clearinghouse)

    if progress is not None:
        # The last chance to cancel: once the file is on the server it must be marked.
        progress.report(0, 1, f"Uploading {batch.file_name} to {target.address}")
    try:
        remote_path = upload_file(
            target, clearinghouse.upload_folder, batch.file_name, batch.content.encode("utf-8")
        )
    except UserError as error:
        # The unit of work rolls back, so the failed attempt is audited after it.
        log.warning("upload of batch %s failed", batch.id)
        error.audit_after_rollback = _failed_upload_audit(actor, batch.id, error)
        raise

    sent_to = f"sftp://{target.address}/{remote_path}"
    _mark_sent(session, actor, batch, BatchStatus.UPLOADED, sent_to)
    detail = f"uploaded to {sent_to}, send {batch.send_count}"
    audit.record(session, actor, AuditAction.SUBMIT, OBJECT_TYPE, batch.id, detail=detail)
    log.info("uploaded batch %s (%d claims)", batch.id, batch.claim_count)
    return Changes.of(ChangeKind.CLAIMS)


def _failed_upload_audit(
    actor: Actor, batch_id: uuid.UUID, error: UserError
) -> Callable[[Session], object]:
    detail = f"upload failed: {type(error).__name__}"

    def record(session: Session) -> object:
        return audit.record(
            session,
            actor,
            AuditAction.SUBMIT,
            OBJECT_TYPE,
            batch_id,
            outcome=audit.Outcome.FAILURE,
            detail=detail,
        )

    return record


def get_batch(session: Session, batch_id: uuid.UUID) -> ClaimBatch:
    """Return the batch row; raises NotFoundError for an unknown id."""
    batch = session.get(ClaimBatch, batch_id)
    if batch is None or batch.archived:
        raise NotFoundError(f"Claim file {batch_id} was not found. Refresh the list and try again.")
    return batch


def sftp_target(clearinghouse: Clearinghouse) -> SftpTarget:
    """Return how to reach the clearinghouse's SFTP server, with the keyring's password.

    Raises UserError naming the missing settings when SFTP is not set up.
    """
    host = clearinghouse.sftp_host or ""
    username = clearinghouse.sftp_username or ""
    host_key = clearinghouse.sftp_host_key or ""
    settings = (("host", host), ("user name", username), ("host key", host_key))
    missing = [label for label, value in settings if not value]
    if missing:
        raise UserError(
            f"SFTP is not set up for {clearinghouse.name}: the {', '.join(missing)} "
            "is missing. Enter it in Admin > Clearinghouses, or save the file to a folder "
            "and upload it by hand."
        )
    return SftpTarget(
        host=host,
        port=clearinghouse.sftp_port,
        username=username,
        password=clearinghouses.clearinghouse_password(clearinghouse.id),
        host_key=host_key,
    )


def _outbox(clearinghouse: Clearinghouse) -> Path:
    if not clearinghouse.outbox_folder:
        raise UserError(
            f"No outbox folder is set for {clearinghouse.name}. Choose a folder, or set "
            "one in Admin > Clearinghouses."
        )
    return Path(clearinghouse.outbox_folder)


def _check_sendable(session: Session, batch: ClaimBatch, resend: bool) -> None:
    """Raise UserError when the batch was sent before (unless resending) or a claim moved on."""
    if batch.send_count > 0 and not resend:
        when = f"{batch.sent_at.date():%m/%d/%Y}" if batch.sent_at is not None else "earlier"
        raise UserError(
            f"Claim file {batch.batch_number} was already sent on {when} to "
            f"{batch.sent_to}. Sending it again can make the payer see the claims twice; "
            "send it again only when the clearinghouse confirms they did not receive it."
        )
    if resend:
        return

    not_ready = [
        claim.claim_number
        for claim in _batch_claims(session, batch)
        if claim.status != ClaimStatus.READY.value
    ]
    if not_ready:
        raise UserError(
            f"Claim file {batch.batch_number} cannot be sent: claims {', '.join(not_ready)} "
            "are no longer Ready to send. Create a new claim file from the ready claims."
        )


def _batch_claims(session: Session, batch: ClaimBatch) -> list[Claim]:
    query = (
        select(Claim)
        .join(ClaimBatchItem, ClaimBatchItem.claim_id == Claim.id)
        .where(ClaimBatchItem.batch_id == batch.id)
        .order_by(Claim.claim_number)
    )
    return list(session.scalars(query))


def _mark_sent(
    session: Session, actor: Actor, batch: ClaimBatch, status: BatchStatus, sent_to: str
) -> None:
    now = utc_now()
    batch.status = status.value
    batch.sent_at = now
    batch.sent_by = actor.user_id
    batch.sent_to = sent_to
    batch.send_count += 1
    batch.updated_by = actor.user_id

    kind = ClaimEventKind.EXPORTED if status is BatchStatus.EXPORTED else ClaimEventKind.SENT
    detail = f"In claim file {batch.batch_number}, sent to {sent_to}"
    for claim in _batch_claims(session, batch):
        # A resent file keeps the status of claims that a response has moved on since.
        moves = claim.status in (ClaimStatus.READY.value, ClaimStatus.SUBMITTED.value)
        new_status = ClaimStatus.SUBMITTED if moves else None
        record_event(
            session,
            claim,
            kind,
            user_id=actor.user_id,
            status=new_status,
            detail=detail,
            batch_id=batch.id,
        )
        claim.sent_at = now
    session.flush()


# ---- fetching responses -------------------------------------------------------------------


def fetch_responses(
    session: Session, actor: Actor, clearinghouse_id: uuid.UUID
) -> list[ResponseImport]:
    """Download the new files in the clearinghouse's download folder and import each one.

    A file is skipped when a response of the same name and size, or the same SHA-256,
    was imported before. Each file is imported in a savepoint of its own, so a bad file
    is returned with its error and the others still import. Raises SftpError when the
    connection or a download fails.
    """
    require(actor, Permission.CLAIM_MANAGE)
    clearinghouse = clearinghouses.get_clearinghouse(session, clearinghouse_id)
    target = sftp_target(clearinghouse)
    downloaded = list_and_download(
        target, clearinghouse.download_folder, lambda listing: _not_imported(session, listing)
    )

    results = []
    for file in downloaded:
        result = _import_downloaded(session, actor, file)
        if result is not None:
            results.append(result)

    failed = sum(1 for result in results if result.error is not None)
    log.info("fetched %d response files, %d failed", len(results), failed)
    return results


def _not_imported(session: Session, listing: list[RemoteFile]) -> list[RemoteFile]:
    """Return the files whose name and size match no imported response."""
    names = [remote.name for remote in listing]
    known: set[tuple[str, int]] = set()
    for start in range(0, len(names), _LOOKUP_CHUNK):
        chunk = names[start : start + _LOOKUP_CHUNK]
        query = select(X12Response.file_name, X12Response.content).where(
            X12Response.file_name.in_(chunk)
        )
        known.update(
            (name, len(content.encode("utf-8"))) for name, content in session.execute(query)
        )
    return [remote for remote in listing if (remote.name, remote.size) not in known]


# SQLite allows 32,766 bound parameters since 3.32; chunks stay far below that.
_LOOKUP_CHUNK = 500


def _import_downloaded(
    session: Session, actor: Actor, file: DownloadedFile
) -> ResponseImport | None:
    """Import one file in a savepoint; None when the same text was imported before."""
    return import_in_savepoint(
        session,
        file.name,
        lambda: import_response(session, actor, decode_x12_bytes(file.content), file.name),
        ResponseImport.failed,
        "response",
    )
