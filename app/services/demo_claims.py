"""Demo claims: a test clearinghouse, claims built from the demo's posted charges, and
the older claims sent and acknowledged, so the Claims page shows every kind of status.

The claims of the last two demo days stay ready to send, for trying the Send dialog. The
rest are saved to the clearinghouse's outbox folder beside the database, then answered
by a 999 accepting the file and a 277CA accepting every claim but one, which the payer
rejects for an invalid member id.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.claims import Claim, ClaimBatch, ClaimBatchItem, Clearinghouse
from app.models.patients import Coverage, Patient
from app.models.practice import Payer, Practice
from app.security.permissions import Actor
from app.services import demo_responses
from app.services.claim_batches import create_batches, export_batch
from app.services.claim_build import build_claims
from app.services.claim_scrub import scrub_claims
from app.services.claim_status import ClaimStatus
from app.services.clearinghouses import ClearinghouseForm, save_clearinghouse
from app.services.x12_control import next_interchange_number
from app.services.x12_responses import import_response

log = logging.getLogger(__name__)

OUTBOX_FOLDER_NAME = "claims outbox"
# Claims of this many most recent days stay unsent.
UNSENT_DAYS = 2


@dataclass(frozen=True, slots=True)
class DemoClaimCounts:
    """Counts of the demo's claims: built, ready, held, sent, accepted and rejected."""

    built: int
    ready: int
    held: int
    sent: int
    accepted: int
    rejected: int


def demo_clearinghouse_form(practice: Practice, outbox: Path | None) -> ClearinghouseForm:
    """Return the demo's test clearinghouse: files go to `outbox`, no SFTP server."""
    phone_digits = "".join(character for character in practice.phone or "" if character.isdigit())
    return ClearinghouseForm(
        id=None,
        name="Demo Claims Exchange",
        submitter_id="DEMOLFM01",
        submitter_name=practice.legal_name,
        submitter_contact="Billing office",
        submitter_phone=phone_digits[-10:] or "8475550100",
        receiver_id="DEMOCX",
        receiver_name="Demo Claims Exchange",
        isa_sender_qualifier="ZZ",
        isa_sender_id="DEMOLFM01",
        isa_receiver_qualifier="ZZ",
        isa_receiver_id="DEMOCX",
        gs_sender_code="DEMOLFM01",
        gs_receiver_code="DEMOCX",
        usage_indicator="T",
        outbox_folder="" if outbox is None else str(outbox),
        sftp_host="",
        sftp_port=22,
        sftp_username="",
        sftp_host_key="",
        upload_folder="inbound",
        download_folder="outbound",
        file_name_pattern="{batch}.837",
    )


def _add_clearinghouse(session: Session, actor: Actor, outbox: Path | None) -> uuid.UUID:
    practice = session.scalars(select(Practice)).one()
    outcome = save_clearinghouse(session, actor, demo_clearinghouse_form(practice, outbox))
    outcome.raise_if_rejected()
    if outcome.record_id is None:
        raise RuntimeError("saving the demo clearinghouse returned no id")
    session.execute(update(Payer).values(clearinghouse_id=outcome.record_id))
    return outcome.record_id


def _claims_to_send(session: Session, claim_ids: list[uuid.UUID], before: date) -> list[uuid.UUID]:
    query = select(Claim.id).where(
        Claim.id.in_(claim_ids),
        Claim.status == ClaimStatus.READY,
        Claim.service_date_from < before,
    )
    return list(session.scalars(query))


def _verdicts(session: Session, batch: ClaimBatch) -> list[demo_responses.ClaimVerdict]:
    query = (
        select(Claim, Patient, Coverage)
        .join(ClaimBatchItem, ClaimBatchItem.claim_id == Claim.id)
        .join(Patient, Patient.id == Claim.patient_id)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .where(ClaimBatchItem.batch_id == batch.id)
        .order_by(Claim.claim_number)
    )
    verdicts = []
    for index, (claim, patient, coverage) in enumerate(session.execute(query)):
        # The first claim is rejected, so the worklist has a rejection to work.
        status = (
            demo_responses.MEMBER_ID_REJECTED_STATUS
            if index == 0
            else demo_responses.ACCEPTED_STATUS
        )
        payer_number = None if index == 0 else f"DEMO{claim.claim_number.replace('-', '')}"
        verdicts.append(
            demo_responses.ClaimVerdict(
                claim_number=claim.claim_number,
                amount=claim.total_charge,
                status=status,
                patient_last_name=patient.last_name,
                patient_first_name=patient.first_name,
                member_id=coverage.member_id,
                service_date=claim.service_date_from,
                payer_claim_number=payer_number,
            )
        )
    return verdicts


def _answer_batch(session: Session, actor: Actor, batch_id: uuid.UUID) -> tuple[int, int]:
    """Import a 999 and a 277CA for the batch; return (accepted, rejected) claim counts."""
    batch = session.get_one(ClaimBatch, batch_id)
    clearinghouse = session.get_one(Clearinghouse, batch.clearinghouse_id)
    practice = session.scalars(select(Practice)).one()
    numbers = sorted(
        session.scalars(
            select(ClaimBatchItem.transaction_control_number).where(
                ClaimBatchItem.batch_id == batch.id
            )
        ).unique()
    )
    when = datetime.now()  # noqa: DTZ005 (the file's local time, as a clearinghouse writes it)
    control = next_interchange_number(session)
    ack = demo_responses.acknowledgement_999(
        clearinghouse, batch, numbers, control=control, when=when
    )
    import_response(session, actor, ack, f"{batch.batch_number}.999")

    verdicts = _verdicts(session, batch)
    control = next_interchange_number(session)
    status_file = demo_responses.acknowledgement_277ca(
        clearinghouse,
        practice.legal_name,
        practice.billing_npi,
        verdicts,
        control=control,
        when=when,
    )
    result = import_response(session, actor, status_file, f"{batch.batch_number}.277")
    return result.accepted, result.rejected


def add_demo_claims(
    session: Session, biller: Actor, today: date, outbox: Path | None
) -> DemoClaimCounts:
    """Build and scrub claims for every posted demo encounter, then send and acknowledge the older.

    Sending saves the file in `outbox`. Without an outbox, or when the folder cannot be
    written, the claims stay ready to send and the demo goes on.
    """
    if outbox is not None:
        try:
            outbox.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.warning("demo claims outbox not created (%s); no claim is sent", error)
            outbox = None
    _add_clearinghouse(session, biller, outbox)
    built = build_claims(session, biller)
    scrubbed = scrub_claims(session, biller, built.claim_ids)

    to_send = _claims_to_send(session, built.claim_ids, today - timedelta(days=UNSENT_DAYS - 1))
    sent = accepted = rejected = 0
    if to_send and outbox is not None:
        batches = create_batches(session, biller, to_send)
        for batch_id in batches.batch_ids:
            try:
                export_batch(session, biller, batch_id, outbox)
            except UserError:
                log.warning(
                    "demo batch %s not saved to the outbox; its claims stay ready", batch_id
                )
                continue
            batch = session.get_one(ClaimBatch, batch_id)
            sent += batch.claim_count
            accepted_now, rejected_now = _answer_batch(session, biller, batch_id)
            accepted += accepted_now
            rejected += rejected_now

    counts = DemoClaimCounts(
        built=len(built.claim_ids),
        ready=len(scrubbed.ready),
        held=len(scrubbed.held),
        sent=sent,
        accepted=accepted,
        rejected=rejected,
    )
    log.info("demo claims: %s", counts)
    return counts
