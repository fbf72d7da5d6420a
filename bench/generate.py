"""Generate a large synthetic practice for benchmarks.

    CLINICDESK_PASSPHRASE='…' python bench/generate.py --db bench/out/large.db \\
        --patients 100000 --appointments 1000000 --ledger-rows 2000000 --seed 1

The practice, payers and users come from the demo generator (app/services/demo.py); the
bulk rows reuse its row builders but go in through batched executemany inserts, one
transaction per batch, with progress and rows per second printed as they go. The admin
password comes from CLINICDESK_PASSWORD (default below); the demo users share it.
"""

import argparse
import itertools
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/generate.py` find the app package
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Boolean, Column, Connection, Date, Table, select  # noqa: E402

from app.clock import practice_today, utc_now  # noqa: E402
from app.db.base import Base  # noqa: E402
from app.db.database import Database  # noqa: E402
from app.db.types import MoneyCents, UTCDateTime, UUIDBlob, WallClock  # noqa: E402
from app.ids import new_id  # noqa: E402
from app.models import (  # noqa: E402
    Appointment,
    Coverage,
    LedgerEntry,
    NumberCounter,
    Patient,
    PatientPhone,
    PatientPreviousName,
    Payer,
    Provider,
    User,
)
from app.money import from_cents, to_cents  # noqa: E402
from app.security import audit  # noqa: E402
from app.security.audit import AuditAction  # noqa: E402
from app.security.permissions import system_actor  # noqa: E402
from app.services import numbering  # noqa: E402
from app.services.demo import (  # noqa: E402
    DEMO_PAYERS,
    DEMO_PRACTICE,
    PROVIDER_KINDS,
    DemoGenerator,
    ProviderSlot,
    create_demo_database,
    demo_week,
    provider_slots,
)
from app.validators import npi_check_digit  # noqa: E402
from bench.registration_rows import add_registration  # noqa: E402

DEFAULT_PASSWORD = "Lakeside-bench-2024"  # noqa: S105 (a published demo password)
SMALL = {"patients": 200, "appointments": 1000, "ledger_rows": 2000}
# Made-up fees in cents for common office services
# (CPT 99213, 99214, 99203, 99396, 36415, 90471).
FEES_CENTS = (12500, 18500, 16500, 24000, 1500, 3000)

Row = dict[str, Any]


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass
class Counts:
    """Rows written per table and the seconds each table took."""

    rows: dict[str, int]
    seconds: dict[str, float]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="new database file to create")
    parser.add_argument("--patients", type=int, default=100_000, help="patients to create")
    parser.add_argument("--appointments", type=int, default=1_000_000, help="appointments")
    parser.add_argument("--ledger-rows", type=int, default=2_000_000, help="ledger rows")
    parser.add_argument(
        "--providers", type=int, default=20, help="providers in total; the demo's 3 to 6 count"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed; same seed, same data")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=practice_today(DEMO_PRACTICE.time_zone),
        help="date the schedule centers on, as YYYY-MM-DD (default: today in Chicago)",
    )
    parser.add_argument("--batch-size", type=int, default=20_000, help="rows per transaction")
    parser.add_argument(
        "--small",
        action="store_true",
        help="test preset: 200 patients, 1000 appointments, 2000 ledger rows",
    )
    args = parser.parse_args(argv)
    if args.small:
        vars(args).update(SMALL)
    return args


def report(table: str, done: int, total: int, started: float) -> None:
    elapsed = max(time.perf_counter() - started, 1e-9)
    print(f"  {table:<13} {done:>10,} / {total:,}  {done / elapsed:>10,.0f} rows/s", flush=True)


def _store_uuid(value: uuid.UUID | None) -> bytes | None:
    return None if value is None else value.bytes


def _store_instant(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _store_wall_clock(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")


def _store_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _keep(value: Any) -> Any:
    return value


# The stored forms match app/db/types.py and SQLAlchemy's SQLite DATETIME and DATE
# ("YYYY-MM-DD HH:MM:SS.ffffff", "YYYY-MM-DD"); the bench test reads rows back through
# the ORM to check them.
STORED_FORM: tuple[tuple[type[Any], Callable[[Any], Any]], ...] = (
    (UUIDBlob, _store_uuid),
    (UTCDateTime, _store_instant),
    (WallClock, _store_wall_clock),
    (MoneyCents, to_cents),
    (Date, _store_date),
    (Boolean, int),
)


def _converter(column: Column[Any]) -> Callable[[Any], Any]:
    """Return a function giving the value SQLAlchemy would store for `column`."""
    for kind, convert in STORED_FORM:
        if isinstance(column.type, kind):
            return _none_stays_none(convert)
    return _keep


def _none_stays_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap `convert` so a missing (NULL) value is stored as NULL."""
    return lambda value: None if value is None else convert(value)


class RawInserter:
    """Inserts row dicts through the driver's executemany, skipping SQLAlchemy's per-value
    processing, which costs more than SQLCipher itself at this volume."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.names = [column.name for column in table.columns]
        self.converters = [_converter(column) for column in table.columns]
        self.defaults = {
            column.name: column.default.arg
            for column in table.columns
            if column.default is not None and column.default.is_scalar
        }
        placeholders = ", ".join("?" for _ in self.names)
        self.sql = f"INSERT INTO {table.name} ({', '.join(self.names)}) VALUES ({placeholders})"

    def insert(self, connection: Connection, rows: list[Row]) -> None:
        # Columns a row leaves out take the model's defaults for a new row, or NULL.
        now = utc_now()
        fill = {"created_at": now, "updated_at": now, "updated_by": None, **self.defaults}
        pairs = list(zip(self.names, self.converters, strict=True))
        values = [
            tuple(convert(row.get(name, fill.get(name))) for name, convert in pairs) for row in rows
        ]
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.cursor().executemany(self.sql, values)


def insert_batches(
    connection: Connection, table: Table, rows: Iterator[Row], total: int, batch_size: int
) -> float:
    """Insert `rows` in transactions of `batch_size`; return the seconds taken."""
    inserter = RawInserter(table)
    started = time.perf_counter()
    done = 0
    while done < total:
        batch = list(itertools.islice(rows, min(batch_size, total - done)))
        if not batch:
            break
        with connection.begin():
            inserter.insert(connection, batch)
        done += len(batch)
        report(table.name, done, total, started)
    return time.perf_counter() - started


def add_providers(database: Database, target: int, rng: random.Random) -> None:
    """Add providers with valid NPIs until there are `target` of them."""
    with database.transaction() as session:
        existing = len(session.scalars(select(Provider.id)).all())
        for index in range(existing, target):
            taxonomy, credentials = PROVIDER_KINDS[index % len(PROVIDER_KINDS)]
            first9 = f"1{rng.randrange(10**8):08d}"
            session.add(
                Provider(
                    first_name=f"Bench{index}",
                    last_name=f"Provider{index:03d}",
                    credentials=credentials,
                    npi=first9 + str(npi_check_digit(first9)),
                    taxonomy_code=taxonomy,
                )
            )


def chart_numbers(database: Database, count: int) -> list[str]:
    """Issue `count` chart numbers in one step, in the format next_number uses."""
    if count == 0:
        return []
    with database.transaction() as session:
        first = numbering.next_number(session, "chart")
        prefix, digits = first.rsplit("-", 1)
        counter = session.get(NumberCounter, "chart")
        assert counter is not None
        start = counter.last_value
        counter.last_value += count - 1
    return [f"{prefix}-{value:0{len(digits)}d}" for value in range(start, start + count)]


@dataclass
class PatientIndex:
    """Patient ids and each patient's primary payer, for the tables written later."""

    ids: list[uuid.UUID]
    primary_payer: dict[uuid.UUID, uuid.UUID]


def insert_patients(
    connection: Connection,
    generator: DemoGenerator,
    numbers: list[str],
    payer_ids: list[uuid.UUID],
    batch_size: int,
    *,
    seed: int,
) -> tuple[PatientIndex, Counts]:
    """Insert patients with their coverages, phones and previous names, one transaction
    per batch of patients."""
    index = PatientIndex([], {})
    tables = (Patient, Coverage, PatientPhone, PatientPreviousName)
    counts = Counts({table_of(model).name: 0 for model in tables}, {})
    inserters = {table_of(model).name: RawInserter(table_of(model)) for model in tables}
    # A generator of its own keeps the demo generator's sequence, and so the patients,
    # appointments and ledger rows of a seed, as they were before these details existed.
    registration_rng = random.Random(f"bench-registration-{seed}")
    started = time.perf_counter()
    for offset in range(0, len(numbers), batch_size):
        patients = [generator.patient(number) for number in numbers[offset : offset + batch_size]]
        registration = add_registration(registration_rng, patients)
        coverages = []
        for patient in patients:
            plan = generator.coverage_plan(patient["date_of_birth"])
            for priority, payer in enumerate(plan, start=1):
                coverages.append(
                    generator.coverage(patient, DEMO_PAYERS[payer], payer_ids[payer], priority)
                )
            index.ids.append(patient["id"])
            index.primary_payer[patient["id"]] = payer_ids[plan[0]]

        batch = {
            "patient": patients,
            "coverage": coverages,
            "patient_phone": registration.phones,
            "patient_previous_name": registration.previous_names,
        }
        with connection.begin():
            for table, rows in batch.items():
                inserters[table].insert(connection, rows)
                counts.rows[table] += len(rows)
        report("patient", counts.rows["patient"], len(numbers), started)

    counts.seconds["patient"] = time.perf_counter() - started
    return index, counts


def schedule_days(today: date) -> Iterator[date]:
    """Yield weekdays from the Friday of the demo week backwards, without end."""
    day = demo_week(today)[-1]
    while True:
        if day.weekday() < 5:
            yield day
        day -= timedelta(days=1)


def appointment_rows(
    generator: DemoGenerator, slots: list[ProviderSlot], patient_ids: list[uuid.UUID]
) -> Iterator[Row]:
    """Yield appointments day by day into the past; providers are never double-booked."""
    choose: Callable[[], uuid.UUID] = lambda: generator.rng.choice(patient_ids)  # noqa: E731
    random_patients = iter(choose, None)
    for day in schedule_days(generator.today):
        for slot in slots:
            yield from generator.day_schedule(day, slot, random_patients)


def visit_rows(
    rng: random.Random,
    patient_id: uuid.UUID,
    payer_id: uuid.UUID,
    service_date: date,
    posters: list[uuid.UUID],
) -> list[Row]:
    """Return one insured visit's ledger rows, which sum to zero.

    The charge is followed by the insurance payment, the contractual adjustment, the
    transfer of the patient's share, and the patient's payment.
    """
    charge = rng.choice(FEES_CENTS)
    allowed = charge * rng.randint(55, 85) // 100
    paid = allowed * 80 // 100
    share = allowed - paid
    posted = datetime.combine(service_date, datetime.min.time(), UTC) + timedelta(hours=15)
    entries = [
        ("charge", charge, "primary", payer_id, 0),
        ("payment", -paid, "primary", payer_id, 14),
        ("adjustment", -(charge - allowed), "primary", payer_id, 14),
        ("transfer", -share, "primary", payer_id, 14),
        ("transfer", share, "patient", None, 14),
        ("payment", -share, "patient", None, 30),
    ]
    return [
        {
            "id": new_id(),
            "posted_at": posted + timedelta(days=days),
            "posted_by": rng.choice(posters),
            "entry_type": entry_type,
            "amount": from_cents(cents),
            "patient_id": patient_id,
            "payer_id": payer,
            "responsible_party": party,
            "service_date": service_date,
            "memo": "",
        }
        for entry_type, cents, party, payer, days in entries
    ]


def ledger_rows(
    rng: random.Random, index: PatientIndex, posters: list[uuid.UUID], today: date
) -> Iterator[Row]:
    """Yield visits' ledger rows, with service dates over the last five years."""
    while True:
        patient_id = rng.choice(index.ids)
        service_date = today - timedelta(days=rng.randint(1, 5 * 365))
        payer_id = index.primary_payer[patient_id]
        yield from visit_rows(rng, patient_id, payer_id, service_date, posters)


def build_practice(args: argparse.Namespace, passphrase: str, password: str) -> Database:
    """Create the demo practice (no patients yet) and top up its providers."""
    database, _, _ = create_demo_database(
        args.db, passphrase, "admin", password, patients=0, seed=args.seed, today=args.today
    )
    add_providers(database, args.providers, random.Random(f"bench-providers-{args.seed}"))
    return database


def generate(database: Database, args: argparse.Namespace) -> Counts:
    """Write the patients, coverages, appointments and ledger rows; return the counts."""
    generator = DemoGenerator(args.seed, args.today)
    with database.session() as session:
        slots = provider_slots(session)
        by_name = {row.name: row.id for row in session.execute(select(Payer.name, Payer.id))}
        payer_ids = [by_name[payer.name] for payer in DEMO_PAYERS]
        posters = list(session.scalars(select(User.id).where(User.username != "admin")))
    numbers = chart_numbers(database, args.patients)

    with database.engine.connect() as connection:
        # A large page cache keeps the random-order index inserts off the disk.
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
        connection.commit()  # ends the implicit transaction, so each batch can begin its own
        patients, counts = insert_patients(
            connection, generator, numbers, payer_ids, args.batch_size, seed=args.seed
        )
        if (args.appointments or args.ledger_rows) and not patients.ids:
            raise SystemExit("Appointments and ledger rows need patients; give --patients 1+.")
        appointments = appointment_rows(generator, slots, patients.ids)
        counts.seconds["appointment"] = insert_batches(
            connection, table_of(Appointment), appointments, args.appointments, args.batch_size
        )
        counts.rows["appointment"] = args.appointments

        ledger = ledger_rows(generator.rng, patients, posters, args.today)
        counts.seconds["ledger_entry"] = insert_batches(
            connection, table_of(LedgerEntry), ledger, args.ledger_rows, args.batch_size
        )
        counts.rows["ledger_entry"] = args.ledger_rows
    return counts


def record_run(database: Database, counts: Counts) -> None:
    """Write one audit row saying what the generator added."""
    with database.transaction() as session:
        actor = system_actor(numbering.local_workstation(session).code)
        detail = "bench data: " + ", ".join(f"{n} {t}" for t, n in counts.rows.items())
        audit.record(session, actor, AuditAction.CREATE, "bench_data", detail=detail)


def print_summary(counts: Counts, total_seconds: float) -> None:
    print("\n| table | rows | seconds | rows/s |\n|---|---:|---:|---:|")
    timed = {"patient": counts.seconds["patient"], **counts.seconds}
    for table, rows in counts.rows.items():
        seconds = timed.get(table, counts.seconds["patient"])
        rate = rows / seconds if seconds else 0.0
        print(f"| {table} | {rows:,} | {seconds:.1f} | {rate:,.0f} |")
    print(f"\nTotal: {sum(counts.rows.values()):,} rows in {total_seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")
    if not passphrase:
        print("Set CLINICDESK_PASSPHRASE to the recovery passphrase for the new database.")
        return 2
    if args.db.exists():
        print(f"{args.db} already exists; choose a new path with --db or delete the old file.")
        return 2
    password = os.environ.get("CLINICDESK_PASSWORD", DEFAULT_PASSWORD)

    started = time.perf_counter()
    print(f"Creating {args.db} (admin password from CLINICDESK_PASSWORD or {DEFAULT_PASSWORD})")
    database = build_practice(args, passphrase, password)
    try:
        counts = generate(database, args)
        record_run(database, counts)
    finally:
        database.close()
    print_summary(counts, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
