"""Ages in whole years, around 29 February and birthdays."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ages import age_on


def test_leap_day_birthday_in_common_year() -> None:
    born = date(2000, 2, 29)
    assert age_on(born, date(2001, 2, 28)) == 0
    assert age_on(born, date(2001, 3, 1)) == 1


def test_leap_day_birthday_in_leap_year() -> None:
    born = date(2000, 2, 29)
    assert age_on(born, date(2004, 2, 28)) == 3
    assert age_on(born, date(2004, 2, 29)) == 4


def test_day_before_and_on_birthday() -> None:
    born = date(1980, 7, 15)
    assert age_on(born, date(2020, 7, 14)) == 39
    assert age_on(born, date(2020, 7, 15)) == 40


def test_birth_day_is_zero() -> None:
    assert age_on(date(2024, 1, 1), date(2024, 1, 1)) == 0


def test_date_before_birth_rejected() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(date(2024, 1, 2), date(2024, 1, 1))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).filter(
        lambda day: (day.month, day.day) != (2, 29)
    ),
    st.integers(min_value=0, max_value=120),
)
def test_age_on_anniversary_is_years(born: date, years: int) -> None:
    assert age_on(born, born.replace(year=born.year + years)) == years
