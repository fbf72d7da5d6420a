"""Working hours, blockouts and the federal holiday prefill."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, ValidationError
from app.models.scheduling import Blockout, ProviderHours
from app.security.permissions import Actor, Role
from app.services import admin_records
from app.services import schedule_blockouts as blockouts
from app.services import schedule_hours as hours
from app.services.practice import initialize_practice
from app.services.schedule_blockouts import BlockoutInput
from app.services.schedule_hours import DayHoursInput, Stretch, WeekHoursInput
from app.services.users import create_user
from tests.helpers.practice_data import ADMIN_PASSWORD, sample_setup

# The default US set of holidays 0.109 for 2026, with Independence Day observed on Friday.
HOLIDAYS_2026 = [
    date(2026, 1, 1),
    date(2026, 1, 19),
    date(2026, 2, 16),
    date(2026, 5, 25),
    date(2026, 6, 19),
    date(2026, 7, 3),
    date(2026, 7, 4),
    date(2026, 9, 7),
    date(2026, 10, 12),
    date(2026, 11, 11),
    date(2026, 11, 26),
    date(2026, 12, 25),
]


def wall(year: int, month: int, day: int, hour: int = 0) -> datetime:
    """Return a naive wall-clock time in the practice's zone, as blockouts store them."""
    return datetime(year, month, day, hour)  # noqa: DTZ001 (wall-clock, not an instant)


@dataclass(frozen=True)
class Practice:
    database: Database
    admin: Actor
    front_desk: Actor
    provider_id: uuid.UUID
    location_id: uuid.UUID
    room_id: uuid.UUID


@pytest.fixture
def practice(database: Database) -> Iterator[Practice]:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        written = create_user(
            session, admin, "frontdesk1", "Front Desk", Role.FRONT_DESK, ADMIN_PASSWORD
        )
        provider = admin_records.list_providers(session, admin)[0]
        location = admin_records.list_locations(session, admin)[0]
    front_desk = Actor(written.user.id, "frontdesk1", Role.FRONT_DESK, admin.workstation)
    yield Practice(database, admin, front_desk, provider.id, location.id, location.rooms[0].id)


def _week(practice: Practice, texts: dict[int, str], **dates: date | None) -> WeekHoursInput:
    days = tuple(DayHoursInput(day, practice.location_id, text) for day, text in texts.items())
    return WeekHoursInput(dates.get("effective_from"), dates.get("effective_until"), days)


def _save_week(practice: Practice, week: WeekHoursInput) -> None:
    with practice.database.transaction() as session:
        hours.save_provider_week(session, practice.admin, practice.provider_id, week)


def _week_problems(practice: Practice, week: WeekHoursInput) -> list[str]:
    with practice.database.transaction() as session, pytest.raises(ValidationError) as error:
        hours.save_provider_week(session, practice.admin, practice.provider_id, week)
    return [problem.message for problem in error.value.problems]


# ---- parsing ------------------------------------------------------------------------


def test_parse_stretches_accepts_dashes() -> None:
    stretches, errors = hours.parse_stretches("13:00 \u2013 17:00; 8:00-12:00, 17:30 to 24:00")
    assert errors == []
    assert stretches == [
        Stretch(time(8), time(12)),
        Stretch(time(13), time(17)),
        Stretch(time(17, 30), time.max),
    ]
    assert hours.format_stretches(stretches) == (
        "08:00\u201312:00, 13:00\u201317:00, 17:30\u201324:00"
    )


@pytest.mark.parametrize("text", ["8-12", "25:00-26:00", "08:00-12:60", "noon-5", "09:00-24:30"])
def test_parse_stretches_rejects_format(text: str) -> None:
    stretches, errors = hours.parse_stretches(text)
    assert stretches == []
    assert len(errors) == 1
    assert "is not a time range" in errors[0]


def test_parse_stretches_rejects_backwards() -> None:
    stretches, errors = hours.parse_stretches("17:00-08:00")
    assert stretches == []
    assert errors == ["17:00-08:00 ends before it starts; the start must come first"]


# ---- saving a week ------------------------------------------------------------------


def test_week_saved_and_listed(practice: Practice) -> None:
    _save_week(practice, _week(practice, {0: "08:00-12:00, 13:00-17:00", 2: "09:00-13:00"}))
    with practice.database.session() as session:
        listed = hours.list_provider_hours(session, practice.front_desk, practice.provider_id)

    assert [(row.weekday, row.starts, row.ends) for row in listed] == [
        (0, time(8), time(12)),
        (0, time(13), time(17)),
        (2, time(9), time(13)),
    ]
    assert {row.location_name for row in listed} == {"Main Office"}


def test_week_resave_keeps_unchanged_rows(practice: Practice) -> None:
    _save_week(practice, _week(practice, {0: "08:00-12:00, 13:00-17:00"}))
    with practice.database.session() as session:
        first_ids = {row.id for row in session.scalars(select(ProviderHours))}
    _save_week(practice, _week(practice, {0: "08:00-12:00, 14:00-18:00"}))

    with practice.database.session() as session:
        rows = session.scalars(select(ProviderHours)).all()
    active = [(row.starts, row.ends) for row in rows if not row.archived]
    archived = [(row.starts, row.ends) for row in rows if row.archived]
    assert sorted(active) == [(time(8), time(12)), (time(14), time(18))]
    assert archived == [(time(13), time(17))]
    assert len(first_ids & {row.id for row in rows if not row.archived}) == 1


def test_week_overlap_within_day(practice: Practice) -> None:
    messages = _week_problems(practice, _week(practice, {1: "08:00-12:00, 11:30-15:00"}))
    assert len(messages) == 1
    assert messages[0].startswith("Tuesday: 08:00\u201312:00 overlaps 11:30\u201315:00")


def test_week_reports_every_day(practice: Practice) -> None:
    week = _week(practice, {0: "09:00-08:00", 3: "lunch", 4: "08:00-17:00"})
    week = replace(
        week,
        days=(*week.days, DayHoursInput(5, None, "08:00-12:00")),
        effective_from=date(2026, 5, 1),
        effective_until=date(2026, 4, 1),
    )
    messages = _week_problems(practice, week)

    assert any(message.startswith("The hours end on 2026-04-01") for message in messages)
    assert any(message.startswith("Monday: 09:00-08:00 ends before") for message in messages)
    assert any(message.startswith("Thursday: lunch is not a time range") for message in messages)
    assert any(message.startswith("Saturday: The location was not found") for message in messages)
    assert len(messages) == 4


def test_week_overlap_with_other_period(practice: Practice) -> None:
    _save_week(practice, _week(practice, {0: "08:00-12:00"}))
    later = _week(practice, {0: "11:00-15:00"}, effective_from=date(2026, 9, 1))
    messages = _week_problems(practice, later)
    assert len(messages) == 1
    assert "in the hours with no dates" in messages[0]


def test_week_periods_apart_may_differ(practice: Practice) -> None:
    until_august = _week(practice, {0: "08:00-12:00"}, effective_until=date(2026, 8, 31))
    from_september = _week(practice, {0: "10:00-14:00"}, effective_from=date(2026, 9, 1))
    _save_week(practice, until_august)
    _save_week(practice, from_september)

    with practice.database.session() as session:
        listed = hours.list_provider_hours(session, practice.admin, practice.provider_id)
    periods = hours.group_by_period(listed)
    assert list(periods) == [(None, date(2026, 8, 31)), (date(2026, 9, 1), None)]
    assert hours.describe_period((date(2026, 9, 1), None)) == "From 2026-09-01 on"
    assert hours.describe_period((None, None)) == "Always"


def test_archive_period_leaves_others(practice: Practice) -> None:
    _save_week(practice, _week(practice, {0: "08:00-12:00"}, effective_until=date(2026, 8, 31)))
    _save_week(practice, _week(practice, {0: "10:00-14:00"}, effective_from=date(2026, 9, 1)))
    with practice.database.transaction() as session:
        hours.archive_period(session, practice.admin, practice.provider_id, None, date(2026, 8, 31))
    with practice.database.session() as session:
        listed = hours.list_provider_hours(session, practice.admin, practice.provider_id)
    assert [(row.starts, row.effective_from) for row in listed] == [(time(10), date(2026, 9, 1))]


def test_week_needs_practice_setup(practice: Practice) -> None:
    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        week = _week(practice, {0: "08:00-12:00"})
        hours.save_provider_week(session, practice.front_desk, practice.provider_id, week)


# ---- blockouts ----------------------------------------------------------------------


def _meeting(**changes: object) -> BlockoutInput:
    data = BlockoutInput(
        title="Staff meeting",
        kind="meeting",
        scope="practice",
        scope_id=None,
        starts_at=wall(2026, 3, 4, 8),
        ends_at=wall(2026, 3, 4, 9),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def _blockout_fields(practice: Practice, data: BlockoutInput) -> list[str]:
    with practice.database.transaction() as session, pytest.raises(ValidationError) as error:
        blockouts.save_blockout(session, practice.admin, None, data)
    return [problem.field for problem in error.value.problems]


def test_weekly_rule_round_trip() -> None:
    rule = blockouts.weekly_rule((4, 0, 2))
    assert rule == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert blockouts.rule_weekdays(rule) == (0, 2, 4)
    assert blockouts.weekly_rule(()) is None
    assert blockouts.rule_weekdays("FREQ=MONTHLY;BYMONTHDAY=1") == ()


def test_blockout_scopes_saved(practice: Practice) -> None:
    scopes = (
        ("practice", None, "Whole practice"),
        ("location", practice.location_id, "Main Office"),
        ("provider", practice.provider_id, "Ana Lopez, MD"),
        ("room", practice.room_id, "Main Office, Exam 1"),
    )
    with practice.database.transaction() as session:
        for scope, scope_id, _name in scopes:
            data = _meeting(scope=scope, scope_id=scope_id, title=f"Meeting {scope}")
            blockouts.save_blockout(session, practice.admin, None, data)
    with practice.database.session() as session:
        listed = blockouts.list_blockouts(session, practice.front_desk)

    shown = {(row.scope, row.scope_id, row.scope_name) for row in listed}
    assert shown == set(scopes)


def test_blockout_repeat_saved_as_rule(practice: Practice) -> None:
    data = _meeting(repeat_weekdays=(0, 2), repeat_until=date(2026, 6, 30))
    with practice.database.transaction() as session:
        blockouts.save_blockout(session, practice.admin, None, data)
    with practice.database.session() as session:
        row = session.scalars(select(Blockout)).one()
        listed = blockouts.list_blockouts(session, practice.admin)

    assert row.rule == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert row.repeat_until == date(2026, 6, 30)
    assert listed[0].repeat_weekdays == (0, 2)


def test_blockout_reports_every_problem(practice: Practice) -> None:
    data = _meeting(
        title="",
        kind="vacation",
        scope="provider",
        ends_at=wall(2026, 3, 4, 7),
        repeat_weekdays=(0, 9),
        repeat_until=date(2026, 3, 1),
    )
    fields = _blockout_fields(practice, data)
    assert fields == [
        "blockout.title",
        "blockout.kind",
        "blockout.scope_id",
        "blockout.ends_at",
        "blockout.repeat_weekdays",
        "blockout.repeat_until",
    ]


def test_blockout_repeat_longer_than_a_day(practice: Practice) -> None:
    data = _meeting(ends_at=wall(2026, 3, 6, 9), repeat_weekdays=(2,))
    assert _blockout_fields(practice, data) == ["blockout.ends_at"]


def test_blockout_repeat_until_needs_days(practice: Practice) -> None:
    data = _meeting(repeat_until=date(2026, 6, 30))
    assert _blockout_fields(practice, data) == ["blockout.repeat_until"]


def test_blockout_list_starting(practice: Practice) -> None:
    with practice.database.transaction() as session:
        blockouts.save_blockout(session, practice.admin, None, _meeting(title="Past"))
        repeating = _meeting(title="Weekly", repeat_weekdays=(1,))
        blockouts.save_blockout(session, practice.admin, None, repeating)
    with practice.database.session() as session:
        listed = blockouts.list_blockouts(session, practice.admin, starting=date(2026, 4, 1))
    assert [row.title for row in listed] == ["Weekly"]


def test_blockout_needs_practice_setup(practice: Practice) -> None:
    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        blockouts.save_blockout(session, practice.front_desk, None, _meeting())


# ---- federal holidays ---------------------------------------------------------------


def test_federal_holidays_2026() -> None:
    assert [day for day, _name in blockouts.federal_holidays(2026)] == HOLIDAYS_2026


def test_prefill_holidays_idempotent(practice: Practice) -> None:
    with practice.database.transaction() as session:
        first = blockouts.prefill_holidays(session, practice.admin, 2026)
    with practice.database.transaction() as session:
        second = blockouts.prefill_holidays(session, practice.admin, 2026)
    with practice.database.session() as session:
        rows = session.scalars(select(Blockout).order_by(Blockout.starts_at)).all()

    assert list(first.added) == HOLIDAYS_2026
    assert second.added == ()
    assert list(second.already_present) == HOLIDAYS_2026
    assert not second.changes.kinds
    assert [row.starts_at.date() for row in rows] == HOLIDAYS_2026
    assert {row.kind for row in rows} == {"holiday"}
    assert {row.ends_at - row.starts_at for row in rows} == {timedelta(days=1)}
    assert {row.starts_at.time() for row in rows} == {time()}
    assert rows[0].title == "New Year's Day"


def test_prefill_keeps_archived_holiday_removed(practice: Practice) -> None:
    with practice.database.transaction() as session:
        blockouts.prefill_holidays(session, practice.admin, 2026)
    with practice.database.transaction() as session:
        columbus = session.scalars(
            select(Blockout).where(Blockout.starts_at == wall(2026, 10, 12))
        ).one()
        blockouts.archive_blockout(session, practice.admin, columbus.id)
    with practice.database.transaction() as session:
        again = blockouts.prefill_holidays(session, practice.admin, 2026)
    with practice.database.session() as session:
        listed = blockouts.list_blockouts(session, practice.admin)

    assert again.added == ()
    assert len(listed) == len(HOLIDAYS_2026) - 1
    assert date(2026, 10, 12) not in [row.starts_at.date() for row in listed]


def test_prefill_holiday_is_editable(practice: Practice) -> None:
    with practice.database.transaction() as session:
        blockouts.prefill_holidays(session, practice.admin, 2026)
    with practice.database.transaction() as session:
        row = session.scalars(select(Blockout).where(Blockout.starts_at == wall(2026, 12, 25)))
        holiday_id = row.one().id
        data = _meeting(
            title="Christmas (closing at noon)",
            kind="holiday",
            starts_at=wall(2026, 12, 25, 12),
            ends_at=wall(2026, 12, 26),
        )
        blockouts.save_blockout(session, practice.admin, holiday_id, data)
    with practice.database.transaction() as session:
        again = blockouts.prefill_holidays(session, practice.admin, 2026)

    with practice.database.session() as session:
        christmas = session.get(Blockout, holiday_id)
    assert again.added == ()
    assert christmas is not None
    assert christmas.starts_at == wall(2026, 12, 25, 12)


@pytest.mark.parametrize("year", [1999, 2101])
def test_prefill_rejects_year(practice: Practice, year: int) -> None:
    with practice.database.transaction() as session, pytest.raises(ValidationError) as error:
        blockouts.prefill_holidays(session, practice.admin, year)
    assert [problem.field for problem in error.value.problems] == ["holidays.year"]


def test_prefill_needs_practice_setup(practice: Practice) -> None:
    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        blockouts.prefill_holidays(session, practice.front_desk, 2026)
