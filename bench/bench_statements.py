"""Time previewing and running patient statements for 3,000 guarantor accounts.

    python bench/bench_statements.py --accounts 3000 --runs 1 --profile 25

Each run makes a new encrypted database in a temporary folder with the practice of
tests/helpers/ledger_data.py and the procedure labels of tests/helpers/statement_data.py.
It then inserts, in bulk, `--accounts` guarantor accounts that owe money, plus one
tenth as many that a run skips. Nothing in this setup is timed. The owing accounts are:

- self-pay (40%): one patient with 1 to 5 charges and, for half of them, a cash payment
  that leaves part of the first charge open;
- family (25%): a guarantor patient and 1 or 2 dependents, 1 to 3 charges each;
- person guarantor (10%): a guarantor who is not a patient and 1 or 2 patients, one
  charge each;
- insured (22%): 2 to 5 Aetna charges, all but the newest processed (Aetna paid 55%,
  wrote off 25% and moved 20% to the patient), the newest still pending;
- long (3%): one patient with 30 to 45 charges, so the statement runs to three pages.

The skipped accounts have a credit, a balance under the $5.00 minimum, or only an
insurance balance. Every guarantor has an address and a phone number, and the services
fall on the 200 days before today. All accounts are created before timing, as after a
practice's first run. Two steps are timed, each in its own unit of work with its commit:

- preview: `preview_run` dated today,
- run: `run_statements` dated today: numbering, drawing every statement's PDF, the
  print batch, and storing the rows.

With `--profile N`, one more run profiles both steps under cProfile and prints the N
functions with the largest cumulative and own time (the profiler slows the run, so its
times are not the figures in the table). Prints Markdown tables with wall-clock and CPU
seconds of this process; CPU seconds change less than wall-clock seconds when other
programs share the CPU.
"""

import argparse
import cProfile
import io
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_statements.py` find the app package
    sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.ids import new_id  # noqa: E402
from app.models.charges import ChargeLine, Encounter  # noqa: E402
from app.models.ledger import LedgerEntry  # noqa: E402
from app.models.patients import Patient, Person  # noqa: E402
from app.models.payments import Payment  # noqa: E402
from app.security.permissions import Actor  # noqa: E402
from app.services.billing_accounts import ensure_accounts  # noqa: E402
from app.services.era_posting_load import LEDGER_SOURCE  # noqa: E402
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT  # noqa: E402
from app.services.payment_lists import SOURCE_TYPE as PAYMENT_SOURCE  # noqa: E402
from app.services.statement_runs import preview_run, run_statements  # noqa: E402
from app.services.today import practice_today  # noqa: E402
from tests.helpers.ledger_data import LedgerPractice, build_ledger_practice  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402
from tests.helpers.statement_data import add_labels  # noqa: E402

# The database is made for this run in a temporary folder and contains made-up data only.
PASSPHRASE = "bench statements passphrase"  # noqa: S105 (throwaway test database)
SERVICE_DAYS = 200
# Labeled codes of tests/helpers/statement_data.py with their fees, and one without a label.
SERVICES = (
    ("99213", Decimal("95.00")),
    ("99214", Decimal("150.00")),
    ("99203", Decimal("175.00")),
    ("99392", Decimal("120.00")),
    ("90460", Decimal("40.00")),
    ("36415", Decimal("25.00")),
    ("99211", Decimal("45.00")),
)
# Owing account kinds and their share of `--accounts`.
KINDS = (("self", 40), ("family", 25), ("person", 10), ("insured", 22), ("long", 3))
SKIPPED_KINDS = ("credit", "small", "insurance_only")
STEPS = ("preview", "run")
T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of each step of one run, with the counts it produced."""

    wall: dict[str, float]
    cpu: dict[str, float]
    previewed: int
    printed: int
    skipped: int
    batch_bytes: int
    ledger_rows: int


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


@dataclass
class Rows:
    """Rows to insert in bulk, by table. The lists' lengths number charts, encounters and
    receipts, so each number is unique."""

    practice: LedgerPractice
    today: date
    rng: random.Random
    people: list[dict[str, Any]] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)
    encounters: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)

    @property
    def user_id(self) -> uuid.UUID:
        """The biller every row is posted by."""
        user_id = self.practice.biller.user_id
        assert user_id is not None
        return user_id

    def address(self, index: int) -> dict[str, Any]:
        """Return the address and phone columns of the guarantor or patient `index`."""
        return {
            "address_line1": f"{100 + index % 9000} Main Street",
            "city": "Evanston",
            "state": "IL",
            "zip_code": "60201",
            "phone": f"+1847555{index % 10000:04d}",
        }

    def patient(
        self,
        guarantor_patient_id: uuid.UUID | None = None,
        guarantor_person_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Add a patient and return the id."""
        index = len(self.patients)
        patient_id = new_id()
        self.patients.append(
            {
                "id": patient_id,
                "chart_number": f"B-{index:06d}",
                "first_name": "Pat",
                "last_name": f"Bench{index}",
                "date_of_birth": date(1950 + index % 60, 1 + index % 12, 1 + index % 28),
                "sex": "FM"[index % 2],
                "guarantor_patient_id": guarantor_patient_id,
                "guarantor_person_id": guarantor_person_id,
                **self.address(index),
            }
        )
        return patient_id

    def person(self) -> uuid.UUID:
        """Add a guarantor who is not a patient and return the id."""
        index = len(self.people)
        person_id = new_id()
        self.people.append(
            {
                "id": person_id,
                "first_name": "Gail",
                "last_name": f"Guarantor{index}",
                "date_of_birth": date(1960 + index % 30, 1 + index % 12, 1 + index % 28),
                "sex": "F",
                **self.address(50_000 + index),
            }
        )
        return person_id

    def posted_at(self, day: date) -> datetime:
        """Return 6 PM UTC of `day`, noon or 1 PM in the practice's Chicago zone."""
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)

    def charge(
        self,
        patient_id: uuid.UUID,
        *,
        days_ago: int | None = None,
        payer_id: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, Decimal, date]:
        """Add an encounter with one line and its charge row; return the line, fee and day."""
        day = self.today - timedelta(days=days_ago or self.rng.randint(1, SERVICE_DAYS))
        code, fee = self.rng.choice(SERVICES)
        encounter_id, line_id = new_id(), new_id()
        base = self.practice.base
        self.encounters.append(
            {
                "id": encounter_id,
                "encounter_number": f"BS-{len(self.encounters):07d}",
                "patient_id": patient_id,
                "service_date": day,
                "rendering_provider_id": base.provider_ids[len(self.encounters) % 2],
                "location_id": base.location_id,
                "place_of_service": "11",
                "status": "posted",
                "posted_at": self.posted_at(day),
                "posted_by": self.user_id,
            }
        )
        self.lines.append(
            {
                "id": line_id,
                "encounter_id": encounter_id,
                "position": 1,
                "service_date": day,
                "procedure_code": code,
                "units": 1,
                "unit_fee": fee,
                "charge_amount": fee,
                "pointer1": 1,
            }
        )
        party = RESPONSIBLE_PATIENT if payer_id is None else "primary"
        self.entry("charge", fee, patient_id, day, line_id, party=party, payer_id=payer_id)
        return line_id, fee, day

    def entry(
        self,
        entry_type: str,
        amount: Decimal,
        patient_id: uuid.UUID,
        day: date,
        line_id: uuid.UUID | None,
        *,
        party: str = RESPONSIBLE_PATIENT,
        payer_id: uuid.UUID | None = None,
        source: tuple[str, uuid.UUID] | None = None,
    ) -> None:
        """Add one ledger row posted on `day`."""
        source_type, source_id = source or (CHARGE_LINE_SOURCE, line_id)
        self.ledger.append(
            {
                "id": new_id(),
                "posted_at": self.posted_at(day),
                "posted_by": self.user_id,
                "entry_type": entry_type,
                "amount": amount,
                "patient_id": patient_id,
                "payer_id": payer_id,
                "responsible_party": party,
                "service_date": day,
                "source_type": source_type,
                "source_id": source_id,
                "charge_line_id": line_id,
                "memo": "",
            }
        )

    def pay(self, patient_id: uuid.UUID, line_id: uuid.UUID, amount: Decimal, day: date) -> None:
        """Add a cash payment received on `day` and its ledger row on the line."""
        payment_id = new_id()
        self.payments.append(
            {
                "id": payment_id,
                "receipt_number": f"BR-{len(self.payments):07d}",
                "patient_id": patient_id,
                "kind": "payment",
                "method": "cash",
                "amount": amount,
                "received_on": day,
                "received_by": self.user_id,
            }
        )
        self.entry(
            "payment", -amount, patient_id, day, line_id, source=(PAYMENT_SOURCE, payment_id)
        )

    def processed(self, patient_id: uuid.UUID, line_id: uuid.UUID, fee: Decimal, day: date) -> None:
        """Add Aetna's payment, write-off and the patient's share of a line, 20 days on."""
        aetna = self.practice.aetna_id
        source = (LEDGER_SOURCE, new_id())
        to_patient = (fee * Decimal("0.20")).quantize(Decimal("0.01"))
        paid = (fee * Decimal("0.55")).quantize(Decimal("0.01"))
        written_off = fee - to_patient - paid
        later = min(day + timedelta(days=20), self.today - timedelta(days=1))
        for entry_type, amount in (
            ("payment", -paid),
            ("transfer", -to_patient),
            ("adjustment", -written_off),
        ):
            self.entry(
                entry_type,
                amount,
                patient_id,
                later,
                line_id,
                party="primary",
                payer_id=aetna,
                source=source,
            )
        self.entry("transfer", to_patient, patient_id, later, line_id, source=source)


def add_account(rows: Rows, kind: str) -> None:
    """Add one guarantor account of `kind` (see the module docstring)."""
    rng = rows.rng
    if kind == "self":
        patient = rows.patient()
        charges = [rows.charge(patient) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.5:
            line_id, fee, day = charges[0]
            rows.pay(patient, line_id, fee / 2, min(day + timedelta(days=5), rows.today))
    elif kind == "family":
        guarantor = rows.patient()
        members = [guarantor] + [
            rows.patient(guarantor_patient_id=guarantor) for _ in range(rng.randint(1, 2))
        ]
        for member in members:
            for _ in range(rng.randint(1, 3)):
                rows.charge(member)
    elif kind == "person":
        person = rows.person()
        for _ in range(rng.randint(1, 2)):
            patient = rows.patient(guarantor_person_id=person)
            rows.charge(patient)
    elif kind == "insured":
        patient = rows.patient()
        aetna = rows.practice.aetna_id
        for _ in range(rng.randint(1, 4)):
            line_id, fee, day = rows.charge(
                patient, days_ago=rng.randint(40, SERVICE_DAYS), payer_id=aetna
            )
            rows.processed(patient, line_id, fee, day)
        rows.charge(patient, days_ago=rng.randint(1, 25), payer_id=aetna)
    elif kind == "long":
        patient = rows.patient()
        for _ in range(rng.randint(30, 45)):
            rows.charge(patient)
    else:
        add_skipped_account(rows, kind)


def add_skipped_account(rows: Rows, kind: str) -> None:
    """Add an account a run skips: a credit, a balance under the minimum, or insurance only."""
    patient = rows.patient()
    if kind == "insurance_only":
        rows.charge(patient, payer_id=rows.practice.aetna_id)
        return
    line_id, fee, day = rows.charge(patient)
    paid = fee + Decimal("20.00") if kind == "credit" else fee - Decimal("2.50")
    rows.pay(patient, line_id, paid, min(day + timedelta(days=3), rows.today))


def practice_rows(practice: LedgerPractice, today: date, accounts: int, seed: int) -> Rows:
    """Return the rows of `accounts` owing accounts and a tenth as many skipped ones."""
    rows = Rows(practice, today, random.Random(seed))
    kinds = [kind for kind, _ in KINDS]
    weights = [weight for _, weight in KINDS]
    for kind in rows.rng.choices(kinds, weights, k=accounts):
        add_account(rows, kind)
    for index in range(accounts // 10):
        add_account(rows, SKIPPED_KINDS[index % len(SKIPPED_KINDS)])
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=3_000, help="accounts that owe money")
    parser.add_argument("--runs", type=int, default=1, help="databases to build and time")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random data")
    parser.add_argument(
        "--profile", type=int, default=0, help="functions to list from one profiled run; 0: none"
    )
    return parser.parse_args(argv)


def prepare(folder: Path, accounts: int, seed: int) -> tuple[Database, Actor, date, int]:
    """Create the practice, insert the accounts' rows and their billing accounts (not timed).

    Returns the database, the biller, the run date and the number of ledger rows.
    """
    database = Database.create(folder / "statements.db", PASSPHRASE)
    practice = build_ledger_practice(database)
    with database.transaction() as session:
        add_labels(session)
        today = practice_today(session)
    rows = practice_rows(practice, today, accounts, seed)
    with database.transaction() as session:
        for model, batch in (
            (Person, rows.people),
            (Patient, rows.patients),
            (Encounter, rows.encounters),
            (ChargeLine, rows.lines),
            (Payment, rows.payments),
            (LedgerEntry, rows.ledger),
        ):
            if batch:
                session.execute(insert(model), batch)
    with database.transaction() as session:
        ensure_accounts(session, practice.biller)
    return database, practice.biller, today, len(rows.ledger)


def run_once(folder: Path, accounts: int, seed: int) -> Timing:
    database, biller, today, ledger_rows = prepare(folder, accounts, seed)
    try:
        clock = Clock()
        with database.transaction() as session:
            preview = preview_run(session, biller, today)
        clock.mark("preview")
        with database.transaction() as session:
            outcome = run_statements(session, biller, today)
        clock.mark("run")
    finally:
        database.close()
    return Timing(
        wall=clock.wall,
        cpu=clock.cpu,
        previewed=len(preview),
        printed=outcome.printed,
        skipped=outcome.skipped,
        batch_bytes=len(outcome.batch_pdf or b""),
        ledger_rows=ledger_rows,
    )


def profile_once(folder: Path, accounts: int, seed: int, top: int) -> str:
    """Preview and run under cProfile and return the `top` functions of each step."""
    database, biller, today, _ = prepare(folder, accounts, seed)
    out = io.StringIO()
    try:
        for step, work in (
            ("preview", lambda session: preview_run(session, biller, today)),
            ("run", lambda session: run_statements(session, biller, today)),
        ):
            profiler = cProfile.Profile()
            with database.transaction() as session:
                profiler.enable()
                work(session)
                profiler.disable()
            out.write(f"--- {step} ---\n")
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
    finally:
        database.close()
    return out.getvalue()


def print_table(timings: list[Timing]) -> None:
    first = timings[0]
    print(
        f"{first.previewed:,} accounts previewed ({first.ledger_rows:,} ledger rows), "
        f"{first.printed:,} statements printed, {first.skipped:,} skipped, batch PDF of "
        f"{first.batch_bytes:,} bytes; median of {len(timings)} runs\n"
    )
    print("| step | wall s (median) | wall s (min) | CPU s of this process (median) |")
    print("|---|---:|---:|---:|")
    for step in STEPS:
        wall = [timing.wall[step] for timing in timings]
        cpu = [timing.cpu[step] for timing in timings]
        print(
            f"| {step} | {statistics.median(wall):.2f} | {min(wall):.2f} | "
            f"{statistics.median(cpu):.2f} |"
        )


def in_temporary_folder(work: Callable[[Path], T]) -> T:
    folder = Path(tempfile.mkdtemp(prefix="clinicdesk-bench-statements-"))
    try:
        return work(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keyring.set_keyring(MemoryKeyring())
    timings = [
        in_temporary_folder(
            lambda folder, run=run: run_once(folder, args.accounts, args.seed + run)
        )
        for run in range(args.runs)
    ]
    print_table(timings)
    if args.profile:
        report = in_temporary_folder(
            lambda folder: profile_once(folder, args.accounts, args.seed, args.profile)
        )
        print("\n```\n" + report.strip() + "\n```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
