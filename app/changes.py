"""Record kinds touched by a write, so open views refresh only what they show."""

from dataclasses import dataclass, field
from enum import StrEnum


class ChangeKind(StrEnum):
    """A kind of record a view may display."""

    PRACTICE = "practice"
    USERS = "users"
    PROVIDERS = "providers"
    LOCATIONS = "locations"
    PAYERS = "payers"
    PATIENTS = "patients"
    COVERAGES = "coverages"
    DOCUMENTS = "documents"
    REFERRALS = "referrals"
    APPOINTMENTS = "appointments"
    SCHEDULE_SETUP = "schedule_setup"
    CODE_SETS = "code_sets"
    ENCOUNTERS = "encounters"
    CLAIMS = "claims"
    PAYMENTS = "payments"
    LEDGER = "ledger"
    AUDIT = "audit"
    BACKUPS = "backups"
    SETTINGS = "settings"


@dataclass(frozen=True, slots=True)
class Changes:
    """The kinds of record one operation wrote."""

    kinds: frozenset[ChangeKind] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *kinds: ChangeKind) -> "Changes":
        """Build a Changes value from the kinds given."""
        return cls(frozenset(kinds))

    def touches(self, *kinds: ChangeKind) -> bool:
        """Return True when any of `kinds` changed."""
        return bool(self.kinds.intersection(kinds))
