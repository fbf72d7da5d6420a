"""Measure the calendar's day view: 20 provider columns with 600 appointments.

Run against a database made by bench/generate.py:

    CLINICDESK_PASSPHRASE='…' python bench/bench_calendar.py --db bench/out/large.db

The script first books two full days (a Monday and the Tuesday after it) of 30 visits
of 15 minutes for each of the first 20 providers, 600 visits a day, for patients taken
from the whole database. Each timed run is what the Schedule page does to show a day:
app.services.calendar_view.day_view in its own read transaction, then
ScheduleGrid.show_grid to lay the blocks out (the paint itself is left out). "First
day" opens the Monday; "next day" then opens the Tuesday, as Page Down does. The
booked days are added once; a second run finds and reuses them. Prints a Markdown table.
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
if str(ROOT) not in sys.path:  # lets `python bench/bench_calendar.py` find the app package
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.models import Patient  # noqa: E402
from app.models.practice import Location, Provider  # noqa: E402
from app.models.scheduling import Appointment  # noqa: E402
from app.security.permissions import Actor, Role  # noqa: E402
from app.services.calendar_view import day_view  # noqa: E402
from ui.schedule.grid import ScheduleGrid  # noqa: E402

ACTOR = Actor(user_id=None, username="bench", role=Role.FRONT_DESK, workstation="BNCH")
FIRST_BUDGET_MS = 150.0
NEXT_BUDGET_MS = 100.0
PROVIDERS = 20
VISITS_PER_PROVIDER = 30
REASON = "Bench calendar visit"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="database from bench/generate.py")
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        default=date(2031, 3, 3),
        help="Monday to book and open, as YYYY-MM-DD (default: a Monday with no other visits)",
    )
    parser.add_argument("--runs", type=int, default=20, help="day pairs to time")
    return parser.parse_args(argv)


def book_days(session: Session, days: list[date]) -> int:
    """Book 30 back-to-back 15-minute visits per provider on each day; return visits added."""
    if session.scalar(select(Appointment.id).where(Appointment.reason == REASON)) is not None:
        return 0

    provider_ids = list(session.scalars(select(Provider.id).order_by(Provider.id).limit(PROVIDERS)))
    location_id = session.scalar(select(Location.id))
    patient_ids = list(session.scalars(select(Patient.id).limit(len(days) * 20_000)))
    rows = []
    for day_index, day in enumerate(days):
        for column, provider_id in enumerate(provider_ids):
            for slot in range(VISITS_PER_PROVIDER):
                number = (day_index * 1000 + column * VISITS_PER_PROVIDER + slot) * 7
                rows.append(
                    {
                        "patient_id": patient_ids[number % len(patient_ids)],
                        "provider_id": provider_id,
                        "location_id": location_id,
                        "starts_at": datetime.combine(day, clock_time(8))
                        + timedelta(minutes=15 * slot),
                        "duration_minutes": 15,
                        "appointment_type": "follow_up",
                        "status": "scheduled",
                        "reason": REASON,
                    }
                )
    session.execute(Appointment.__table__.insert(), rows)
    return len(rows)


def time_day(database: Database, grid: ScheduleGrid, day: date, ids: list[object]) -> float:
    """Return the milliseconds to read one day and lay out its blocks."""
    started = time.perf_counter()
    with database.reading() as session:
        view = day_view(session, ACTOR, day, "providers", ids)  # type: ignore[arg-type]
    grid.show_grid(view)
    elapsed = (time.perf_counter() - started) * 1000
    assert len(view.columns) == PROVIDERS
    assert len(view.blocks) >= PROVIDERS * VISITS_PER_PROVIDER
    return elapsed


def row(name: str, samples: list[float], budget: float) -> str:
    """Return one Markdown table row."""
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | {p95:.1f} | "
        f"{ordered[-1]:.1f} | {budget:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    days = [args.day, args.day + timedelta(days=1)]
    app = QApplication.instance() or QApplication([])
    passphrase = os.environ["CLINICDESK_PASSPHRASE"]
    database = Database.open(args.db, lambda _path: passphrase)
    try:
        with database.transaction() as session:
            added = book_days(session, days)
            ids = list(session.scalars(select(Provider.id).order_by(Provider.id).limit(PROVIDERS)))
        print(f"booked {added} visits" if added else "reusing the booked days")
        grid = ScheduleGrid()
        grid.resize(1400, 900)
        time_day(database, grid, days[0], ids)  # warms the page cache, as a first open does
        first, following = [], []
        for _run in range(args.runs):
            first.append(time_day(database, grid, days[0], ids))
            following.append(time_day(database, grid, days[1], ids))
    finally:
        database.close()
    del app
    print("| view | runs | median ms | p95 ms | max ms | budget ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print(row("day, 20 providers, 600 visits", first, FIRST_BUDGET_MS))
    print(row("next day (Page Down)", following, NEXT_BUDGET_MS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
