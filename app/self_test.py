"""The self-test behind `clinicdesk --self-test`: a short day of front-office work, end to end.

It runs the same way from a source install and from the frozen bundle, so it catches
freezing problems (a hidden import, a data file or native library left out) as well as
broken services. Everything happens in a temporary folder that is deleted afterwards:
an encrypted demo database, two PDFs and a backup. The operating system's keyring is
never touched: the run swaps in keyring's "fail" backend, so the database is reopened
with the recovery passphrase, as on a workstation that has no keyring.

Each step is a function that takes the run's state, does one piece of work through the
services and returns a line saying what it checked. A step fails by raising. The run
stops at the first failure, because later steps build on earlier ones, and names the
steps it did not reach. A new feature adds its check as one more step in `SERVICE_STEPS`.
The window step lives in ui/self_test_window.py, because this package never imports Qt.
"""

import logging
import secrets
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import keyring
from keyring.backends.fail import Keyring as FailKeyring
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import app
from app.clock import utc_now
from app.db.database import Database
from app.db.migrate import SCHEMA_HEAD
from app.errors import UserError
from app.security import auth
from app.security.permissions import Actor
from app.services import booking, encounters, numbering
from app.services.demo import create_demo_database
from app.services.today import practice_today

if TYPE_CHECKING:
    from app.models.claims import ClaimLine
    from app.x12.writer_835 import WrittenService

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE_FILE = "self-test.db"
DEMO_PATIENTS = 10
DEMO_SEED = 1
# The demo creates these accounts, all with the administrator's password.
FRONT_DESK_USER = "frontdesk"
BILLER_USER = "biller"
MANAGER_USER = "manager"
# The demo bills this visit type as one clinic-visit line (T1015).
VISIT_TYPE = "Sick visit"
VISIT_START = time_of_day(10, 0)
DIAGNOSIS = "J06.9"
# The bundled edition indexes about 98,000 codes and headers. Far fewer means that a data
# file of simple-icd-10-cm is missing.
MIN_ICD10_CODES = 70_000
# US law sets 11 federal holidays (since 2021). Fewer than 10 means the country data did not load.
MIN_FEDERAL_HOLIDAYS = 10


class SelfTestError(Exception):
    """A check inside a self-test step found a wrong result."""


@dataclass
class SelfTestRun:
    """State that the steps share: the temporary folder, the open database and the records made."""

    folder: Path
    passphrase: str = field(default_factory=lambda: f"self test {secrets.token_hex(12)}")
    password: str = field(default_factory=lambda: f"Self-test-{secrets.token_hex(8)}")
    database: Database | None = None
    actors: dict[str, Actor] = field(default_factory=dict)
    today: date | None = None
    chart_number: str = ""
    patient_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    encounter_id: uuid.UUID | None = None
    claim_id: uuid.UUID | None = None
    claim_number: str = ""
    batch_id: uuid.UUID | None = None

    @property
    def database_path(self) -> Path:
        """The self-test database inside the temporary folder."""
        return self.folder / DATABASE_FILE

    def open_database(self) -> Database:
        """Return the open database, or raise SelfTestError when no step has opened it."""
        if self.database is None:
            raise SelfTestError("no database is open; the step that creates it did not run")
        return self.database

    def actor(self, username: str) -> Actor:
        """Return the signed-in demo user `username`."""
        if username not in self.actors:
            raise SelfTestError(f"{username} is not signed in; the sign-in step did not run")
        return self.actors[username]

    def value(self, found: T | None, description: str) -> T:
        """Return `found`, or raise SelfTestError naming the missing record `description`."""
        if found is None:
            raise SelfTestError(f"no {description} exists; the step that makes it did not run")
        return found

    def close(self) -> None:
        """Close the database if it is open."""
        if self.database is not None:
            self.database.close()
            self.database = None


@dataclass(frozen=True, slots=True)
class SelfTestStep:
    """One check: its title as printed, and the function that runs it."""

    title: str
    check: Callable[[SelfTestRun], str]


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did: passed or not, its one-line detail, and how long it took."""

    title: str
    passed: bool
    detail: str
    seconds: float
    trace: str = ""


# ---- the steps ------------------------------------------------------------------------


def check_bundled_data(_run: SelfTestRun) -> str:
    """Load every data file and lazily imported module that the services read."""
    from app.contact import normalize_phone_e164, suggest_city_state
    from app.services.icd10 import load_bundled_edition
    from app.services.place_of_service import place_name
    from app.services.schedule_blockouts import federal_holidays

    version = app.__version__
    if getattr(sys, "frozen", False) and version.endswith("+source"):
        raise SelfTestError("the bundle has no clinicdesk package metadata, so no version")
    if place_name("11") != "Office":
        raise SelfTestError(f"place of service 11 reads {place_name('11')!r}, not 'Office'")
    edition = load_bundled_edition()
    if len(edition) < MIN_ICD10_CODES or edition.get("J069") is None:
        raise SelfTestError(f"the bundled ICD-10-CM edition has only {len(edition)} codes")
    year = utc_now().year
    holidays = federal_holidays(year)
    if len(holidays) < MIN_FEDERAL_HOLIDAYS:
        raise SelfTestError(f"found {len(holidays)} US federal holidays in {year}")
    place = suggest_city_state("60201")
    if place is None or place.state != "IL":
        raise SelfTestError(f"ZIP 60201 gave {place}, not a place in Illinois")
    phone = normalize_phone_e164("(847) 555-0100")
    if phone != "+18475550100":
        raise SelfTestError(f"the phone number (847) 555-0100 became {phone!r}")
    return (
        f"version {version}; {len(edition):,} ICD-10-CM codes; place-of-service codes; "
        f"{len(holidays)} US holidays in {year}; ZIP and phone-number data"
    )


def create_database(run: SelfTestRun) -> str:
    """Create the encrypted demo practice in the temporary folder, then close it."""
    database, _admin, summary = create_demo_database(
        run.database_path,
        run.passphrase,
        "admin",
        run.password,
        DEMO_PATIENTS,
        DEMO_SEED,
        utc_now().date(),
    )
    database.close()
    return (
        f"demo practice with {summary.providers} providers, {summary.payers} payers, "
        f"{summary.patients} patients and {summary.appointments} appointments"
    )


def reopen_with_passphrase(run: SelfTestRun) -> str:
    """Reopen the database with the recovery passphrase and sign in the demo users."""
    run.database = Database.open(run.database_path, lambda _path: run.passphrase)
    with run.database.transaction() as session:
        cipher = session.execute(text("PRAGMA cipher_version")).scalar_one()
        workstation = numbering.local_workstation(session).code
        for username in (FRONT_DESK_USER, BILLER_USER, MANAGER_USER):
            result = auth.sign_in(session, username, run.password, workstation)
            if result.actor is None:
                raise SelfTestError(f"{username} could not sign in: {result.message}")
            run.actors[username] = result.actor
        run.today = practice_today(session)
    return (
        f"SQLCipher {cipher}, schema {SCHEMA_HEAD}, key from the recovery passphrase; "
        f"signed in {', '.join(run.actors)}"
    )


def register_patient(run: SelfTestRun) -> str:
    """Register a new patient with a phone number and an insurance coverage."""
    from app.services.patient_forms import CoverageForm, PhoneEntry
    from app.services.registration import new_patient_form, payer_choices, save_patient

    front_desk = run.actor(FRONT_DESK_USER)
    today = run.value(run.today, "practice date")
    with run.open_database().transaction() as session:
        payers = payer_choices(session, front_desk)
        if not payers:
            raise SelfTestError("the demo practice has no payers")
        form = new_patient_form()
        form.first_name, form.last_name = "Avery", "Selftest"
        form.sex, form.date_of_birth = "F", date(1980, 4, 12)
        form.address_line1, form.city, form.state = "1800 Sherman Avenue", "Evanston", "IL"
        form.zip_code = "60201"
        form.phones = [PhoneEntry("mobile", "(847) 555-0142")]
        form.coverages = [
            CoverageForm(payer_id=payers[0].id, member_id="SELF123456", effective_date=today)
        ]
        outcome = save_patient(session, front_desk, form, today)
    if not outcome.saved or outcome.patient_id is None:
        raise SelfTestError(f"registration was rejected: {_problem_text(outcome.problems)}")
    run.patient_id = outcome.patient_id
    run.chart_number = outcome.chart_number or ""
    return f"chart number {run.chart_number}, one coverage"


def export_fhir(run: SelfTestRun) -> str:
    """Export the new patient as a FHIR R4 bundle, which fhir.resources validates."""
    from app.services.fhir_export import export_patient_bundle

    patient_id = run.value(run.patient_id, "registered patient")
    with run.open_database().transaction() as session:
        bundle = export_patient_bundle(
            session, run.actor(FRONT_DESK_USER), patient_id, run.value(run.today, "date")
        )
    return f"FHIR bundle of {len(bundle['entry'])} resources passed validation"


def book_visit(run: SelfTestRun) -> str:
    """Book today's sick visit for the new patient with the first provider."""
    from app.services.calendar_view import booking_choices

    patient_id = run.value(run.patient_id, "registered patient")
    today = run.value(run.today, "practice date")
    manager = run.actor(MANAGER_USER)
    with run.open_database().transaction() as session:
        choices = booking_choices(session, manager)
        visit_type = next((row for row in choices.types if row.label == VISIT_TYPE), None)
        if visit_type is None or not choices.providers or not choices.locations:
            raise SelfTestError(f"the demo has no provider, location or {VISIT_TYPE!r} type")
        request = booking.BookingRequest(
            patient_id=patient_id,
            provider_id=choices.providers[0].id,
            location_id=choices.locations[0].id,
            starts_at=datetime.combine(today, VISIT_START),
            duration_minutes=visit_type.minutes or 15,
            appointment_type_id=visit_type.id,
        )
        # Today may be a weekend or a holiday, outside the demo's working hours. The manager
        # then books with an override, as the front desk would ask a manager to.
        outcome = booking.book(session, manager, request, "self-test visit")
    if outcome.appointment_id is None:
        kinds = ", ".join(conflict.kind for conflict in outcome.conflicts)
        raise SelfTestError(f"the booking was blocked by conflicts: {kinds}")
    run.appointment_id = outcome.appointment_id
    return f"{VISIT_TYPE.lower()} at {VISIT_START:%H:%M} today, {len(outcome.conflicts)} conflicts"


def check_in_and_out(run: SelfTestRun) -> str:
    """Check the patient in and out, which opens the visit's draft encounter."""
    appointment_id = run.value(run.appointment_id, "booked visit")
    front_desk = run.actor(FRONT_DESK_USER)
    with run.open_database().transaction() as session:
        booking.set_status(session, front_desk, appointment_id, "arrived")
        booking.checkout(session, front_desk, appointment_id)
        run.encounter_id = encounters.encounter_for_appointment(
            session, run.actor(BILLER_USER), appointment_id
        )
    return "arrived, checked out, draft encounter created"


def post_charge(run: SelfTestRun) -> str:
    """Add a diagnosis to the draft encounter and post its charges to the ledger."""
    encounter_id = run.value(run.encounter_id, "draft encounter")
    biller = run.actor(BILLER_USER)
    with run.open_database().transaction() as session:
        form = encounters.load_encounter(session, biller, encounter_id)
        if not form.lines:
            raise SelfTestError(f"the {VISIT_TYPE!r} visit's encounter has no service lines")
        form.diagnoses = [DIAGNOSIS]
        for line in form.lines:
            line.pointers = [1]
        encounters.save_encounter(session, biller, form).raise_if_rejected()
        encounters.post_encounter(session, biller, encounter_id)
        posted = encounters.posted_lines(session, biller, encounter_id)
    total = sum(line.charge_amount for line in posted)
    codes = ", ".join(line.procedure_code for line in posted)
    return f"posted {len(posted)} line(s) ({codes}) totaling ${total}, diagnosis {DIAGNOSIS}"


def print_superbill(run: SelfTestRun) -> str:
    """Render the visit's superbill PDF and read the chart number back from it."""
    from app.services.superbill import superbill_pdf

    appointment_id = run.value(run.appointment_id, "booked visit")
    actor = run.actor(FRONT_DESK_USER)

    def render(session: Session, path: Path) -> Path:
        return superbill_pdf(session, actor, appointment_id, path)

    return _render_pdf(run, "superbill.pdf", render)


def print_walkout(run: SelfTestRun) -> str:
    """Render the encounter's walkout receipt PDF and read the chart number back from it."""
    from app.services.walkout import walkout_pdf

    encounter_id = run.value(run.encounter_id, "posted encounter")
    actor = run.actor(FRONT_DESK_USER)

    def render(session: Session, path: Path) -> Path:
        return walkout_pdf(session, actor, encounter_id, path)

    return _render_pdf(run, "walkout.pdf", render)


def build_claim(run: SelfTestRun) -> str:
    """Build the posted visit's claim and scrub it; it must be ready to send."""
    from app.models.claims import Claim
    from app.services.claim_build import build_claims
    from app.services.claim_scrub import scrub_claims

    encounter_id = run.value(run.encounter_id, "posted encounter")
    biller = run.actor(BILLER_USER)
    with run.open_database().transaction() as session:
        built = build_claims(session, biller, encounter_ids=[encounter_id])
        if len(built.claim_ids) != 1:
            reasons = _problem_text(built.skipped)
            raise SelfTestError(f"{len(built.claim_ids)} claims were built, not 1: {reasons}")
        run.claim_id = built.claim_ids[0]
        result = scrub_claims(session, biller, [run.claim_id])
        findings = result.findings.get(run.claim_id, [])
        if run.claim_id not in result.ready:
            errors = [finding.message for finding in findings if finding.severity == "error"]
            raise SelfTestError(f"the claim is on hold: {_problem_text(errors)}")
        run.claim_number = session.get_one(Claim, run.claim_id).claim_number
    return f"claim {run.claim_number} built and scrubbed: ready, {len(findings)} warning(s)"


def write_837p(run: SelfTestRun) -> str:
    """Save the claim's 837P batch in the outbox folder, check it with pyx12, read it back."""
    from app.services.claim_batches import create_batches, export_batch
    from app.x12.reader_837p import read_837p
    from app.x12.validate import pyx12_errors

    claim_id = run.value(run.claim_id, "ready claim")
    biller = run.actor(BILLER_USER)
    with run.open_database().transaction() as session:
        result = create_batches(session, biller, [claim_id])
        if len(result.batch_ids) != 1:
            raise SelfTestError(f"no 837P batch was created: {_problem_text(result.problems)}")
        run.batch_id = result.batch_ids[0]
        path = export_batch(session, biller, run.batch_id)

    text = path.read_text(encoding="utf-8")
    errors = pyx12_errors(text)
    if errors:
        raise SelfTestError(f"pyx12 found {len(errors)} problem(s) in {path.name}: {errors[0]}")
    numbers = [claim.claim_number for claim in read_837p(text)]
    if numbers != [run.claim_number]:
        raise SelfTestError(f"{path.name} reads back as claims {numbers}, not {run.claim_number}")
    return f"{path.name}: {len(text.splitlines())} segments, valid by pyx12, read back"


def import_acknowledgements(run: SelfTestRun) -> str:
    """Import a 999 and a 277CA accepting the batch; the claim must become accepted."""
    from app.models.claims import Claim, ClaimBatch, ClaimBatchItem, Clearinghouse
    from app.models.patients import Coverage, Patient
    from app.models.practice import Practice
    from app.services import demo_responses
    from app.services.claim_status import ClaimStatus
    from app.services.x12_control import next_interchange_number
    from app.services.x12_responses import import_response

    batch_id = run.value(run.batch_id, "sent batch")
    biller = run.actor(BILLER_USER)
    when = datetime.now()  # noqa: DTZ005 (the file's local time, as a clearinghouse writes it)
    with run.open_database().transaction() as session:
        batch = session.get_one(ClaimBatch, batch_id)
        clearinghouse = session.get_one(Clearinghouse, batch.clearinghouse_id)
        item = session.scalars(
            select(ClaimBatchItem).where(ClaimBatchItem.batch_id == batch_id)
        ).one()
        claim = session.get_one(Claim, item.claim_id)
        patient = session.get_one(Patient, claim.patient_id)
        coverage = session.get_one(Coverage, claim.coverage_id)
        practice = session.scalars(select(Practice)).one()
        ack = demo_responses.acknowledgement_999(
            clearinghouse,
            batch,
            [item.transaction_control_number],
            control=next_interchange_number(session),
            when=when,
        )
        verdict = demo_responses.ClaimVerdict(
            claim_number=claim.claim_number,
            amount=claim.total_charge,
            status=demo_responses.ACCEPTED_STATUS,
            patient_last_name=patient.last_name,
            patient_first_name=patient.first_name,
            member_id=coverage.member_id,
            service_date=claim.service_date_from,
            payer_claim_number="SELFTEST1",
        )
        status_file = demo_responses.acknowledgement_277ca(
            clearinghouse,
            practice.legal_name,
            practice.billing_npi,
            [verdict],
            control=next_interchange_number(session),
            when=when,
        )
        import_response(session, biller, ack, "self-test.999")
        result = import_response(session, biller, status_file, "self-test.277")
        session.flush()
        if claim.status != ClaimStatus.ACCEPTED:
            raise SelfTestError(f"after the 277CA the claim is {claim.status}, not accepted")
    return f"999 and 277CA imported: {result.summary}"


def print_cms1500(run: SelfTestRun) -> str:
    """Render the claim on a CMS-1500 form and read its claim number back from the PDF."""
    from app.services.claim_printing import print_claims

    claim_id = run.value(run.claim_id, "claim")
    path = run.folder / "cms1500.pdf"
    with run.open_database().transaction() as session:
        print_claims(session, run.actor(BILLER_USER), [claim_id], path, mode="form")
    return _check_pdf(path, run.claim_number, "claim number")


def post_remittance(run: SelfTestRun) -> str:
    """Play the payer: write an 835 paying the claim, import it, and check what it posted.

    The payer pays 70% of each line, leaves 10% to the patient as coinsurance and writes
    the rest off as contractual, so the step exercises payment, write-off and transfer.
    """
    from app.models.claims import Claim, ClaimLine, Clearinghouse
    from app.models.patients import Coverage, Patient
    from app.models.practice import Payer, Practice
    from app.services.era_import import import_835
    from app.services.ledger import PATIENT_BUCKET, balances_by_bucket
    from app.services.x12_control import next_interchange_number
    from app.x12.writer_835 import WrittenClaim, WrittenRemittance, write_835

    claim_id = run.value(run.claim_id, "claim")
    biller = run.actor(BILLER_USER)
    with run.open_database().transaction() as session:
        claim = session.get_one(Claim, claim_id)
        lines = session.scalars(
            select(ClaimLine).where(ClaimLine.claim_id == claim_id).order_by(ClaimLine.line_number)
        ).all()
        services = [_paid_service(line) for line in lines]
        patient = session.get_one(Patient, claim.patient_id)
        payer = session.get_one(Payer, claim.payer_id)
        practice = session.scalars(select(Practice)).one()
        remittance = WrittenRemittance(
            payer_name=payer.name,
            payer_identifier=payer.payer_code,
            payee_name=practice.legal_name,
            payee_npi=practice.billing_npi,
            trace_number="SELFTEST835",
            payment_date=practice_today(session),
            claims=[
                WrittenClaim(
                    patient_control_number=claim.claim_number,
                    status_code="1",
                    charge=claim.total_charge,
                    paid=sum((service.paid for service in services), Decimal("0.00")),
                    patient_responsibility=sum(
                        (_patient_share(service) for service in services), Decimal("0.00")
                    ),
                    payer_claim_number="SELFTEST1",
                    patient_last=patient.last_name,
                    patient_first=patient.first_name,
                    member_id=session.get_one(Coverage, claim.coverage_id).member_id,
                    services=services,
                )
            ],
        )
        clearinghouse = session.get_one(Clearinghouse, claim.clearinghouse_id)
        text = write_835(
            [remittance],
            control_number=next_interchange_number(session),
            sender_id=clearinghouse.isa_receiver_id,
            receiver_id=clearinghouse.isa_sender_id,
            usage=clearinghouse.usage_indicator,
        )
        result = import_835(session, biller, text, "self-test.835")
        session.flush()
        if result.posted != 1:
            raise SelfTestError(f"the 835 posted {result.posted} claim payments, not 1")
        owed = balances_by_bucket(session, claim.patient_id).get(PATIENT_BUCKET, Decimal("0.00"))
        expected = remittance.claims[0].patient_responsibility
        if owed != expected:
            raise SelfTestError(f"the patient owes {owed} after posting, not {expected}")
        status = claim.status
    return f"835 imported and posted: claim {status}, {result.paid_total} paid, {owed} to patient"


def _paid_service(line: "ClaimLine") -> "WrittenService":
    from app.x12.writer_835 import WrittenCas, WrittenService

    paid = (line.charge_amount * Decimal("0.70")).quantize(Decimal("0.01"))
    coinsurance = (line.charge_amount * Decimal("0.10")).quantize(Decimal("0.01"))
    modifiers = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    return WrittenService(
        procedure_code=line.procedure_code,
        modifiers=tuple(modifier for modifier in modifiers if modifier),
        charge=line.charge_amount,
        paid=paid,
        units=line.units,
        service_date=line.service_date,
        line_control_number=line.line_control_number,
        adjustments=[
            WrittenCas("CO", "45", line.charge_amount - paid - coinsurance),
            WrittenCas("PR", "2", coinsurance),
        ],
    )


def _patient_share(service: "WrittenService") -> Decimal:
    return sum(
        (cas.amount for cas in service.adjustments if cas.group_code == "PR"), Decimal("0.00")
    )


def take_patient_payment(run: SelfTestRun) -> str:
    """Take a cash prepayment at the desk and read its receipt number back from the PDF."""
    from app.services.payment_receipt import payment_receipt, write_receipt_pdf
    from app.services.payments import PaymentForm, take_payment

    patient_id = run.value(run.patient_id, "registered patient")
    front_desk = run.actor(FRONT_DESK_USER)
    form = PaymentForm(patient_id, Decimal("20.00"), "cash", kind="prepayment")
    path = run.folder / "receipt.pdf"
    with run.open_database().transaction() as session:
        outcome = take_payment(session, front_desk, form)
        if outcome.record_id is None:
            raise SelfTestError(f"the payment was refused: {_problem_text(outcome.problems)}")
        number = payment_receipt(session, front_desk, outcome.record_id).receipt_number
        write_receipt_pdf(session, front_desk, outcome.record_id, path)
    return _check_pdf(path, number, "receipt number")


def run_statements_step(run: SelfTestRun) -> str:
    """Run patient statements, then lock one the way an emailed statement is locked."""
    import io

    from pypdf import PdfReader

    from app.services.statement_email import lock_pdf
    from app.services.statement_runs import run_statements
    from app.services.today import practice_today

    path = run.folder / "statements.pdf"
    with run.open_database().transaction() as session:
        outcome = run_statements(session, run.actor(BILLER_USER), practice_today(session))
    if outcome.batch_pdf is None:
        raise SelfTestError("the statement run printed no statements")
    path.write_bytes(outcome.batch_pdf)
    detail = _check_pdf(path, "Amount enclosed", "remittance stub")

    # Emailed statements are locked with AES, which needs the cryptography package.
    locked = PdfReader(io.BytesIO(lock_pdf(outcome.batch_pdf, "01021990")))
    if not locked.is_encrypted or not locked.decrypt("01021990"):
        raise SelfTestError("a locked statement did not open with its password")
    return f"{outcome.printed} printed, {outcome.queued} to email; {detail}; locking works"


def verify_ledger(run: SelfTestRun) -> str:
    """Run every ledger check (row hashes, audit trail, balances, reversals)."""
    from app.services.ledger_verify import ledger_check

    with run.open_database().transaction() as session:
        findings = ledger_check(session, run.actor(MANAGER_USER))
    if findings:
        first = findings[0]
        raise SelfTestError(f"{len(findings)} ledger findings, first: {first.message}")
    return "no findings"


def back_up(run: SelfTestRun) -> str:
    """Write an encrypted backup into the temporary folder and verify it."""
    from app.services.backup import backup_database

    result = backup_database(
        run.open_database(), run.actor(MANAGER_USER), folder=run.folder / "backups"
    )
    if not result.verified:
        raise SelfTestError(f"the backup {result.path.name} was written but not verified")
    return f"verified backup of {len(result.table_counts)} tables, {result.size_bytes:,} bytes"


SERVICE_STEPS: tuple[SelfTestStep, ...] = (
    SelfTestStep("load bundled data files", check_bundled_data),
    SelfTestStep("create an encrypted demo practice", create_database),
    SelfTestStep("reopen it with the recovery passphrase and sign in", reopen_with_passphrase),
    SelfTestStep("register a patient", register_patient),
    SelfTestStep("export the patient as FHIR", export_fhir),
    SelfTestStep("book a visit", book_visit),
    SelfTestStep("check the patient in and out", check_in_and_out),
    SelfTestStep("post the visit's charges", post_charge),
    SelfTestStep("render the superbill PDF", print_superbill),
    SelfTestStep("render the walkout receipt PDF", print_walkout),
    SelfTestStep("build and scrub the visit's claim", build_claim),
    SelfTestStep("write the 837P file and check it with pyx12", write_837p),
    SelfTestStep("import a 999 and a 277CA for it", import_acknowledgements),
    SelfTestStep("render the CMS-1500 PDF", print_cms1500),
    SelfTestStep("post an 835 remittance paying it", post_remittance),
    SelfTestStep("take a patient payment and render its receipt", take_patient_payment),
    SelfTestStep("run statements and lock one for email", run_statements_step),
    SelfTestStep("verify the ledger", verify_ledger),
    SelfTestStep("back up and verify the database", back_up),
)


# ---- running the steps ----------------------------------------------------------------


def _problem_text(problems: Sequence[object]) -> str:
    return "; ".join(str(problem) for problem in problems) or "no reason given"


def _render_pdf(run: SelfTestRun, file_name: str, render: Callable[[Session, Path], Path]) -> str:
    path = run.folder / file_name
    with run.open_database().transaction() as session:
        render(session, path)
    return _check_pdf(path, run.chart_number)


def _check_pdf(path: Path, expected: str, what: str = "chart number") -> str:
    """Describe the PDF at `path`, raising SelfTestError unless its text contains `expected`."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    content = "\n".join(page.extract_text() for page in reader.pages)
    if expected not in content:
        raise SelfTestError(f"{path.name} does not contain the {what} {expected}")
    return f"{len(reader.pages)} page(s), {path.stat().st_size:,} bytes, shows {what} {expected}"


@contextmanager
def _without_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def _run_step(run: SelfTestRun, step: SelfTestStep) -> StepResult:
    started = time.perf_counter()
    try:
        detail = step.check(run)
    except (SelfTestError, UserError) as exc:
        log.warning("self-test step %r failed: %s", step.title, type(exc).__name__)
        return StepResult(step.title, False, str(exc), time.perf_counter() - started)
    except Exception as exc:  # an unexpected error fails the step, not the whole run
        log.exception("self-test step %r raised", step.title)
        detail = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - started
        return StepResult(step.title, False, detail, seconds, traceback.format_exc())
    return StepResult(step.title, True, detail, time.perf_counter() - started)


def _print(out: TextIO | None, line: str) -> None:
    # A windowed program started without a console has no sys.stdout at all.
    if out is not None:
        out.write(line + "\n")
        out.flush()


def _report(out: TextIO | None, result: StepResult) -> None:
    mark = "ok  " if result.passed else "FAIL"
    _print(out, f"{mark} {result.title} ({result.seconds:.1f} s): {result.detail}")
    if result.trace:
        _print(out, result.trace.rstrip())


def run_self_test(
    steps: Sequence[SelfTestStep],
    out: TextIO | None,
    folder: Path | None = None,
) -> list[StepResult]:
    """Run `steps` in order, print one line each to `out`, and return their results.

    The run stops at the first failed step and prints the titles of the steps it skipped.
    Work happens in a new temporary folder inside `folder` (default: the system's),
    which is removed afterwards, and the keyring is restored to the one in use before.
    """
    started = time.perf_counter()
    results: list[StepResult] = []
    work_folder = Path(tempfile.mkdtemp(prefix="clinicdesk-self-test-", dir=folder))
    run = SelfTestRun(work_folder)
    _print(out, f"ClinicDesk {app.__version__} self-test in {work_folder}")
    try:
        with _without_keyring():
            for step in steps:
                result = _run_step(run, step)
                results.append(result)
                _report(out, result)
                if not result.passed:
                    break
    finally:
        run.close()
        shutil.rmtree(work_folder, ignore_errors=True)

    skipped = [step.title for step in steps[len(results) :]]
    for title in skipped:
        _print(out, f"skip {title}: not run after the failure above")
    passed = sum(result.passed for result in results)
    seconds = time.perf_counter() - started
    verdict = "passed" if passed == len(steps) else "FAILED"
    _print(out, f"self-test {verdict}: {passed} of {len(steps)} steps passed in {seconds:.1f} s")
    log.info("self-test %s: %d of %d steps in %.1f s", verdict, passed, len(steps), seconds)
    return results


def all_passed(results: Sequence[StepResult], steps: Sequence[SelfTestStep]) -> bool:
    """Return True when every one of `steps` ran and passed."""
    return len(results) == len(steps) and all(result.passed for result in results)
