"""ORM models, one module per area. Importing this package registers every table."""

from app.models.ledger import LedgerEntry
from app.models.patients import Coverage, Patient
from app.models.practice import Location, Payer, Practice, Provider, Room
from app.models.scheduling import Appointment
from app.models.search import PatientSearchKey, PatientSearchVariant
from app.models.security import AuditEvent, AuditHead, EmergencyAccess, User
from app.models.system import BackupRecord, NumberCounter, Setting, Workstation

__all__ = [
    "Appointment",
    "AuditEvent",
    "AuditHead",
    "BackupRecord",
    "Coverage",
    "EmergencyAccess",
    "LedgerEntry",
    "Location",
    "NumberCounter",
    "Patient",
    "PatientSearchKey",
    "PatientSearchVariant",
    "Payer",
    "Practice",
    "Provider",
    "Room",
    "Setting",
    "User",
    "Workstation",
]
