"""Validation findings returned as data rather than raised."""

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How a finding affects the action: an error blocks it, a warning lets it go on."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: the field it concerns, what is wrong, and how to fix it."""

    field: str
    message: str
    severity: Severity = Severity.ERROR


def has_errors(problems: list[Problem]) -> bool:
    """Return True when any finding blocks the action."""
    return any(problem.severity is Severity.ERROR for problem in problems)
