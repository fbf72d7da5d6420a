"""Values the charge-entry screen edits and shows: an encounter, its lines and queue rows.

These are plain values, filled by the charge-entry form and by tests, and checked, saved
and posted by `app.services.encounters`. A problem's `field` names the attribute it
concerns, with a 0-based index for list items, such as "diagnoses[2]" or
"lines[0].pointers", so the form can put the message beside the right widget.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# Claims carry at most 4 modifiers and 4 diagnosis pointers per service line.
MAX_MODIFIERS = 4
MAX_POINTERS = 4
# The maximum units of one line, as charge entry offers them. Even at the maximum fee
# (fee_schedules.MAX_FEE) the charge, about $10 billion, fits a money column's cents.
MAX_UNITS = 9999
# A claim carries at most 12 diagnoses. An encounter may list more, and the claim builder
# splits it into several claims.
# NOTE: pointers are positions in the encounter's whole list, so a line pointing past 12
# must be renumbered within its claim when the encounter is split.
MAX_CLAIM_DIAGNOSES = 12

STATUS_DRAFT = "draft"
STATUS_POSTED = "posted"


@dataclass(slots=True)
class LineForm:
    """One service line as typed.

    `service_date` None means the encounter's date. `unit_fee` None means the fee
    schedule's price for the date. `pointers` are 1-based positions in the encounter's
    diagnosis list.
    """

    id: uuid.UUID | None = None
    service_date: date | None = None
    procedure_code: str = ""
    modifiers: list[str] = field(default_factory=list)
    units: int = 1
    unit_fee: Decimal | None = None
    pointers: list[int] = field(default_factory=lambda: [1])
    ndc_code: str = ""
    ndc_quantity: str = ""
    ndc_unit: str = ""
    note: str = ""


@dataclass(slots=True)
class EncounterForm:
    """Everything the charge-entry screen edits for one visit.

    `id` is None for an encounter not saved yet. `diagnoses` contains ICD-10-CM codes as
    typed, in claim order. `referring_provider_id` is an outside_provider id.
    `loaded_at` is the encounter's updated_at when the form was loaded; a save is
    rejected when the encounter changed since then.
    """

    id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    service_date: date | None = None
    rendering_provider_id: uuid.UUID | None = None
    supervising_provider_id: uuid.UUID | None = None
    referring_provider_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    place_of_service: str = "11"
    prior_authorization_id: uuid.UUID | None = None
    related_employment: bool = False
    related_auto_accident: bool = False
    auto_accident_state: str = ""
    related_other_accident: bool = False
    onset_date: date | None = None
    note: str = ""
    diagnoses: list[str] = field(default_factory=list)
    lines: list[LineForm] = field(default_factory=list)
    loaded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PostedLine:
    """A line of a posted encounter, as the editor and ledger views show it."""

    id: uuid.UUID
    position: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge_amount: Decimal
    reversed: bool
    replaces_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class EncounterSummary:
    """One row of the Charges queue."""

    id: uuid.UUID
    encounter_number: str
    patient_id: uuid.UUID
    patient_name: str
    service_date: date
    provider_name: str
    status: str
    line_count: int
    total: Decimal
