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

Prints a Markdown table with the wall-clock and CPU seconds of each step. CPU seconds
of this process change less than wall-clock seconds when other programs share the CPU.
"""

import argparse
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
from sqlalchemy import insert  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.ids import new_id  # noqa: E402
from app.models.charges import ChargeLine, Encounter, EncounterDiagnosis  # noqa: E402
from app.models.ledger import LedgerEntry  # noqa: E402
from app.models.patients import Coverage, Patient  # noqa: E402
from app.services.claim_build import build_claims  # noqa: E402
from app.services.claim_documents import claim_documents, submitter_for  # noqa: E402
from app.services.claim_scrub import scrub_claims  # noqa: E402
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
DIAGNOSES = ("E119", "I10", "J069", "R509", "E785", "K219", "M5450", "N390")
# (code, charge, NDC or None); charges match the 2026 practice fee schedule.
SERVICES = (
    ("99213", Decimal("120.00"), None),
    ("99214", Decimal("175.00"), None),
    ("J1100", Decimal("15.00"), "00777310502"),
)
CREATED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


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
    return parser.parse_args(argv)


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
    practice: ClaimPractice, patient_ids: list[uuid.UUID], count: int, rng: random.Random
) -> tuple[list[dict[str, Any]], ...]:
    """Return rows of posted encounters, their diagnoses, lines and ledger charges."""
    provider_ids = practice.charge.scheduling.provider_ids
    user_id = practice.biller.user_id
    weekdays = [
        FIRST_DAY + timedelta(days=offset)
        for offset in range(300)
        if (FIRST_DAY + timedelta(days=offset)).weekday() < 5
    ]
    encounters: list[dict[str, Any]] = []
    diagnoses: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []
    for index in range(count):
        encounter_id = new_id()
        patient_id = patient_ids[index % len(patient_ids)]
        day = weekdays[index % len(weekdays)]
        encounters.append(
            {
                "id": encounter_id,
                "encounter_number": f"BE-{index:07d}",
                "patient_id": patient_id,
                "service_date": day,
                "rendering_provider_id": provider_ids[index % 2],
                "location_id": practice.charge.location_id,
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
        for position, (code, charge, ndc) in enumerate(
            rng.sample(SERVICES, rng.randint(1, 3)), start=1
        ):
            line_id = new_id()
            lines.append(
                {
                    "id": line_id,
                    "encounter_id": encounter_id,
                    "position": position,
                    "service_date": day,
                    "procedure_code": code,
                    "units": 1,
                    "unit_fee": charge,
                    "charge_amount": charge,
                    "pointer1": 1,
                    "pointer2": 2 if len(codes) > 1 else None,
                    "ndc_code": ndc,
                    "ndc_quantity": "1" if ndc else None,
                    "ndc_unit": "ML" if ndc else None,
                }
            )
            charges.append(
                {
                    "id": new_id(),
                    "posted_at": CREATED_AT,
                    "posted_by": user_id,
                    "entry_type": "charge",
                    "amount": charge,
                    "patient_id": patient_id,
                    "responsible_party": "primary",
                    "service_date": day,
                    "source_type": CHARGE_LINE_SOURCE,
                    "source_id": line_id,
                    "memo": f"Encounter BE-{index:07d} line {position}",
                }
            )
    return encounters, diagnoses, lines, charges


def prepare(folder: Path, encounters: int, seed: int) -> tuple[ClaimPractice, uuid.UUID]:
    """Create the practice and insert the encounters in bulk (not timed)."""
    database = Database.create(folder / "claims.db", PASSPHRASE)
    practice = build_claim_practice(database)
    clearinghouse_id = add_clearinghouse(database)
    payer_ids = [practice.aetna_id, practice.cigna_id]
    patients, coverages = patient_rows(PATIENTS, payer_ids)
    rows = encounter_rows(
        practice, [row["id"] for row in patients], encounters, random.Random(seed)
    )
    with database.transaction() as session:
        session.execute(insert(Patient), patients)
        session.execute(insert(Coverage), coverages)
        for model, batch in zip(
            (Encounter, EncounterDiagnosis, ChargeLine, LedgerEntry), rows, strict=True
        ):
            session.execute(insert(model), batch)
    return practice, clearinghouse_id


def run_once(folder: Path, encounters: int, seed: int) -> Timing:
    practice, clearinghouse_id = prepare(folder, encounters, seed)
    database = practice.database
    try:
        clock = Clock()
        with database.transaction() as session:
            claim_ids = build_claims(session, practice.biller).claim_ids
        clock.mark("build")

        with database.transaction() as session:
            documents = claim_documents(session, claim_ids)
            submitter = submitter_for(session, clearinghouse_id)
            clock.mark("documents")
            scrubbed = scrub_claims(session, practice.biller, claim_ids, documents)
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
    keyring.set_keyring(MemoryKeyring())
    timings: list[Timing] = []
    for run in range(args.runs):
        folder = Path(tempfile.mkdtemp(prefix="clinicdesk-bench-claims-"))
        try:
            timings.append(run_once(folder, args.encounters, args.seed + run))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(timings, args.encounters)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
