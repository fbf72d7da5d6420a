"""Demo remittances: the demo's payers pay the claims it sent, through real 835 files.

After the demo's claims are sent and acknowledged, the payer simulator adjudicates them
and writes one 835 file per payer into the inbox folder beside the database. The demo
imports those files through the same service as real ones. Three payers post in
different ERA posting modes, so the Payments page shows each: Medicare posts
automatically, the Federal Employee Program posts matched claims and leaves the rest
for review, and TRICARE waits for a biller to review every claim.

A second, later run reverses and corrects one claim Medicare paid and recoups part of
another, as payers do when they reprocess a claim.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.claims import Claim, Clearinghouse, PayerAdjudication
from app.models.practice import Payer
from app.security.permissions import Actor
from app.services.claim_status import ClaimStatus
from app.services.era_import import RemittanceImport, import_835_file
from app.services.payer_simulator import (
    SENT_STATUSES,
    SimulatedRemittance,
    SimulationPlan,
    simulate_remittances,
)
from app.services.x12_control import next_interchange_number
from app.x12.writer_835 import write_835

log = logging.getLogger(__name__)

INBOX_FOLDER_NAME = "claims inbox"
# ERA posting mode of each demo payer that shows one mode, by payer id (Payer.payer_code).
POSTING_MODES = {"00952": "auto", "00621F": "matched", "TREST": "review"}
AUTO_PAYER_CODE = "00952"
# The payers' first remittance comes this many days before the demo's today.
FIRST_RUN_DAYS_BEFORE = 3
# Seed of the simulated payers; the demo's own seed changes the claims they see.
PAYER_SEED = 835


@dataclass(frozen=True, slots=True)
class DemoRemittanceCounts:
    """Counts of the demo's 835 files and their claim payments: posted, in review, unapplied."""

    files: int
    claims: int
    posted: int
    review: int
    unapplied: int


def set_demo_posting_modes(session: Session) -> None:
    """Give the demo payers of POSTING_MODES their ERA posting mode."""
    for payer_code, mode in POSTING_MODES.items():
        session.execute(
            update(Payer).where(Payer.payer_code == payer_code).values(era_posting_mode=mode)
        )


def add_demo_remittances(
    session: Session, biller: Actor, today: date, inbox: Path | None
) -> DemoRemittanceCounts:
    """Adjudicate the demo's sent claims, save the 835 files in `inbox` and import them.

    Without an inbox, or when the folder cannot be written, no remittance is made and
    the sent claims stay unpaid.
    """
    set_demo_posting_modes(session)
    if inbox is None or not _make_folder(inbox):
        return DemoRemittanceCounts(0, 0, 0, 0, 0)

    sent = list(session.scalars(select(Claim.id).where(Claim.status.in_(SENT_STATUSES))))
    first = SimulationPlan(
        seed=PAYER_SEED, payment_date=today - timedelta(days=FIRST_RUN_DAYS_BEFORE)
    )
    results = _import_run(session, biller, inbox, simulate_remittances(session, sent, first))

    reprocess, recoup = _claims_to_reprocess(session)
    if reprocess or recoup:
        second = SimulationPlan(
            seed=PAYER_SEED + 1,
            payment_date=today,
            reprocess_claim_ids=reprocess,
            recoup_claim_ids=recoup,
            interest=False,
        )
        later = simulate_remittances(session, [], second)
        results += _import_run(session, biller, inbox, later)

    counts = DemoRemittanceCounts(
        files=len(results),
        claims=sum(result.claims for result in results),
        posted=sum(result.posted for result in results),
        review=sum(result.review for result in results),
        unapplied=sum(result.unapplied for result in results),
    )
    log.info("demo remittances: %s", counts)
    return counts


def _make_folder(inbox: Path) -> bool:
    try:
        inbox.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        log.warning("demo remittance inbox not created (%s); no remittance is made", error)
        return False
    return True


def _claims_to_reprocess(session: Session) -> tuple[tuple[uuid.UUID, ...], tuple[uuid.UUID, ...]]:
    """Pick two claims the auto-posting payer paid money on: one to reverse, one to recoup.

    The lowest claim numbers are taken, so the choice depends only on the demo's data.
    """
    paid = list(
        session.scalars(
            select(Claim.id)
            .join(Payer, Payer.id == Claim.payer_id)
            .join(PayerAdjudication, PayerAdjudication.claim_id == Claim.id)
            .where(
                Payer.payer_code == AUTO_PAYER_CODE,
                Claim.status == ClaimStatus.PAID,
                PayerAdjudication.voided.is_(False),
                PayerAdjudication.paid_amount > Decimal("0.00"),
            )
            .order_by(Claim.claim_number)
            .limit(2)
        )
    )
    return tuple(paid[:1]), tuple(paid[1:2])


def _import_run(
    session: Session, biller: Actor, inbox: Path, remittances: list[SimulatedRemittance]
) -> list[RemittanceImport]:
    """Write each payer's remittance as its own 835 file in `inbox` and import it."""
    clearinghouse = session.scalars(select(Clearinghouse).order_by(Clearinghouse.name)).first()
    if clearinghouse is None:
        log.warning("the demo has no clearinghouse; no remittance is imported")
        return []
    results = []
    for simulated in remittances:
        control = next_interchange_number(session)
        text = write_835(
            [simulated.remittance],
            control_number=control,
            # The clearinghouse sends, so its id and the practice's swap places.
            sender_id=clearinghouse.isa_receiver_id,
            receiver_id=clearinghouse.isa_sender_id,
            usage=clearinghouse.usage_indicator,
            when=datetime.combine(simulated.remittance.payment_date, datetime.min.time()),
        )
        path = inbox / f"{simulated.remittance.trace_number}.835"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            log.warning("demo remittance %s not saved (%s); skipped", control, error)
            continue
        try:
            results.append(import_835_file(session, biller, path))
        except UserError as error:
            log.warning("demo remittance %s not imported: %s", control, error)
    return results
