"""Time building, scrubbing and writing the claims of 5,000 posted encounters.

    python bench/bench_claims.py --encounters 5000 --runs 3

Each run makes a new encrypted database in a temporary folder with the practice of
tests/helpers/claim_data.py and a clearinghouse. It then inserts 1,000 patients, each
with an address and one Aetna or Cigna coverage, and the encounters in bulk. Each
encounter falls on a weekday of 2026 and has 1 to 3 diagnoses and 1 to 3 service lines
(99213, 99214, and J1100 with an NDC), each line with its ledger charge. Only the
three steps are timed, each in its own unit of work:

- build: `build_claims` for every posted encounter,
- documents: `claim_documents` of every claim built,
- scrub: `scrub_claims` for every claim built, given those documents,
- write: `write_837p` of those documents in one interchange, 100 claims per transaction set.

Documents and scrub share one unit of work, so the documents are loaded once for both
the scrub and the file, as a caller that builds, scrubs and writes in one go would do.

With `--db PATH`, each run copies that database (made by bench/generate.py; its recovery
passphrase comes from CLINICDESK_PASSPHRASE) to a temporary folder instead, so the file
itself stays unchanged and runs stay comparable. It picks 1,000 of the copy's patients
whose primary coverage, with a payer that has a payer code, is in force over the last 60
days. It adds a clearinghouse when the practice has none and a ZIP+4 when the practice
has a five-digit ZIP. The encounters fall on weekdays of those 60 days and bill the
demo's procedure codes at the demo's practice fees, with the demo's providers and
locations:

    CLINICDESK_PASSPHRASE='…' python bench/bench_claims.py --db bench/out/large.db \\
        --encounters 5000 --runs 3

Prints a Markdown table with the wall-clock and CPU seconds of each step. CPU seconds
of this process change less than wall-clock seconds when other programs share the CPU.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_claims.py` find the app package
    sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from sqlalchemy import insert, or_, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.clock import practice_today  # noqa: E402
from app.db.database import Database  # noqa: E402
from app.ids import new_id  # noqa: E402
from app.models.charges import ChargeLine, Encounter, EncounterDiagnosis  # noqa: E402
from app.models.claims import Clearinghouse  # noqa: E402
from app.models.ledger import LedgerEntry  # noqa: E402
from app.models.patients import Coverage, Patient  # noqa: E402
from app.models.practice import Payer, Practice  # noqa: E402
from app.paths import key_file_path  # noqa: E402
from app.security.permissions import Actor  # noqa: E402
from app.services import icd10, numbering  # noqa: E402
from app.services.claim_build import build_claims  # noqa: E402
from app.services.claim_documents import claim_documents, submitter_for  # noqa: E402
from app.services.claim_scrub import scrub_claims  # noqa: E402
from app.services.clearinghouses import save_clearinghouse  # noqa: E402
from app.services.demo import provider_slots  # noqa: E402
from app.services.demo_charges import DEMO_CODES, DEMO_NDC, biller_actor  # noqa: E402
from app.services.demo_claims import demo_clearinghouse_form  # noqa: E402
from app.services.ledger import CHARGE_LINE_SOURCE  # noqa: E402
from app.x12.writer_837p import write_837p  # noqa: E402
from tests.helpers.claim_data import (  # noqa: E402
    ClaimPractice,
    add_clearinghouse,
    build_claim_practice,
)
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

# The database is made for this run in a temporary folder and contains made-up data only.
PASSPHRASE = "bench claims passphrase"  # noqa: S105 (throwaway test database)
PATIENTS = 1_000
FIRST_DAY = date(2026, 1, 5)
LAST_DAY = FIRST_DAY + timedelta(days=299)
DIAGNOSES = ("E119", "I10", "J069", "R509", "E785", "K219", "M5450", "N390")


@dataclass(frozen=True)
class Service:
    """A service line to bill: code, charge, and the drug's NDC, quantity and unit if any."""

    code: str
    charge: Decimal
    ndc: tuple[str, str, str] | None = None


# Charges match the 2026 fee schedule of the claims test practice.
SERVICES = (
    Service("99213", Decimal("120.00")),
    Service("99214", Decimal("175.00")),
    Service("J1100", Decimal("15.00"), ("00777310502", "1", "ML")),
)
# The generated practice bills the demo's HCPCS codes at the demo's practice fees.
DEMO_FEES = {code.code: Decimal(code.fee) for code in DEMO_CODES}
DEMO_SERVICES = (
    Service("T1015", DEMO_FEES["T1015"]),
    Service("G2211", DEMO_FEES["G2211"]),
    Service("J3301", DEMO_FEES["J3301"], DEMO_NDC),
)
CREATED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Visits:
    """The providers, days, services and patients of the bulk encounters.

    Encounter `n` goes to `patients[n % len]` with `slots[n % len]`, a pair of rendering
    provider and location, on `days[n % len]`. Each patient comes with the payer that
    its charges are billed to.
    """

    slots: list[tuple[uuid.UUID, uuid.UUID]]
    days: list[date]
    user_id: uuid.UUID
    services: tuple[Service, ...]
    patients: list[tuple[uuid.UUID, uuid.UUID]]


@dataclass(frozen=True)
class Prepared:
    """A database with posted encounters, the biller who builds claims, the clearinghouse."""

    database: Database
    biller: Actor
    clearinghouse_id: uuid.UUID


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of each step of one run, with the counts it produced."""

    wall: dict[str, float]
    cpu: dict[str, float]
    claims: int
    ready: int
    file_bytes: int


STEPS = ("build", "documents", "scrub", "write")


class Clock:
    """Wall-clock and process CPU time since the last mark."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._marks = (time.perf_counter(), time.process_time())

    def mark(self, step: str) -> None:
        """Record the time since the previous mark as `step`."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[step] = wall - self._marks[0]
        self.cpu[step] = cpu - self._marks[1]
        self._marks = (wall, cpu)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encounters", type=int, default=5_000, help="posted encounters")
    parser.add_argument("--runs", type=int, default=3, help="databases to build and time")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random data")
    parser.add_argument(
        "--db",
        type=Path,
        help="database made by bench/generate.py to copy for each run, instead of a small "
        "new practice; its passphrase comes from CLINICDESK_PASSPHRASE",
    )
    return parser.parse_args(argv)


def weekdays(first: date, last: date) -> list[date]:
    """Return the weekdays from `first` through `last`."""
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def patient_rows(count: int, payer_ids: list[uuid.UUID]) -> tuple[list[dict[str, Any]], ...]:
    patients: list[dict[str, Any]] = []
    coverages: list[dict[str, Any]] = []
    for index in range(count):
        patient_id = new_id()
        patients.append(
            {
                "id": patient_id,
                "chart_number": f"B-{index:06d}",
                "first_name": "Pat",
                "last_name": f"Bench{index}",
                "date_of_birth": date(1950 + index % 50, 1 + index % 12, 1 + index % 28),
                "sex": "FM"[index % 2],
                "address_line1": f"{100 + index} Main St",
                "city": "Evanston",
                "state": "IL",
                "zip_code": "60201",
            }
        )
        coverages.append(
            {
                "id": new_id(),
                "patient_id": patient_id,
                "payer_id": payer_ids[index % len(payer_ids)],
                "priority": 1,
                "member_id": f"W{index:09d}",
                "group_number": "GRP-100",
            }
        )
    return patients, coverages


def encounter_rows(
    visits: Visits, count: int, rng: random.Random
) -> tuple[list[dict[str, Any]], ...]:
    """Return rows of posted encounters, their diagnoses, lines and ledger charges.

    The ledger charges carry what posting writes: the primary payer and the line's id.
    """
    user_id = visits.user_id
    encounters: list[dict[str, Any]] = []
    diagnoses: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    for index in range(count):
        encounter_id = new_id()
        patient_id, payer_id = visits.patients[index % len(visits.patients)]
        provider_id, location_id = visits.slots[index % len(visits.slots)]
        day = visits.days[index % len(visits.days)]
        encounters.append(
            {
                "id": encounter_id,
                "encounter_number": f"BE-{index:07d}",
                "patient_id": patient_id,
                "service_date": day,
                "rendering_provider_id": provider_id,
                "location_id": location_id,
                "place_of_service": "11",
                "status": "posted",
                "posted_at": CREATED_AT,
                "posted_by": user_id,
            }
        )
        codes = rng.sample(DIAGNOSES, rng.randint(1, 3))
        diagnoses.extend(
            {
                "id": new_id(),
                "encounter_id": encounter_id,
                "position": position,
                "code": code,
                "edition": "FY2026",
            }
            for position, code in enumerate(codes, start=1)
        )
        for position, service in enumerate(rng.sample(visits.services, rng.randint(1, 3)), start=1):
            line_id = new_id()
            ndc_code, ndc_quantity, ndc_unit = service.ndc or (None, None, None)
            lines.append(
                {
                    "id": line_id,
                    "encounter_id": encounter_id,
                    "position": position,
                    "service_date": day,
                    "procedure_code": service.code,
                    "units": 1,
                    "unit_fee": service.charge,
                    "charge_amount": service.charge,
                    "pointer1": 1,
                    "pointer2": 2 if len(codes) > 1 else None,
                    "ndc_code": ndc_code,
                    "ndc_quantity": ndc_quantity,
                    "ndc_unit": ndc_unit,
                }
            )
            charges.append(
                {
                    "id": new_id(),
                    "posted_at": CREATED_AT,
                    "posted_by": user_id,
                    "entry_type": "charge",
                    "amount": service.charge,
                    "patient_id": patient_id,
                    "payer_id": payer_id,
                    "responsible_party": "primary",
                    "service_date": day,
                    "source_type": CHARGE_LINE_SOURCE,
                    "source_id": line_id,
                    "charge_line_id": line_id,
                    "memo": f"Encounter BE-{index:07d} line {position}",
                }
            )
    return encounters, diagnoses, lines, charges


def insert_encounters(session: Session, rows: tuple[list[dict[str, Any]], ...]) -> None:
    for model, batch in zip(
        (Encounter, EncounterDiagnosis, ChargeLine, LedgerEntry), rows, strict=True
    ):
        session.execute(insert(model), batch)


def prepare(folder: Path, encounters: int, seed: int) -> Prepared:
    """Create the practice and insert the encounters in bulk (not timed)."""
    database = Database.create(folder / "claims.db", PASSPHRASE)
    practice: ClaimPractice = build_claim_practice(database)
    clearinghouse_id = add_clearinghouse(database)
    payer_ids = [practice.aetna_id, practice.cigna_id]
    patients, coverages = patient_rows(PATIENTS, payer_ids)
    location_id = practice.charge.location_id
    visits = Visits(
        slots=[
            (provider_id, location_id)
            for provider_id in practice.charge.scheduling.provider_ids[:2]
        ],
        days=weekdays(FIRST_DAY, LAST_DAY),
        user_id=practice.biller.user_id,
        services=SERVICES,
        patients=[(row["patient_id"], row["payer_id"]) for row in coverages],
    )
    rows = encounter_rows(visits, encounters, random.Random(seed))
    with database.transaction() as session:
        session.execute(insert(Patient), patients)
        session.execute(insert(Coverage), coverages)
        insert_encounters(session, rows)
    return Prepared(database, practice.biller, clearinghouse_id)


def copy_database(source: Path, folder: Path) -> Path:
    """Copy a database with its key file (and write-ahead log, if any) into `folder`."""
    target = folder / source.name
    shutil.copyfile(source, target)
    shutil.copyfile(key_file_path(source), key_file_path(target))
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    return target


def billed_patients(
    session: Session, days: list[date], count: int, rng: random.Random
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Return up to `count` patients, each with its payer's id, whose primary coverage
    is in force on all `days` with a payer that has a payer code."""
    query = (
        select(Coverage.patient_id, Coverage.payer_id)
        .join(Payer, Payer.id == Coverage.payer_id)
        .where(
            Coverage.priority == 1,
            Coverage.archived.is_(False),
            Payer.payer_code != "",
            or_(Coverage.effective_date.is_(None), Coverage.effective_date <= days[0]),
            or_(Coverage.termination_date.is_(None), Coverage.termination_date >= days[-1]),
        )
        .order_by(Coverage.patient_id)
    )
    candidates = [(row.patient_id, row.payer_id) for row in session.execute(query)]
    if not candidates:
        raise SystemExit(
            "No patient has a primary coverage to bill; generate the database with --patients."
        )
    # A small generated practice may have fewer; its patients then get more encounters each.
    return rng.sample(candidates, min(count, len(candidates)))


def claims_clearinghouse(session: Session, actor: Actor) -> uuid.UUID:
    """Return the practice's clearinghouse, adding the demo's when there is none, and send
    the claims of every payer without one through it."""
    clearinghouse_id = session.scalar(select(Clearinghouse.id).order_by(Clearinghouse.name))
    if clearinghouse_id is None:
        practice = session.scalars(select(Practice)).one()
        outcome = save_clearinghouse(session, actor, demo_clearinghouse_form(practice, None))
        outcome.raise_if_rejected()
        assert outcome.record_id is not None
        clearinghouse_id = outcome.record_id
    session.execute(
        update(Payer)
        .where(Payer.clearinghouse_id.is_(None))
        .values(clearinghouse_id=clearinghouse_id)
    )
    return clearinghouse_id


def prepare_copy(
    folder: Path, source: Path, passphrase: str, encounters: int, seed: int
) -> Prepared:
    """Copy the generated database and insert the encounters in bulk (not timed)."""
    database = Database.open(copy_database(source, folder), lambda _path: passphrase)
    rng = random.Random(seed)
    # The generated practice has no imported ICD-10 edition, so the scrub reads the
    # bundled one, which takes seconds once per process. The small practice reads it while
    # posting its first encounters, so it is read here too, before any timing.
    icd10.load_bundled_edition()
    with database.transaction() as session:
        biller = biller_actor(session, numbering.local_workstation(session).code)
        practice = session.scalars(select(Practice)).one()
        # Visits of the last 60 days, inside every demo payer's timely filing limit (90
        # days at the shortest), as a practice that sends claims every week would have.
        today = practice_today(practice.time_zone)
        days = weekdays(today - timedelta(days=60), today - timedelta(days=1))
        if "-" not in (practice.zip_code or ""):
            # A claim's billing address needs a ZIP+4; this is the demo practice's.
            practice.zip_code = f"{(practice.zip_code or '60201')[:5]}-3779"
        clearinghouse_id = claims_clearinghouse(session, biller)
        visits = Visits(
            slots=[(slot.provider_id, slot.location_id) for slot in provider_slots(session)],
            days=days,
            user_id=biller.user_id,
            services=DEMO_SERVICES,
            patients=billed_patients(session, days, PATIENTS, rng),
        )
        insert_encounters(session, encounter_rows(visits, encounters, rng))
    return Prepared(database, biller, clearinghouse_id)


def run_once(prepared: Prepared) -> Timing:
    database, biller, clearinghouse_id = (
        prepared.database,
        prepared.biller,
        prepared.clearinghouse_id,
    )
    try:
        clock = Clock()
        with database.transaction() as session:
            claim_ids = build_claims(session, biller).claim_ids
        clock.mark("build")

        with database.transaction() as session:
            documents = claim_documents(session, claim_ids)
            submitter = submitter_for(session, clearinghouse_id)
            clock.mark("documents")
            scrubbed = scrub_claims(session, biller, claim_ids, documents)
        clock.mark("scrub")
        written = write_837p(
            submitter,
            [documents[claim_id] for claim_id in claim_ids],
            interchange_number=1,
            group_number=1,
            created_at=CREATED_AT,
            claims_per_transaction=100,
        )
        clock.mark("write")
    finally:
        database.close()

    return Timing(
        wall=clock.wall,
        cpu=clock.cpu,
        claims=len(claim_ids),
        ready=len(scrubbed.ready),
        file_bytes=len(written.text),
    )


def print_table(timings: list[Timing], encounters: int) -> None:
    first = timings[0]
    print(f"{encounters:,} encounters, {first.claims:,} claims, {first.ready:,} ready after scrub,")
    print(f"837P file of {first.file_bytes:,} bytes; median of {len(timings)} runs\n")
    print("| step | wall s (median) | wall s (min) | CPU s of this process (median) |")
    print("|---|---:|---:|---:|")
    for step in (*STEPS, "total"):
        if step == "total":
            wall = [sum(timing.wall.values()) for timing in timings]
            cpu = [sum(timing.cpu.values()) for timing in timings]
        else:
            wall = [timing.wall[step] for timing in timings]
            cpu = [timing.cpu[step] for timing in timings]
        print(
            f"| {step} | {statistics.median(wall):.2f} | {min(wall):.2f} | "
            f"{statistics.median(cpu):.2f} |"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")
    if args.db is not None and not passphrase:
        print("Set CLINICDESK_PASSPHRASE to the recovery passphrase of the --db database.")
        return 2
    keyring.set_keyring(MemoryKeyring())
    timings: list[Timing] = []
    for run in range(args.runs):
        folder = Path(tempfile.mkdtemp(prefix="clinicdesk-bench-claims-"))
        try:
            if args.db is None:
                prepared = prepare(folder, args.encounters, args.seed + run)
            else:
                prepared = prepare_copy(
                    folder, args.db.resolve(), passphrase, args.encounters, args.seed + run
                )
            timings.append(run_once(prepared))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(timings, args.encounters)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
