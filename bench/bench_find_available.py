"""Measure "find next available" over 60 days for every provider at once.

Run against a database made by bench/generate.py:

    CLINICDESK_PASSPHRASE='…' python bench/bench_find_available.py --db bench/out/large.db

The generator's appointments are all in the past, so the script first adds a working
week for every provider (Monday to Friday, 8:00 to 17:00), a practice-wide lunch
blockout that repeats every weekday, and books every 30-minute slot of the next 59
days, leaving the 60th day open. Each search then has to read and walk all 60 days for
all providers before it finds its 10 slots: the worst case a front desk can meet. The
schedule rows are added once; a second run finds them and reuses them. The script
prints a Markdown table.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_find_available.py` find the app
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.ids import ProviderId  # noqa: E402
from app.models import Patient  # noqa: E402
from app.models.practice import Location, Provider  # noqa: E402
from app.models.scheduling import Appointment, Blockout, ProviderHours  # noqa: E402
from app.security.permissions import Actor, Role  # noqa: E402
from app.services.find_available import find_slots  # noqa: E402
from app.services.today import practice_today  # noqa: E402

ACTOR = Actor(user_id=None, username="bench", role=Role.FRONT_DESK, workstation="BNCH")
BUDGET_MS = 200.0
DAYS = 60
DAY_START = clock_time(8)
DAY_END = clock_time(17)
LUNCH_TITLE = "Bench lunch"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="database from bench/generate.py")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help="first day searched, as YYYY-MM-DD (default: next Monday)",
    )
    parser.add_argument("--runs", type=int, default=20, help="searches to time")
    return parser.parse_args(argv)


def next_monday(today: date) -> date:
    """Return the Monday after `today`."""
    return today + timedelta(days=7 - today.weekday())


def add_schedule(session: Session, first: date) -> int:
    """Add hours, a lunch blockout and a full book for 59 days; return visits added."""
    if session.scalar(select(Blockout.id).where(Blockout.title == LUNCH_TITLE)) is not None:
        return 0

    provider_ids = list(session.scalars(select(Provider.id)))
    location_id = session.scalar(select(Location.id))
    patient_ids = list(session.scalars(select(Patient.id).limit(5000)))
    for provider_id in provider_ids:
        for weekday in range(5):
            session.add(
                ProviderHours(
                    provider_id=provider_id,
                    location_id=location_id,
                    weekday=weekday,
                    starts=DAY_START,
                    ends=DAY_END,
                )
            )
    lunch = datetime.combine(first - timedelta(days=7), clock_time(12))
    session.add(
        Blockout(
            title=LUNCH_TITLE,
            kind="lunch",
            starts_at=lunch,
            ends_at=lunch + timedelta(hours=1),
            rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        )
    )

    added = 0
    for offset in range(DAYS - 1):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for provider_id in provider_ids:
            for half_hour in range(18):
                starts_at = datetime.combine(day, DAY_START) + timedelta(minutes=30 * half_hour)
                if starts_at.hour == 12:
                    continue
                session.add(
                    Appointment(
                        patient_id=patient_ids[added % len(patient_ids)],
                        provider_id=provider_id,
                        location_id=location_id,
                        starts_at=starts_at,
                        duration_minutes=30,
                        appointment_type="Follow-up",
                    )
                )
                added += 1
    session.flush()
    return added


def time_searches(database: Database, first: date, runs: int) -> list[float]:
    """Time `runs` searches, each in its own read transaction as the GUI runs it."""
    timings: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        with database.reading() as session:
            provider_ids = [ProviderId(value) for value in session.scalars(select(Provider.id))]
            slots = find_slots(
                session, ACTOR, provider_ids, 30, first, days=DAYS, limit=10, grid_minutes=5
            )
        timings.append((time.perf_counter() - started) * 1000)
        if not slots or slots[0].starts_at.date() < first + timedelta(days=DAYS - 3):
            raise SystemExit("The schedule is not full: the search found time too early.")
    return timings


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = os.environ["CLINICDESK_PASSPHRASE"]
    database = Database.open(args.db, lambda _path: passphrase)
    try:
        with database.transaction() as session:
            first = args.start or next_monday(practice_today(session))
            added = add_schedule(session, first)
        with database.reading() as session:
            providers = session.scalar(select(func.count()).select_from(Provider))
            appointments = session.scalar(select(func.count()).select_from(Appointment))
        timings = time_searches(database, first, args.runs)
    finally:
        database.close()

    timings.sort()
    p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
    print(
        f"Providers: {providers}; appointments in the database: {appointments} "
        f"({added} added for the next {DAYS} days)."
    )
    print("| search | runs | median ms | p95 ms | max ms | budget ms |")
    print("|---|---|---|---|---|---|")
    print(
        f"| all providers, 30 min, {DAYS} days, first open day last | {len(timings)} | "
        f"{statistics.median(timings):.1f} | {p95:.1f} | {timings[-1]:.1f} | {BUDGET_MS:.0f} |"
    )
    return 0 if p95 < BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
