"""ORM models, one module per area. Importing this package registers every table."""

from app.models.ledger import LedgerEntry
from app.models.onboarding import (
    AuthorizedService,
    DuplicateDecision,
    OnboardingStep,
    PatientMerge,
    PatientOnboarding,
    PriorAuthorization,
    Referral,
)
from app.models.patients import (
    Coverage,
    ExternalReference,
    OutsideProvider,
    Patient,
    PatientAlert,
    PatientDocument,
    PatientPhone,
    PatientPreviousName,
    Person,
    VisitHistory,
)
from app.models.practice import Location, Payer, Practice, Provider, Room
from app.models.scheduling import Appointment
from app.models.search import PatientSearchKey, PatientSearchVariant
from app.models.security import AuditEvent, AuditHead, EmergencyAccess, User
from app.models.system import BackupRecord, NumberCounter, Setting, Workstation

__all__ = [
    "Appointment",
    "AuditEvent",
    "AuditHead",
    "AuthorizedService",
    "BackupRecord",
    "Coverage",
    "DuplicateDecision",
    "EmergencyAccess",
    "ExternalReference",
    "LedgerEntry",
    "Location",
    "NumberCounter",
    "OnboardingStep",
    "OutsideProvider",
    "Patient",
    "PatientAlert",
    "PatientDocument",
    "PatientMerge",
    "PatientOnboarding",
    "PatientPhone",
    "PatientPreviousName",
    "PatientSearchKey",
    "PatientSearchVariant",
    "Payer",
    "Person",
    "Practice",
    "PriorAuthorization",
    "Provider",
    "Referral",
    "Room",
    "Setting",
    "User",
    "VisitHistory",
    "Workstation",
]
