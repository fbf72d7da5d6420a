"""What the registration screen edits: a patient with phones, names, alerts and coverages.

These are plain values, filled by the form, by the CSV and FHIR importers and by tests,
and checked and saved by `app.services.registration`. Text fields hold what the user
typed; the service normalizes them on save. A problem's `field` names the attribute it
concerns, with an index for list items, such as "phones[1].number" or
"coverages[0].member_id", so the form can put the message beside the right widget.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

SEXES = {"F": "Female", "M": "Male", "U": "Unknown"}
STATUSES = ("active", "inactive", "deceased")
MARITAL_STATUSES = ("single", "married", "partner", "divorced", "separated", "widowed")
CONTACT_METHODS = ("phone", "text", "email", "mail")
ALERT_SEVERITIES = ("info", "warning", "critical")

# X12 individual relationship codes (2000B SBR02 and 2000C PAT01) offered for a subscriber.
RELATIONSHIP_CODES = {
    "18": "Self",
    "01": "Spouse",
    "19": "Child",
    "20": "Employee",
    "39": "Organ donor",
    "40": "Cadaver donor",
    "53": "Life partner",
    "G8": "Other relationship",
    "21": "Unknown",
}

# Plan types as the desk names them, each with its X12 claim filing indicator (SBR09).
PLAN_TYPES = {
    "CI": "Commercial insurance",
    "HM": "HMO",
    "12": "PPO",
    "13": "Point of service (POS)",
    "14": "Exclusive provider organization (EPO)",
    "15": "Indemnity insurance",
    "BL": "Blue Cross/Blue Shield",
    "MA": "Medicare Part A",
    "MB": "Medicare Part B",
    "16": "Medicare Advantage HMO",
    "MC": "Medicaid",
    "CH": "TRICARE (CHAMPUS)",
    "VA": "Veterans Affairs plan",
    "WC": "Workers' compensation",
    "AM": "Automobile medical",
    "LM": "Liability medical",
    "OF": "Other federal program",
    "11": "Other non-federal program",
    "17": "Dental maintenance organization",
    "DS": "Disability",
    "FI": "Federal Employees Program",
    "ZZ": "Mutually defined",
}

COB_ORDER = {1: "Primary", 2: "Secondary", 3: "Tertiary"}


@dataclass(slots=True)
class PersonForm:
    """A person who is not a patient: a guarantor or a subscriber."""

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    date_of_birth: date | None = None
    sex: str = "U"
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    phone: str = ""
    email: str = ""
    employer_name: str = ""
    id: uuid.UUID | None = None


@dataclass(slots=True)
class PartyChoice:
    """Who a guarantor or subscriber is: the patient, another patient, or a person.

    `kind` is "self", "patient" or "person". For "patient", `patient_id` names the
    record. For "person", `person` holds the details (with its id when it exists).
    """

    kind: str = "self"
    patient_id: uuid.UUID | None = None
    person: PersonForm | None = None


@dataclass(slots=True)
class PhoneEntry:
    """One phone number; the first in the list is the one to call first."""

    kind: str = "mobile"
    number: str = ""
    extension: str = ""
    id: uuid.UUID | None = None


@dataclass(slots=True)
class PreviousNameEntry:
    """A name the patient went by before."""

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    used_until: date | None = None
    id: uuid.UUID | None = None


@dataclass(slots=True)
class AlertEntry:
    """A note shown whenever the record opens."""

    message: str = ""
    severity: str = "warning"
    id: uuid.UUID | None = None


@dataclass(slots=True)
class CardImage:
    """A new picture of an insurance card side, to store on save."""

    content: bytes
    media_type: str


@dataclass(slots=True)
class CoverageForm:
    """One insurance policy of the patient; `archived` removes it on save."""

    payer_id: uuid.UUID | None = None
    priority: int = 1
    plan_name: str = ""
    plan_type: str = ""
    member_id: str = ""
    group_number: str = ""
    group_name: str = ""
    subscriber: PartyChoice = field(default_factory=PartyChoice)
    relationship_code: str = "18"
    effective_date: date | None = None
    termination_date: date | None = None
    copay_office: Decimal | None = None
    copay_specialist: Decimal | None = None
    copay_urgent_care: Decimal | None = None
    copay_emergency: Decimal | None = None
    card_front: CardImage | None = None
    card_back: CardImage | None = None
    archived: bool = False
    id: uuid.UUID | None = None


@dataclass(slots=True)
class PatientForm:
    """Everything the registration screen edits for one patient.

    `id` and `chart_number` are None for a patient not saved yet; the chart number is
    issued on the first save. `ssn` holds what was typed; a loaded form holds only the
    masked value ("***-**-1234") in `ssn_masked` and leaves `ssn` empty, so saving
    without retyping keeps the number on file. `loaded_at` is the patient's updated_at
    when the form was loaded; a save is rejected when the record changed since then.
    """

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    preferred_name: str = ""
    previous_names: list[PreviousNameEntry] = field(default_factory=list)
    sex: str = ""
    gender_identity: str = ""
    date_of_birth: date | None = None
    ssn: str = ""
    ssn_masked: str = ""
    clear_ssn: bool = False
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    phones: list[PhoneEntry] = field(default_factory=list)
    email: str = ""
    preferred_contact: str = ""
    reminder_consent: bool = False
    preferred_language: str = ""
    marital_status: str = ""
    employer_name: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relation: str = ""
    primary_provider_id: uuid.UUID | None = None
    referring_provider_id: uuid.UUID | None = None
    status: str = "active"
    deceased_on: date | None = None
    guarantor: PartyChoice = field(default_factory=PartyChoice)
    alerts: list[AlertEntry] = field(default_factory=list)
    coverages: list[CoverageForm] = field(default_factory=list)
    recall_interval_months: int | None = None
    recall_due_on: date | None = None
    id: uuid.UUID | None = None
    chart_number: str | None = None
    loaded_at: datetime | None = None
