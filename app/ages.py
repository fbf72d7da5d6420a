"""A person's age in whole years on a given date."""

from datetime import date


def age_on(date_of_birth: date, on: date) -> int:
    """Return the age in completed years of someone born on `date_of_birth`, on day `on`.

    Someone born on 29 February has a birthday on 1 March in common years: they turn 1
    on 2001-03-01 (not 2001-02-28) and are 4 on 2004-02-29. Raises ValueError when `on`
    is before the date of birth.
    """
    if on < date_of_birth:
        raise ValueError(f"date {on.isoformat()} is before the date of birth")

    years = on.year - date_of_birth.year
    # Comparing (month, day) pairs puts 02-29 after 02-28, so a leap-day birthday in a
    # common year is reached only on 1 March.
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
