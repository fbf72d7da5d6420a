"""Importing clearinghouse responses: 999 and 277CA acknowledgments update claim statuses.

A 999 is matched to a claim batch by its AK1 group control number (our GS06) and to
the claims by each AK2 transaction control number (our ST02). A rejected transaction
set rejects every claim in it. A 277CA names each claim by its TRN02, which is our
claim number (CLM01). Each file is stored once, by the SHA-256 of its segments, so importing
the same file twice changes nothing. Responses change the status only of claims that are
sent, accepted or rejected. Any other claim gets the event without a new status, so a
late acknowledgment never undoes a payment.
"""

import hashlib
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import UserError
from app.models.claims import Claim, ClaimBatch, ClaimBatchItem, X12Response
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
from app.services.rejection_findings import add_rejection_finding
from app.services.today import practice_today
from app.x12.ack_277ca import ClaimAck, StatusCode, read_277ca
from app.x12.ack_999 import FunctionalAck, SetAck, read_999
from app.x12.kinds import detect_kind
from app.x12.segment_split import SplitFile
from app.x12.segments import parse_segments

log = logging.getLogger(__name__)

OBJECT_TYPE = "x12_response"
# Statuses a response may change: claims sent and not yet settled by a payment or a fix.
WAITING_STATUSES = frozenset(
    {ClaimStatus.SUBMITTED.value, ClaimStatus.ACCEPTED.value, ClaimStatus.REJECTED.value}
)
_BATCH_ACCEPTED = "accepted"
_BATCH_REJECTED = "rejected"

# Files that other parts of ClinicDesk read, or that are not responses at all.
_NOT_HERE = {
    "271": "is a 271 eligibility response. Eligibility responses are read by the "
    "eligibility check, not here.",
    "270": "is a 270 eligibility request, not a response to a claim file.",
    "837P": "is a claim file (837P) that was sent, not a response to one.",
    "277": "is a 277 claim status response. ClinicDesk reads only the 277CA claim "
    "acknowledgment; check the claim's status on the payer's portal.",
}


class AlreadyImportedError(UserError):
    """The same file (by SHA-256) was imported before; nothing was changed."""


@dataclass(frozen=True, slots=True)
class ResponseImport:
    """The outcome of one file: the claims it changed, or why it could not be imported.

    `error` is None for an imported file. A fetch returns a failed file with its error,
    so one bad file never hides what the others changed.
    """

    kind: str
    file_name: str
    summary: str
    accepted: int = 0
    rejected: int = 0
    unmatched: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    error: str | None = None
    response_id: uuid.UUID | None = None

    @classmethod
    def failed(cls, file_name: str, error: str, kind: str = "") -> "ResponseImport":
        """Build the result of a file that could not be imported."""
        return cls(kind=kind, file_name=file_name, summary=error, error=error)


@dataclass(slots=True)
class _Tally:
    accepted: int = 0
    rejected: int = 0
    unmatched: list[str] = field(default_factory=list)
    batch_numbers: list[str] = field(default_factory=list)


def import_response(session: Session, actor: Actor, text: str, file_name: str) -> ResponseImport:
    """Read a 999 or 277CA file, update the claims it acknowledges and store the file.

    Raises AlreadyImportedError for a file imported before, X12FormatError for a file
    that is not valid X12, and UserError for kinds read elsewhere (835, 271) or not at all.
    """
    require(actor, Permission.CLAIM_MANAGE)
    digest = response_digest(text)
    _check_not_imported(session, {digest, _text_digest(text)}, file_name)
    kind = detect_kind(text)
    if kind == "835":
        return _import_remittance_file(session, actor, text, file_name)
    if kind in _NOT_HERE:
        raise UserError(f"{file_name} {_NOT_HERE[kind]}")

    response = _store(session, actor, kind=kind, file_name=file_name, text=text, digest=digest)
    tally = _Tally()
    if kind == "999":
        _apply_999(session, response, read_999(text), tally)
    elif kind == "277CA":
        _apply_277ca(session, response, read_277ca(text), tally)
    else:
        _apply_ta1(session, response, text, tally)

    response.summary = _summary(kind, tally)
    session.flush()
    detail = (
        f"{kind}: {tally.accepted} accepted, {tally.rejected} rejected, "
        f"{len(tally.unmatched)} unmatched"
    )
    audit.record(session, actor, AuditAction.IMPORT, OBJECT_TYPE, response.id, detail=detail)
    log.info("imported %s response %s (%s)", kind, response.id, detail)
    return ResponseImport(
        kind=kind,
        file_name=file_name,
        summary=response.summary,
        accepted=tally.accepted,
        rejected=tally.rejected,
        unmatched=tally.unmatched,
        changes=Changes.of(ChangeKind.CLAIMS),
        response_id=response.id,
    )


def _import_remittance_file(
    session: Session, actor: Actor, text: str, file_name: str
) -> ResponseImport:
    """Hand an 835 to the remittance import and report it as a response file."""
    # Imported here because the remittance import uses this module's digest and error.
    from app.services.era_import import import_835

    result = import_835(session, actor, text, file_name)
    counts = (
        f"835: {result.claims} claim payments, {result.posted} posted, {result.review} to "
        f"review, {result.unapplied} unapplied."
    )
    return ResponseImport(
        kind="835",
        file_name=file_name,
        summary=" ".join((counts, *result.messages)),
        accepted=result.posted,
        changes=result.changes,
        response_id=result.response_id,
    )


def response_digest(text: str) -> str:
    """Return the SHA-256 (hex) of the file's segments, the key a file imports once by.

    The segments are hashed rather than the text, so a copy of the file with other line
    endings, a byte order mark or lines wrapped at another width has the same digest.
    Raises X12FormatError for text that is not X12.
    """
    _, segments = parse_segments(text)
    return _segments_digest(segment.elements for segment in segments)


def split_digest(text: str, split: SplitFile) -> str:
    """Return `response_digest(text)` from the segments `split_segments(text)` returned.

    A reader that splits the file anyway saves splitting it a second time. The fast path
    of `split_segments` strips spaces and tabs at the end of a segment, which
    `parse_segments` keeps, so a file with a space or tab before a segment terminator is
    parsed again by `response_digest`.
    """
    terminators = {delimiters.segment for delimiters in split.delimiters.values()}
    for terminator in terminators:
        if re.search(rf"[ \t][ \t\r\n]*{re.escape(terminator)}", text):
            return response_digest(text)
    return _segments_digest(split.elements)


def _segments_digest(segments: Iterable[list[str]]) -> str:
    canonical = "~".join("*".join(elements) for elements in segments)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text_digest(text: str) -> str:
    # Files imported before digests were taken over segments are stored under this one.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_not_imported(session: Session, digests: set[str], file_name: str) -> None:
    query = select(X12Response).where(X12Response.sha256.in_(digests))
    earlier = session.scalars(query).first()
    if earlier is None:
        return
    when = f"{earlier.received_at.date():%m/%d/%Y}"
    same_name = "" if earlier.file_name == file_name else f" as {earlier.file_name}"
    raise AlreadyImportedError(
        f"{file_name} was already imported on {when}{same_name}, so nothing was changed. "
        "Open the claims to see what it did."
    )


def _store(
    session: Session, actor: Actor, *, kind: str, file_name: str, text: str, digest: str
) -> X12Response:
    _, segments = parse_segments(text)
    response = X12Response(
        kind=kind,
        file_name=file_name,
        sha256=digest,
        interchange_control_number=segments[0].element(13).strip() or None,
        received_at=utc_now(),
        received_by=actor.user_id,
        summary="",
        content=text,
        updated_by=actor.user_id,
    )
    session.add(response)
    session.flush()
    return response


def _summary(kind: str, tally: _Tally) -> str:
    batches = f" for claim file {', '.join(tally.batch_numbers)}" if tally.batch_numbers else ""
    text = f"{kind}{batches}: {tally.accepted} accepted, {tally.rejected} rejected."
    if tally.unmatched:
        text += f" Not found in ClinicDesk: {', '.join(tally.unmatched)}."
    return text


# ---- 999 ----------------------------------------------------------------------------------


def _apply_999(
    session: Session, response: X12Response, acks: list[FunctionalAck], tally: _Tally
) -> None:
    for ack in acks:
        batch = _batch_for_group(session, ack.group_control_number)
        if batch is None:
            tally.unmatched.append(f"group {ack.group_control_number}")
            continue
        tally.batch_numbers.append(batch.batch_number)

        items = _items_by_transaction(session, batch)
        verdicts = _set_verdicts(ack, items)
        for set_ack in verdicts:
            claims = items.get(_number_key(set_ack.transaction_control_number))
            if claims is None:
                tally.unmatched.append(
                    f"transaction {set_ack.transaction_control_number} of group "
                    f"{ack.group_control_number}"
                )
                continue
            for claim in claims:
                _apply_set_ack(session, response, batch, claim, set_ack=set_ack, tally=tally)
        _update_batch_status(batch, ack, verdicts)


def _set_verdicts(ack: FunctionalAck, items: dict[str, list[Claim]]) -> list[SetAck]:
    """Return the per-set verdicts; a group verdict with no AK2 applies to every set."""
    if ack.sets:
        return list(ack.sets)
    accepted = ack.code in ("A", "E")
    return [SetAck(number, ack.code, accepted, ack.problems) for number in items]


def _apply_set_ack(
    session: Session,
    response: X12Response,
    batch: ClaimBatch,
    claim: Claim,
    *,
    set_ack: SetAck,
    tally: _Tally,
) -> None:
    if set_ack.accepted:
        tally.accepted += 1
        detail = f"The clearinghouse accepted claim file {batch.batch_number} (999 {set_ack.code})."
        if set_ack.problems:
            detail += " Warnings: " + " ".join(set_ack.problems)
        record_event(
            session,
            claim,
            ClaimEventKind.ACKNOWLEDGED,
            user_id=None,
            detail=detail,
            batch_id=batch.id,
            response_id=response.id,
        )
        return

    tally.rejected += 1
    reasons = " ".join(set_ack.problems) or "The 999 gives no reason; ask the clearinghouse."
    detail = (
        f"The clearinghouse rejected claim file {batch.batch_number} "
        f"(999 {set_ack.code} for transaction {set_ack.transaction_control_number}), so "
        f"the payer never received this claim. {reasons}"
    )
    _reject(session, response, claim, detail, batch_id=batch.id)


def _update_batch_status(batch: ClaimBatch, ack: FunctionalAck, verdicts: list[SetAck]) -> None:
    # A partly accepted group leaves the batch as it was: its claims tell the story.
    if ack.code == "R" or (verdicts and not any(verdict.accepted for verdict in verdicts)):
        batch.status = _BATCH_REJECTED
    elif all(verdict.accepted for verdict in verdicts):
        batch.status = _BATCH_ACCEPTED


def _batch_for_group(session: Session, group_control_number: str) -> ClaimBatch | None:
    key = _number_key(group_control_number)
    if not key.isdigit():
        return None
    # GS06 is written without leading zeros, but a 999 may echo it with them.
    query = select(ClaimBatch).where(
        ClaimBatch.group_control_number.in_({key, group_control_number.strip()}),
        ClaimBatch.archived.is_(False),
    )
    return session.scalars(query).first()


def _items_by_transaction(session: Session, batch: ClaimBatch) -> dict[str, list[Claim]]:
    query = (
        select(ClaimBatchItem.transaction_control_number, Claim)
        .join(Claim, Claim.id == ClaimBatchItem.claim_id)
        .where(ClaimBatchItem.batch_id == batch.id)
        .order_by(Claim.claim_number)
    )
    items: dict[str, list[Claim]] = {}
    for number, claim in session.execute(query):
        items.setdefault(_number_key(number), []).append(claim)
    return items


def _number_key(number: str) -> str:
    """Return a control number without spaces or leading zeros, for matching."""
    return number.strip().lstrip("0") or "0"


# ---- TA1 ----------------------------------------------------------------------------------


def _apply_ta1(session: Session, response: X12Response, text: str, tally: _Tally) -> None:
    """Apply interchange acknowledgments: TA104 R rejects every claim of that interchange."""
    _, segments = parse_segments(text)
    for segment in segments:
        if segment.id != "TA1":
            continue
        control = segment.element(1).strip()
        batch = session.scalar(
            select(ClaimBatch).where(ClaimBatch.interchange_control_number == control.zfill(9))
        )
        if batch is None:
            tally.unmatched.append(f"interchange {control}")
            continue
        tally.batch_numbers.append(batch.batch_number)
        for claims in _items_by_transaction(session, batch).values():
            for claim in claims:
                _apply_ta1_code(
                    session, response, batch, claim, code=segment.element(4), tally=tally
                )


def _apply_ta1_code(
    session: Session,
    response: X12Response,
    batch: ClaimBatch,
    claim: Claim,
    *,
    code: str,
    tally: _Tally,
) -> None:
    if code.strip() == "R":
        tally.rejected += 1
        batch.status = _BATCH_REJECTED
        detail = (
            f"The clearinghouse rejected the envelope of claim file {batch.batch_number} "
            "(TA1), so the payer never received this claim. Check the ISA ids in Admin > "
            "Clearinghouses, then send the claim again."
        )
        _reject(session, response, claim, detail, batch_id=batch.id)
        return
    tally.accepted += 1
    record_event(
        session,
        claim,
        ClaimEventKind.ACKNOWLEDGED,
        user_id=None,
        detail=f"The clearinghouse received claim file {batch.batch_number} (TA1 {code}).",
        batch_id=batch.id,
        response_id=response.id,
    )


# ---- 277CA --------------------------------------------------------------------------------


def _apply_277ca(
    session: Session, response: X12Response, acks: list[ClaimAck], tally: _Tally
) -> None:
    numbers = {ack.claim_number.strip() for ack in acks}
    claims = {
        claim.claim_number: claim
        for claim in session.scalars(select(Claim).where(Claim.claim_number.in_(numbers)))
    }
    for ack in acks:
        claim = claims.get(ack.claim_number.strip())
        if claim is None:
            tally.unmatched.append(ack.claim_number)
            continue
        _apply_claim_ack(session, response, claim, ack, tally)


def _apply_claim_ack(
    session: Session, response: X12Response, claim: Claim, ack: ClaimAck, tally: _Tally
) -> None:
    explanation = _explain(ack)
    if ack.accepted is False:
        tally.rejected += 1
        detail = f"The payer rejected the claim (277CA): {explanation}"
        _reject(session, response, claim, detail)
        add_rejection_finding(session, claim, ack, explanation)
        return

    if ack.payer_claim_number:
        claim.payer_claim_number = ack.payer_claim_number
    if ack.accepted is None:
        # A status that neither accepts nor rejects, such as A0 forwarded.
        detail = f"The clearinghouse reported (277CA): {explanation}"
        record_event(
            session,
            claim,
            ClaimEventKind.NOTE,
            user_id=None,
            detail=detail,
            response_id=response.id,
        )
        return

    tally.accepted += 1
    detail = f"The payer accepted the claim for processing (277CA): {explanation}"
    if ack.payer_claim_number:
        detail += f" Payer claim number {ack.payer_claim_number}."
    status = ClaimStatus.ACCEPTED if claim.status in WAITING_STATUSES else None
    record_event(
        session,
        claim,
        ClaimEventKind.ACCEPTED,
        user_id=None,
        status=status,
        detail=detail,
        response_id=response.id,
    )


def _explain(ack: ClaimAck) -> str:
    parts = [_status_text(status) for status in ack.statuses]
    for line, statuses in ack.lines:
        line_text = "; ".join(_status_text(status) for status in statuses)
        parts.append(f"Line {line}: {line_text}")
    return " ".join(part if part.endswith(".") else part + "." for part in parts if part)


def _status_text(status: StatusCode) -> str:
    codes = ":".join(code for code in (status.category, status.code, status.entity) if code)
    return f"{status.explanation} ({codes})" if status.explanation else codes


# ---- shared -------------------------------------------------------------------------------


def _reject(
    session: Session,
    response: X12Response,
    claim: Claim,
    detail: str,
    *,
    batch_id: uuid.UUID | None = None,
) -> None:
    """Record a rejection; a claim that is sent, accepted or rejected becomes REJECTED."""
    waiting = claim.status in WAITING_STATUSES
    record_event(
        session,
        claim,
        ClaimEventKind.REJECTED,
        user_id=None,
        status=ClaimStatus.REJECTED if waiting else None,
        detail=detail,
        batch_id=batch_id,
        response_id=response.id,
    )
    if waiting:
        claim.follow_up_on = practice_today(session)
