"""Importing 835 remittance files: store, match, and post what the payer's mode allows.

One file is one `X12Response` (kind "835"), imported once by the SHA-256 of its
segments. Each transaction set (ST) becomes a `Remittance`, and each claim payment (CLP
loop) a `RemittanceClaim` that keeps the loop's X12 text, so a claim left for review is
posted later from exactly what the payer sent.

What happens to a remittance:
- The same payment imported before (payer id, trace number, amount and date) is a
  duplicate: nothing is stored for it and nothing is posted.
- A remittance that does not balance is held: its claims wait in review with the
  problem, and nothing is posted.
- Otherwise each claim payment is matched (`era_matching`) and routed by the payer's
  ERA posting mode. "auto" posts every matched claim. "matched" posts the claims whose
  claim and lines matched exactly and that carry no denial or review adjustment.
  "review" posts nothing until a biller approves. Claims that match nothing are
  unapplied. A payer ClinicDesk does not recognize sends every claim to review.
- A claim payment from a payer other than the claim's payer posts only when a crossover
  moved the claim to that payer (`claim_crossover`): it is that payer's adjudication
  and posts to its bucket. From any other payer it waits in review.
- CLP02 22 reverses the claim's posted adjudication; the correction that follows posts
  as a new one. The reversal waits in review while a payer the claim was forwarded to
  has a posted adjudication of it. 19, 20 and 21 record the crossover. 23 and 25 post nothing (state
  "info").
- PLB adjustments are stored as provider adjustments, linked to a claim when their
  reference names one. The claim interest (AMT*I) of a claim payment that posts is
  stored there too, linked to its claim (`claim_interest`).

The whole file imports in one savepoint: an error leaves nothing half-posted.
"""

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.gc_pause import bulk_work
from app.ids import new_id
from app.models.claims import Claim, PayerAdjudication, X12Response
from app.models.patients import Coverage
from app.models.payments import ProviderAdjustment, Remittance
from app.models.practice import Payer
from app.money import ZERO, format_money, to_money
from app.problems import Severity
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import clearinghouses
from app.services.adjudication_batch import CheckedForm, record_checked
from app.services.claim_batches import sftp_target
from app.services.claim_build_rows import PAYER_SEQUENCES, chunks, patient_coverages
from app.services.claim_cob import adjudication_problems
from app.services.claim_crossover import (
    DENIED_CODE,
    adjudicating_payer,
    crossover_payers,
    current_adjudications,
    payer_name,
    reversal_wait_reason,
)
from app.services.claim_interest import interest_adjustment, payee_identifier
from app.services.claim_status import DEAD_STATUSES, ClaimEventKind, record_event
from app.services.era_claim_rows import ClaimPaymentRow, insert_claim_payments
from app.services.era_matching import (
    EXACT_METHODS,
    ClaimMatch,
    ClaimMatcher,
    LineMatch,
    adjudication_form,
    first_service_date,
)
from app.services.era_posting import apply_plans, reverse_posting
from app.services.era_posting_load import PlanItem, RecordedRows
from app.services.era_posting_plan import plan_adjudications
from app.services.file_imports import import_in_savepoint
from app.services.posting_rules import DENIAL, REVIEW, RuleBook, load_rules
from app.services.today import practice_today
from app.services.x12_responses import AlreadyImportedError, split_digest
from app.sftp import DownloadedFile, RemoteFile, list_and_download
from app.x12.codes_835 import CROSSOVER_STATUSES, claim_status_label
from app.x12.kinds import detect_kind
from app.x12.reader_835 import (
    ClaimPayment,
    ProviderAdjustmentItem,
    Remittance835,
    balance_problems,
    interest_in_payment,
    read_835_split,
)
from app.x12.segment_split import split_segments
from app.x12.segments import X12FormatError, decode_x12_bytes, read_x12_file

log = logging.getLogger(__name__)

KIND_835 = "835"
OBJECT_TYPE = "x12_response"
SOURCE_ERA = "era"

# Remittance.status values.
REMITTANCE_HELD = "held"
REMITTANCE_REVIEW = "review"
REMITTANCE_POSTED = "posted"

# RemittanceClaim.state values.
STATE_POSTED = "posted"
STATE_REVIEW = "review"
STATE_UNAPPLIED = "unapplied"
STATE_REVERSED = "reversed"
STATE_INFO = "info"

# Payer.era_posting_mode values.
MODE_AUTO = "auto"
MODE_MATCHED = "matched"
MODE_REVIEW = "review"

# CLP02 codes.
REVERSAL_CODE = "22"
POSTABLE_CODES = frozenset({"1", "2", "3", DENIED_CODE}) | CROSSOVER_STATUSES
INFO_EXPLANATIONS = {
    "23": (
        "The payer says this is not its claim and forwarded it to another payer, so "
        "nothing was posted. Check the patient's coverage order and wait for the other "
        "payer's remittance."
    ),
    "25": ("The payer only priced this claim (predetermination), so there is no payment to post."),
}

# Column widths of Remittance and RemittanceClaim text fields.
_PAYER_NAME_WIDTH = 60
_IDENTIFIER_WIDTH = 80
_TRACE_WIDTH = 50
_PATIENT_NAME_WIDTH = 120
_CONTROL_NUMBER_WIDTH = 38
_PAYER_CLAIM_NUMBER_WIDTH = 50
# Names of files that are remittances even when they cannot be read.
REMITTANCE_SUFFIXES = (".835", ".era")
# Claim payments recorded, planned and posted together; see _post_collected.
_POST_CHUNK = 500
# Values per IN (...) query, well under SQLite's limit on bound parameters.
_IN_CHUNK = 500
# PLB03-2 references carry the claim number after a qualifier, such as "FCN#1400000".
_REFERENCE_PARTS = re.compile(r"[#:\s/]+")


@dataclass(frozen=True, slots=True)
class RemittanceImport:
    """The outcome of one 835 file.

    `posted`, `review` and `unapplied` count claim payments by the state they ended in
    (the claims of a held remittance count under review). `held` counts the remittances
    held because they do not balance, and `duplicates` the payments imported before.
    `paid_total` is the sum of CLP04 over the claim payments posted. `error` is set only
    when `fetch_remittances` could not import the file, and then nothing was stored.
    """

    file_name: str
    response_id: uuid.UUID | None
    remittances: int
    claims: int
    posted: int
    review: int
    unapplied: int
    held: int
    duplicates: int
    paid_total: Decimal
    messages: tuple[str, ...]
    changes: Changes
    error: str | None = None

    @classmethod
    def failed(cls, file_name: str, error: str) -> "RemittanceImport":
        """Build the result of a file that could not be imported."""
        return cls(file_name, None, 0, 0, 0, 0, 0, 0, 0, ZERO, (error,), Changes(), error=error)


@dataclass(slots=True)
class _Tally:
    remittances: int = 0
    claims: int = 0
    posted: int = 0
    review: int = 0
    unapplied: int = 0
    held: int = 0
    duplicates: int = 0
    info: int = 0
    paid_total: Decimal = ZERO
    messages: list[str] = field(default_factory=list)

    def count(self, row: ClaimPaymentRow) -> None:
        self.claims += 1
        if row.state == STATE_POSTED:
            self.posted += 1
            self.paid_total += row.paid_amount
        elif row.state == STATE_REVIEW:
            self.review += 1
        elif row.state == STATE_UNAPPLIED:
            self.unapplied += 1
        else:
            self.info += 1


@dataclass(slots=True)
class _Context:
    """The state every remittance of one file shares: session, file, rules and counts."""

    session: Session
    actor: Actor
    response: X12Response
    rules: RuleBook
    today: date
    tally: _Tally = field(default_factory=_Tally)
    payers: dict[tuple[str, str], Payer | None] = field(default_factory=dict)
    # The identifier claim interest rows name, read when the first one is stored.
    payee: str | None = None


@dataclass(slots=True)
class _RemittanceWork:
    """One remittance being imported: its row, payer, matcher and the postings it collects."""

    row: Remittance
    source: Remittance835
    payer: Payer | None
    matcher: ClaimMatcher
    adjudicated_on: date
    # Claims whose posted adjudication a reversal in this remittance left standing, because
    # the reversal waits for a biller; the correction after it must wait too.
    reversal_pending: set[uuid.UUID] = field(default_factory=set)
    pending: list[tuple[ClaimPaymentRow, CheckedForm]] = field(default_factory=list)
    # Each claim's current adjudications by payer id, loaded once per claim.
    adjudicated: dict[uuid.UUID, dict[uuid.UUID, PayerAdjudication]] = field(default_factory=dict)
    # The coverages of patients whose claims a crossover may have moved to this payer.
    coverages: dict[uuid.UUID, list[Coverage]] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return self.payer.era_posting_mode if self.payer is not None else MODE_REVIEW


# ---- entry points ---------------------------------------------------------------------------


@bulk_work
def import_835(session: Session, actor: Actor, text: str, file_name: str) -> RemittanceImport:
    """Import an 835 file: store it, then match and post each remittance in it.

    Needs PAYMENT_POST and CLAIM_MANAGE. Raises X12FormatError, naming the segment, for
    a file that cannot be read, and AlreadyImportedError for a file imported before; in
    both cases nothing is stored. Any other error rolls back everything this call wrote.
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    split = split_segments(text)
    digest = split_digest(text, split)
    _check_not_imported(session, digest, file_name)
    remittances = read_835_split(split)

    with session.begin_nested():
        context = _Context(
            session=session,
            actor=actor,
            response=_store_file(
                session,
                actor,
                text,
                file_name,
                digest=digest,
                # ISA13 of the first interchange; none when the file has no transaction set.
                interchange=remittances[0].interchange_control_number if remittances else "",
            ),
            rules=load_rules(session),
            today=practice_today(session),
        )
        for remittance in remittances:
            _import_remittance(context, remittance)
        tally = context.tally
        context.response.summary = _summary(tally)
        session.flush()
        detail = (
            f"835: {tally.remittances} remittances, {tally.claims} claims, {tally.posted} "
            f"posted, {tally.review} review, {tally.unapplied} unapplied, {tally.held} held, "
            f"{tally.duplicates} duplicates"
        )
        audit.record(
            session, actor, AuditAction.IMPORT, OBJECT_TYPE, context.response.id, detail=detail
        )
    log.info("imported 835 response %s (%s)", context.response.id, detail)
    return RemittanceImport(
        file_name=file_name,
        response_id=context.response.id,
        remittances=tally.remittances,
        claims=tally.claims,
        posted=tally.posted,
        review=tally.review,
        unapplied=tally.unapplied,
        held=tally.held,
        duplicates=tally.duplicates,
        paid_total=tally.paid_total,
        messages=tuple(tally.messages),
        changes=Changes.of(ChangeKind.PAYMENTS, ChangeKind.CLAIMS, ChangeKind.LEDGER),
    )


def import_835_file(session: Session, actor: Actor, path: Path) -> RemittanceImport:
    """Read an 835 file from disk (any encoding X12 files come in) and import it."""
    require(actor, Permission.PAYMENT_POST)
    return import_835(session, actor, read_x12_file(path), path.name)


def fetch_remittances(
    session: Session, actor: Actor, clearinghouse_id: uuid.UUID
) -> list[RemittanceImport]:
    """Download the clearinghouse's new files and import the 835 remittances among them.

    Files that are not 835s (999, 277CA) are left for the response fetch. A file named
    .835 or .era that cannot be read is returned with its error. Files whose
    name and size, or whose content, were imported before are skipped. Each remittance
    file imports in a savepoint of its own, so a bad file is returned with its error and
    the others still import. Raises SftpError when the connection or a download fails.
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    clearinghouse = clearinghouses.get_clearinghouse(session, clearinghouse_id)
    downloaded = list_and_download(
        sftp_target(clearinghouse),
        clearinghouse.download_folder,
        lambda listing: _not_imported(session, listing),
    )
    results = []
    for file in downloaded:
        result = _import_downloaded(session, actor, file)
        if result is not None:
            results.append(result)
    failed = sum(1 for result in results if result.error is not None)
    log.info("fetched %d remittance files, %d failed", len(results), failed)
    return results


# ---- the file --------------------------------------------------------------------------------


def _check_not_imported(session: Session, digest: str, file_name: str) -> None:
    earlier = session.scalars(select(X12Response).where(X12Response.sha256 == digest)).first()
    if earlier is None:
        return
    same_name = "" if earlier.file_name == file_name else f" as {earlier.file_name}"
    raise AlreadyImportedError(
        f"{file_name} was already imported on {earlier.received_at.date():%m/%d/%Y}"
        f"{same_name}, so nothing was posted again. Open Payments > Remittances to see "
        "what it posted."
    )


def _store_file(
    session: Session,
    actor: Actor,
    text: str,
    file_name: str,
    *,
    digest: str,
    interchange: str,
) -> X12Response:
    response = X12Response(
        kind=KIND_835,
        file_name=file_name,
        sha256=digest,
        interchange_control_number=interchange.strip()[:9] or None,
        received_at=utc_now(),
        received_by=actor.user_id,
        summary="",
        content=text,
        updated_by=actor.user_id,
    )
    session.add(response)
    session.flush()
    return response


def _summary(tally: _Tally) -> str:
    text = (
        f"835: {tally.remittances} remittance{'s' if tally.remittances != 1 else ''}, "
        f"{tally.claims} claim payments: {tally.posted} posted "
        f"({format_money(tally.paid_total)}), {tally.review} to review, "
        f"{tally.unapplied} unapplied."
    )
    if tally.held:
        text += f" {tally.held} held because they do not balance."
    if tally.duplicates:
        text += f" {tally.duplicates} duplicate payments skipped."
    return text


def _not_imported(session: Session, listing: list[RemoteFile]) -> list[RemoteFile]:
    names = [remote.name for remote in listing]
    known: set[tuple[str, int]] = set()
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        query = select(X12Response.file_name, X12Response.content).where(
            X12Response.file_name.in_(chunk)
        )
        known.update(
            (name, len(content.encode("utf-8"))) for name, content in session.execute(query)
        )
    return [remote for remote in listing if (remote.name, remote.size) not in known]


def _remittance_text(file: DownloadedFile) -> str | RemittanceImport | None:
    """Return the text of a downloaded 835, a failed result, or None for other files."""
    try:
        text = decode_x12_bytes(file.content)
        kind = detect_kind(text)
    except X12FormatError as error:
        # An unreadable file is reported here when its name says it is a remittance;
        # any other is left for the response fetch, which reports it.
        if Path(file.name).suffix.lower() in REMITTANCE_SUFFIXES:
            log.warning("downloaded remittance file is not readable X12")
            return RemittanceImport.failed(file.name, str(error))
        return None
    return text if kind == KIND_835 else None


def _import_downloaded(
    session: Session, actor: Actor, file: DownloadedFile
) -> RemittanceImport | None:
    """Import one downloaded 835 in a savepoint; None for other kinds and files seen before."""
    text = _remittance_text(file)
    if not isinstance(text, str):
        return text

    return import_in_savepoint(
        session,
        file.name,
        lambda: import_835(session, actor, text, file.name),
        RemittanceImport.failed,
        "remittance",
    )


# ---- one remittance ----------------------------------------------------------------------


def _import_remittance(context: _Context, source: Remittance835) -> None:
    session, tally = context.session, context.tally
    payer = _find_payer(context, source)
    earlier = _earlier_payment(session, source)
    if earlier is not None:
        tally.duplicates += 1
        tally.messages.append(
            f"Payment {source.trace_number} from {source.payer_name} for "
            f"{format_money(source.payment_amount)} was already imported on "
            f"{earlier.received_at.date():%m/%d/%Y}, so it was skipped and nothing was "
            "posted again."
        )
        log.info("skipped a duplicate payment of remittance %s", earlier.id)
        return

    tally.remittances += 1
    row = _remittance_row(context, source, payer)
    session.add(row)
    session.flush()
    work = _RemittanceWork(
        row=row,
        source=source,
        payer=payer,
        matcher=ClaimMatcher(session, payer.id if payer is not None else None),
        adjudicated_on=source.payment_date or context.today,
    )
    work.matcher.prefetch(source.claims)
    _prefetch_adjudications(context, work)
    if payer is None:
        tally.messages.append(
            f"The payer {source.payer_name} (id {source.payer_identifier or 'not given'}) of "
            f"payment {source.trace_number} is not in ClinicDesk, so its claims wait for "
            "review. Add the payer in Admin > Payers with that payer id, or post the claims "
            "from the review queue."
        )

    problems = balance_problems(source)
    if problems:
        _hold(context, work, problems)
    else:
        not_queued = []
        for position, payment in enumerate(source.claims, start=1):
            queued = len(work.pending)
            claim_row = _route(context, work, position, payment)
            if len(work.pending) == queued:
                # A row queued for posting is inserted with its chunk in _post_chunk,
                # once its adjudication id is known.
                not_queued.append(claim_row)
            work.states.append(claim_row.state)
            tally.count(claim_row)
        insert_claim_payments(session, not_queued)
        _post_collected(context, work)
        row.status = _remittance_status(work)
        if row.status == REMITTANCE_POSTED:
            row.posted_at = utc_now()

    _store_provider_adjustments(session, row, source.provider_adjustments, context.actor)
    session.flush()


def _find_payer(context: _Context, source: Remittance835) -> Payer | None:
    key = (source.payer_identifier.strip().upper(), source.payer_name.strip().upper())
    if key in context.payers:
        return context.payers[key]
    payer = None
    if key[0]:
        payer = context.session.scalars(
            select(Payer)
            .where(func.upper(Payer.payer_code) == key[0], Payer.archived.is_(False))
            .order_by(Payer.created_at)
        ).first()
    if payer is None and key[1]:
        payer = context.session.scalars(
            select(Payer)
            .where(func.upper(Payer.name) == key[1], Payer.archived.is_(False))
            .order_by(Payer.created_at)
        ).first()
    context.payers[key] = payer
    return payer


def _earlier_payment(session: Session, source: Remittance835) -> Remittance | None:
    query = select(Remittance).where(
        Remittance.source == SOURCE_ERA,
        Remittance.payer_identifier == source.payer_identifier.strip()[:_IDENTIFIER_WIDTH],
        Remittance.trace_number == source.trace_number.strip()[:_TRACE_WIDTH],
        Remittance.payment_amount == to_money(source.payment_amount),
        Remittance.status != "reversed",
        Remittance.archived.is_(False),
    )
    if source.payment_date is None:
        query = query.where(Remittance.payment_date.is_(None))
    else:
        query = query.where(Remittance.payment_date == source.payment_date)
    return session.scalars(query.limit(1)).first()


def _remittance_row(context: _Context, source: Remittance835, payer: Payer | None) -> Remittance:
    return Remittance(
        source=SOURCE_ERA,
        response_id=context.response.id,
        transaction_control_number=source.control_number.strip()[:9],
        payer_id=payer.id if payer is not None else None,
        payer_name=(source.payer_name.strip() or "Unnamed payer")[:_PAYER_NAME_WIDTH],
        payer_identifier=source.payer_identifier.strip()[:_IDENTIFIER_WIDTH],
        trace_number=source.trace_number.strip()[:_TRACE_WIDTH],
        handling_code=source.handling_code.strip()[:2],
        payment_method=source.payment_method.strip()[:3],
        payment_amount=to_money(source.payment_amount),
        payment_date=source.payment_date,
        status=REMITTANCE_REVIEW,
        received_at=utc_now(),
        received_by=context.actor.user_id,
        updated_by=context.actor.user_id,
    )


def _hold(context: _Context, work: _RemittanceWork, problems: list[str]) -> None:
    """Store a remittance that does not balance: held, its claims in review, nothing posted."""
    text = " ".join(problems)
    work.row.status = REMITTANCE_HELD
    work.row.problem = text
    context.tally.held += 1
    context.tally.messages.append(
        f"Payment {work.source.trace_number} from {work.source.payer_name} does not balance, "
        f"so it is held and nothing was posted: {text}"
    )
    reason = f"The remittance does not balance, so nothing was posted. {text}"
    rows = []
    for position, payment in enumerate(work.source.claims, start=1):
        found = work.matcher.match_claim(payment)
        if found.claim is not None:
            work.matcher.take(found.claim.id)
        claim_row = _claim_row(context, work, position, payment, found)
        claim_row.state = STATE_REVIEW
        claim_row.review_reason = reason
        rows.append(claim_row)
        context.tally.count(claim_row)
    insert_claim_payments(context.session, rows)
    log.info("held remittance %s: %d balance problems", work.row.id, len(problems))


def _claim_row(
    context: _Context,
    work: _RemittanceWork,
    position: int,
    payment: ClaimPayment,
    found: ClaimMatch,
) -> ClaimPaymentRow:
    name = ", ".join(
        part for part in (payment.patient_last.strip(), payment.patient_first.strip()) if part
    )
    return ClaimPaymentRow(
        id=new_id(),
        remittance_id=work.row.id,
        position=position,
        claim_id=found.claim.id if found.claim is not None else None,
        patient_control_number=payment.patient_control_number.strip()[:_CONTROL_NUMBER_WIDTH],
        status_code=payment.status_code.strip()[:2],
        charge_amount=to_money(payment.charge),
        paid_amount=to_money(payment.paid),
        patient_responsibility=to_money(payment.patient_responsibility),
        payer_claim_number=(payment.payer_claim_number or "").strip()[:_PAYER_CLAIM_NUMBER_WIDTH]
        or None,
        patient_name=name[:_PATIENT_NAME_WIDTH],
        member_id=payment.member_id.strip()[:_IDENTIFIER_WIDTH],
        service_date=first_service_date(payment),
        match_method=found.method,
        state=STATE_REVIEW,
        segments=payment.text,
        updated_by=context.actor.user_id,
    )


def _route(
    context: _Context, work: _RemittanceWork, position: int, payment: ClaimPayment
) -> ClaimPaymentRow:
    """Match one claim payment and post it, or leave it in review, unapplied or info."""
    code = payment.status_code.strip()
    if code == REVERSAL_CODE:
        return _reverse(context, work, position, payment)

    found = work.matcher.match_claim(payment)
    row = _claim_row(context, work, position, payment, found)
    claim = found.claim
    if code in INFO_EXPLANATIONS:
        return _info(context, row, claim, INFO_EXPLANATIONS[code])
    if claim is None:
        return _unapplied(row, found.note)

    work.matcher.take(claim.id)
    line_match = work.matcher.match_lines(claim, payment)
    payer_id = _adjudicating_payer(context, work, claim)
    reasons = _review_reasons(context, work, payment, found, line_match, payer_id=payer_id)
    if reasons or payer_id is None:
        return _to_review(row, reasons)
    _reverse_replaced_denial(context, work, claim, payer_id)
    return _record(
        context,
        work,
        row,
        claim=claim,
        payment=payment,
        line_match=line_match,
        payer_id=payer_id,
    )


def replaces_denial(current: PayerAdjudication, code: str) -> bool:
    """Return True when a posted denial is replaced by this processed claim payment."""
    return current.claim_status_code == DENIED_CODE and code != DENIED_CODE


def _reverse_replaced_denial(
    context: _Context, work: _RemittanceWork, claim: Claim, payer_id: uuid.UUID
) -> None:
    """Reverse a posted denial that the payer now pays, so the ledger counts the claim once.

    A payer that reprocesses a denied claim (after an appeal or corrected information)
    sends the payment without reversing the denial first.
    """
    current = _current_adjudication(context, work, claim, payer_id)
    if current is None or current.claim_status_code != DENIED_CODE:
        return
    memo = f"Denial replaced by payment {work.source.trace_number} of claim {claim.claim_number}"
    reverse_posting(context.session, context.actor, current.id, memo)
    work.adjudicated[claim.id].pop(payer_id, None)


def _review_reasons(
    context: _Context,
    work: _RemittanceWork,
    payment: ClaimPayment,
    found: ClaimMatch,
    line_match: LineMatch,
    *,
    payer_id: uuid.UUID | None,
) -> list[str]:
    """Return the reasons a matched claim payment waits for a biller, or [] when it posts now.

    `payer_id` is the payer whose adjudication the claim payment is. It is None when the
    remittance's payer is neither the claim's payer nor one a crossover moved it to.
    """
    assert found.claim is not None
    blockers = _blockers(context, work, found.claim, payment, line_match, payer_id=payer_id)
    if blockers:
        return blockers
    if work.mode == MODE_AUTO:
        return []
    if work.mode == MODE_MATCHED:
        return _doubts(context, work, payment, found, line_match)
    return [_review_mode_reason(work)]


def _review_mode_reason(work: _RemittanceWork) -> str:
    if work.payer is None:
        return "The payer of this remittance is not in ClinicDesk, so a biller must approve it."
    return (
        f"{work.payer.name}'s remittances wait for a biller's approval (ERA posting mode "
        "Review in Admin > Payers)."
    )


def _blockers(
    context: _Context,
    work: _RemittanceWork,
    claim: Claim,
    payment: ClaimPayment,
    line_match: LineMatch,
    *,
    payer_id: uuid.UUID | None,
) -> list[str]:
    """Return why the claim payment cannot post even in auto mode."""
    reasons = []
    code = payment.status_code.strip()
    if code not in POSTABLE_CODES:
        reasons.append(
            f"The claim status code {code} ({claim_status_label(code)}) is not one ClinicDesk "
            "posts; check the payer's explanation and post it as a paper EOB if money moved."
        )
    if line_match.lines is None:
        services = ", ".join(_service_text(payment, index) for index in line_match.unmatched)
        reasons.append(
            f"These service lines match no line of claim {claim.claim_number}: {services}. "
            "Check the codes and charges against the claim."
        )
    if claim.status in _DEAD_VALUES:
        reasons.append(
            f"Claim {claim.claim_number} is {claim.status}: another claim bills its lines now. "
            "Choose the claim that replaced it."
        )
    if payer_id is None:
        reasons.append(_other_payer_reason(context, work, claim))
    if claim.payer_sequence not in PAYER_SEQUENCES:
        reasons.append(
            f"Claim {claim.claim_number} is billed to a payer after the third, and the ledger "
            "keeps primary, secondary and tertiary insurance only; post it by hand."
        )
    # A payer that is neither the claim's nor a crossover payer has no earlier payment
    # to count twice. The reason added above already sends the payment to review.
    current = _current_adjudication(context, work, claim, payer_id) if payer_id else None
    if current is not None and not replaces_denial(current, code):
        if claim.id in work.reversal_pending:
            reasons.append(
                f"The reversal of claim {claim.claim_number}'s earlier payment, earlier in "
                "this remittance, waits for review, so this correction waits too. Post the "
                "reversal first."
            )
        else:
            reasons.append(
                f"Claim {claim.claim_number} already has a posted {current.source} payment of "
                f"{format_money(current.paid_amount)} from {current.adjudicated_on:%m/%d/%Y}; "
                "posting this one too would count the claim twice. Ask the payer whether it "
                "is a second payment, or set this claim payment aside."
            )
    return reasons


_DEAD_VALUES = frozenset(status.value for status in DEAD_STATUSES)


def _other_payer_reason(context: _Context, work: _RemittanceWork, claim: Claim) -> str:
    """Explain a claim payment from a payer that neither was billed nor received a crossover."""
    assert work.payer is not None
    billed_name = _payer_name(context, claim.payer_id)
    reached = crossover_payers(
        claim, _coverages(context, work, claim.patient_id), work.adjudicated[claim.id]
    )
    if not reached:
        return (
            f"Claim {claim.claim_number} was billed to {billed_name}, but this remittance is "
            f"from {work.payer.name}. Check which claim the payer paid."
        )
    forwarded = " and ".join(_payer_name(context, payer_id) for payer_id in reached)
    return (
        f"Claim {claim.claim_number} was billed to {billed_name}, which forwarded it to "
        f"{forwarded} (crossover), but this remittance is from {work.payer.name}. Check "
        "which claim the payer paid and the patient's coverage order."
    )


def _payer_name(context: _Context, payer_id: uuid.UUID) -> str:
    return payer_name(context.session, payer_id)


def _adjudicating_payer(context: _Context, work: _RemittanceWork, claim: Claim) -> uuid.UUID | None:
    """Return the payer whose adjudication of the claim this payment is (see claim_crossover).

    A remittance from a payer ClinicDesk does not recognize counts as the claim's payer,
    because its claims wait in review anyway.
    """
    if work.payer is None:
        return claim.payer_id
    _current_adjudication(context, work, claim, claim.payer_id)
    return adjudicating_payer(
        claim,
        work.payer.id,
        work.adjudicated[claim.id],
        lambda: _coverages(context, work, claim.patient_id),
    )


def _current_adjudication(
    context: _Context, work: _RemittanceWork, claim: Claim, payer_id: uuid.UUID
) -> PayerAdjudication | None:
    """Return the claim's current adjudication by `payer_id`, loading the claim's once."""
    if claim.id not in work.adjudicated:
        work.adjudicated[claim.id] = current_adjudications(context.session, claim)
    return work.adjudicated[claim.id].get(payer_id)


def _coverages(context: _Context, work: _RemittanceWork, patient_id: uuid.UUID) -> list[Coverage]:
    if patient_id not in work.coverages:
        work.coverages[patient_id] = patient_coverages(context.session, patient_id)
    return work.coverages[patient_id]


def _prefetch_adjudications(context: _Context, work: _RemittanceWork) -> None:
    """Load the current adjudications of the claims the matcher loaded, in a few queries.

    The coverages of the patients whose claims another payer forwarded are loaded too,
    because a claim payment from this payer may be that crossover payer's.
    """
    claims = {claim.id: claim for claim in work.matcher.loaded_claims()}
    for claim_id in claims:
        work.adjudicated[claim_id] = {}
    ids = list(claims)
    for start in range(0, len(ids), _IN_CHUNK):
        query = (
            select(PayerAdjudication)
            .where(
                PayerAdjudication.claim_id.in_(ids[start : start + _IN_CHUNK]),
                PayerAdjudication.voided.is_(False),
                PayerAdjudication.archived.is_(False),
            )
            .order_by(PayerAdjudication.adjudicated_on, PayerAdjudication.created_at)
        )
        # Ordered oldest first, so each payer's newest is kept, as latest_adjudication
        # returns it.
        for adjudication in context.session.scalars(query):
            work.adjudicated[adjudication.claim_id][adjudication.payer_id] = adjudication

    if work.payer is None:
        return
    forwarded = {
        claim.patient_id
        for claim in claims.values()
        if claim.payer_id != work.payer.id
        and any(item.crossed_over for item in work.adjudicated[claim.id].values())
    }
    for patient_id in forwarded:
        work.coverages[patient_id] = []
    for part in chunks(list(forwarded)):
        coverages = select(Coverage).where(
            Coverage.patient_id.in_(part), Coverage.archived.is_(False)
        )
        for coverage in context.session.scalars(coverages):
            work.coverages[coverage.patient_id].append(coverage)


def _doubts(
    context: _Context,
    work: _RemittanceWork,
    payment: ClaimPayment,
    found: ClaimMatch,
    line_match: LineMatch,
) -> list[str]:
    """Return why "matched" mode leaves a postable claim payment for a biller."""
    doubts = []
    if found.method not in EXACT_METHODS:
        doubts.append(
            "The claim was found by the patient, date of service and charge, not by its "
            "claim number; check that it is the right claim."
        )
    if found.note:
        doubts.append(found.note)
    if line_match.loose:
        services = ", ".join(_service_text(payment, index) for index in line_match.loose)
        doubts.append(
            f"These service lines matched by procedure code and date only: {services}. "
            "Check them against the claim's lines."
        )
    if payment.status_code.strip() == DENIED_CODE:
        doubts.append("The payer denied the claim.")
    payer_id = work.payer.id if work.payer is not None else None
    flagged = []
    every = list(payment.adjustments) + [
        cas for service in payment.services for cas in service.adjustments
    ]
    for cas in every:
        action = context.rules.action(payer_id, cas.group_code, cas.reason_code)
        if action in (DENIAL, REVIEW):
            flagged.append(f"{cas.group_code} {cas.reason_code} ({action})")
    if flagged:
        doubts.append("Adjustments that need a biller: " + ", ".join(dict.fromkeys(flagged)) + ".")
    return doubts


def _service_text(payment: ClaimPayment, index: int) -> str:
    service = payment.services[index]
    code = service.submitted_code or service.procedure_code or "(no code)"
    when = f" on {service.service_date:%m/%d/%Y}" if service.service_date else ""
    return f"line {index + 1} ({code}{when}, {format_money(to_money(service.charge))})"


def _record(
    context: _Context,
    work: _RemittanceWork,
    row: ClaimPaymentRow,
    *,
    claim: Claim,
    payment: ClaimPayment,
    line_match: LineMatch,
    payer_id: uuid.UUID,
) -> ClaimPaymentRow:
    """Check the payer's adjudication and queue it for posting with the remittance."""
    form = adjudication_form(
        claim,
        payment,
        line_match.lines or {},
        adjudicated_on=work.adjudicated_on,
        response_id=context.response.id,
    )
    form.payer_id = payer_id
    lines = {line.id: line for line in work.matcher.lines_of(claim)}
    problems = adjudication_problems(form, claim, lines)
    errors = [problem.message for problem in problems if problem.severity is Severity.ERROR]
    if errors:
        return _to_review(row, errors)

    # The adjudication is recorded and posted with the rest of the remittance.
    row.state = STATE_POSTED
    row.posted_at = utc_now()
    row.posted_by = context.actor.user_id
    work.pending.append((row, CheckedForm(form, claim, lines, tuple(problems))))
    _store_interest(context, work, claim, payment)
    if payment.status_code.strip() in CROSSOVER_STATUSES:
        payer_name = work.payer.name if work.payer is not None else work.source.payer_name
        note_crossover(
            context.session, claim, payer_name, payment.crossover_payer, context.response.id
        )
    return row


def note_crossover(
    session: Session,
    claim: Claim,
    payer_name: str,
    crossover_payer: str | None,
    response_id: uuid.UUID | None,
) -> None:
    """Record on the claim that its payer forwarded it to the next payer (CLP02 19-21)."""
    forwarded_to = (crossover_payer or "").strip() or "the next payer"
    record_event(
        session,
        claim,
        ClaimEventKind.NOTE,
        user_id=None,
        detail=(
            f"{payer_name} forwarded the claim to {forwarded_to} itself (crossover). Do not "
            "bill that payer; wait for its remittance."
        ),
        response_id=response_id,
    )


def _reverse(
    context: _Context, work: _RemittanceWork, position: int, payment: ClaimPayment
) -> ClaimPaymentRow:
    """Reverse the claim's posted adjudication (CLP02 22), when the mode allows it now."""
    found = work.matcher.match_claim(payment, reversal=True)
    row = _claim_row(context, work, position, payment, found)
    claim = found.claim
    if claim is None:
        return _unapplied(row, found.note)

    payer_id = _adjudicating_payer(context, work, claim)
    current = _current_adjudication(context, work, claim, payer_id or claim.payer_id)
    if current is None:
        return _info(
            context,
            row,
            claim,
            f"The payer reversed an earlier payment of claim {claim.claim_number} that "
            "ClinicDesk has no posting of, so there was nothing to reverse.",
        )
    reasons = []
    if payer_id is None:
        reasons.append(_other_payer_reason(context, work, claim))
    waits = reversal_wait_reason(
        context.session,
        claim,
        current.payer_id,
        work.adjudicated[claim.id],
        lambda: _coverages(context, work, claim.patient_id),
    )
    if waits is not None:
        reasons.append(waits)
    if claim.id in work.matcher.taken:
        reasons.append(
            f"Claim {claim.claim_number} is paid earlier in this remittance, before this "
            "reversal; check which payment the payer reversed."
        )
    taken_back = to_money(-payment.paid) + interest_in_payment(payment)
    if taken_back != current.paid_amount:
        reasons.append(
            f"The reversal takes back {format_money(taken_back)}, but the posted "
            f"payment of claim {claim.claim_number} is {format_money(current.paid_amount)}; "
            "check which payment the payer reversed."
        )
    if work.mode not in (MODE_AUTO, MODE_MATCHED):
        reasons.append(_review_mode_reason(work))
    elif work.mode == MODE_MATCHED and found.method not in EXACT_METHODS:
        reasons.append(
            "The claim was found by the patient, date of service and charge, not by its "
            "claim number; check that it is the right claim."
        )
    if reasons:
        work.reversal_pending.add(claim.id)
        return _to_review(row, reasons)

    memo = f"Reversed by payment {work.source.trace_number} (claim status 22)"
    reverse_posting(context.session, context.actor, current.id, memo)
    work.adjudicated[claim.id].pop(current.payer_id, None)
    _store_interest(context, work, claim, payment)
    row.state = STATE_POSTED
    row.adjudication_id = current.id
    row.posted_at = utc_now()
    row.posted_by = context.actor.user_id
    return row


def _store_interest(
    context: _Context, work: _RemittanceWork, claim: Claim, payment: ClaimPayment
) -> None:
    """Store the claim interest of a claim payment that posts on the provider account."""
    if payment.interest is None:
        return
    if context.payee is None:
        context.payee = payee_identifier(context.session)
    row = interest_adjustment(context.actor, work.row, claim.id, payment, context.payee)
    if row is not None:
        context.session.add(row)


def _info(
    context: _Context, row: ClaimPaymentRow, claim: Claim | None, explanation: str
) -> ClaimPaymentRow:
    row.state = STATE_INFO
    row.review_reason = explanation
    if claim is not None:
        record_event(
            context.session,
            claim,
            ClaimEventKind.NOTE,
            user_id=None,
            detail=explanation,
            response_id=context.response.id,
        )
    return row


def _unapplied(row: ClaimPaymentRow, note: str) -> ClaimPaymentRow:
    row.state = STATE_UNAPPLIED
    row.review_reason = f"{note} Choose the claim in the unapplied queue, or set it aside."
    return row


def _to_review(row: ClaimPaymentRow, reasons: Sequence[str]) -> ClaimPaymentRow:
    row.state = STATE_REVIEW
    row.review_reason = " ".join(reasons)
    return row


def _post_collected(context: _Context, work: _RemittanceWork) -> None:
    """Record, plan and post the remittance's collected claim payments, 500 at a time.

    Each chunk's plans and ledger rows are dropped before the next chunk is planned, so a
    remittance of thousands of claims does not hold all of them at once.
    """
    for start in range(0, len(work.pending), _POST_CHUNK):
        _post_chunk(context, work.pending[start : start + _POST_CHUNK])


def _post_chunk(context: _Context, pending: Sequence[tuple[ClaimPaymentRow, CheckedForm]]) -> None:
    session = context.session
    checked = [item for _, item in pending]
    recorded = RecordedRows()
    outcomes = record_checked(
        session, context.actor, checked, posting_follows=True, recorded=recorded
    )
    items = []
    for (row, _), outcome in zip(pending, outcomes, strict=True):
        if outcome.record_id is None:
            # `_record` checked every form with the same checks, so this is a bug.
            raise RuntimeError(f"adjudication of claim payment {row.id} was rejected")
        row.adjudication_id = outcome.record_id
        items.append(PlanItem(outcome.record_id, row.id))
    # The claim payments go in now, with their adjudication ids, because a denial's
    # finding reads the stored loop text of its claim payment.
    insert_claim_payments(session, [row for row, _ in pending])
    recorded.new_sources.update(row.id for row, _ in pending)
    plans = plan_adjudications(session, items, context.rules, recorded=recorded)
    # The claim payments were inserted posted and linked just above.
    apply_plans(session, context.actor, plans, sources_linked=True)


def _remittance_status(work: _RemittanceWork) -> str:
    if any(state in (STATE_REVIEW, STATE_UNAPPLIED) for state in work.states):
        return REMITTANCE_REVIEW
    return REMITTANCE_POSTED


# ---- provider adjustments ------------------------------------------------------------------


def _store_provider_adjustments(
    session: Session,
    remittance: Remittance,
    items: Sequence[ProviderAdjustmentItem],
    actor: Actor,
) -> None:
    for item in items:
        session.add(
            ProviderAdjustment(
                remittance_id=remittance.id,
                provider_identifier=item.provider_identifier.strip()[:50],
                fiscal_period_date=item.fiscal_period_date,
                reason_code=item.reason_code.strip()[:2],
                reference=item.reference.strip()[:50],
                amount=to_money(item.amount),
                claim_id=claim_for_reference(session, item.reference),
                updated_by=actor.user_id,
            )
        )


def claim_for_reference(session: Session, reference: str) -> uuid.UUID | None:
    """Return the claim a PLB reference names by payer claim number or claim number.

    The reference is tried whole and split at "#", ":", "/" and spaces, because payers
    put a qualifier before the number (FCN#1400000...). None unless exactly one claim
    is named.
    """
    text = reference.strip()
    if not text:
        return None
    candidates = {text} | {part for part in _REFERENCE_PARTS.split(text) if part}
    # Claim numbers are issued in capitals, and some payers send them back in lower case.
    numbers = candidates | {part.upper() for part in candidates}
    query = select(Claim.id).where(
        or_(Claim.payer_claim_number.in_(candidates), Claim.claim_number.in_(numbers)),
        Claim.archived.is_(False),
    )
    found = list(session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None
