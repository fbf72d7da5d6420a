"""Loaders of the values the encounter editor shows, each run in one unit of work.

These functions run on an operation-runner worker with the session it opens, so they
return plain values: ORM rows never leave the session that loaded them.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models.charges import ProcedureCode
from app.security.permissions import Actor, Permission
from app.services import encounters, icd10, procedure_codes
from app.services.admin_records import list_locations
from app.services.authorizations import list_authorizations
from app.services.encounter_forms import STATUS_DRAFT, EncounterForm, LineForm, PostedLine
from app.services.place_of_service import PlaceOfService, places_of_service
from app.services.registration import Choice, outside_provider_choices, provider_choices
from app.services.registration_lookups import patient_labels
from app.services.today import practice_today

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CodeOption:
    """A procedure code as the line grid offers it."""

    code: str
    description: str
    default_units: int
    requires_ndc: bool

    @property
    def label(self) -> str:
        """The completion entry, such as "99213  Office visit, established patient"."""
        return f"{self.code}  {self.description}"


@dataclass(frozen=True, slots=True)
class DiagnosisInfo:
    """A diagnosis code as listed: its description and the edition it was checked in."""

    code: str
    description: str
    edition: str


@dataclass(frozen=True, slots=True)
class EditorData:
    """An encounter with everything its editor shows beside the values."""

    form: EncounterForm
    status: str
    encounter_number: str
    patient_label: str
    today: date
    providers: list[Choice]
    outside_providers: list[Choice]
    locations: list[Choice]
    authorizations: list[Choice]
    places: list[PlaceOfService]
    edition: str
    diagnoses: dict[str, DiagnosisInfo] = field(default_factory=dict)
    codes: dict[str, CodeOption] = field(default_factory=dict)
    favorites: list[CodeOption] = field(default_factory=list)
    posted: list[PostedLine] = field(default_factory=list)
    line_fees: list[Decimal | None] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PricedLine:
    """The fee schedule's price and units for one line, and the code it names."""

    index: int
    code: str
    line: LineForm
    option: CodeOption | None


def code_option(code: ProcedureCode) -> CodeOption:
    """Return a procedure code row as a plain value."""
    return CodeOption(code.code, code.description, code.default_units, code.requires_ndc)


def describe_diagnoses(
    session: Session, codes: list[str], service_date: date
) -> tuple[str, dict[str, DiagnosisInfo]]:
    """Return the edition in force on `service_date` and each code's description in it."""
    edition = icd10.edition_for(session, service_date).name
    described = {}
    for code in codes:
        stored = icd10.normalize_code(code)
        description = icd10.describe_code(session, stored, service_date) or "not a known code"
        described[stored] = DiagnosisInfo(stored, description, edition)
    return edition, described


def describe_codes(session: Session, codes: list[str]) -> dict[str, CodeOption]:
    """Return the practice's procedure codes among `codes` (unknown ones are left out)."""
    found = {}
    for code in dict.fromkeys(code.strip().upper() for code in codes if code.strip()):
        row = procedure_codes.find_procedure_code(session, code)
        if row is not None:
            found[code] = code_option(row)
    return found


def favorite_options(
    session: Session, actor: Actor, provider_id: uuid.UUID | None
) -> list[CodeOption]:
    """Return the provider's favorite codes (none without a provider)."""
    if provider_id is None:
        return []
    return [code_option(code) for code in encounters.favorite_codes(session, actor, provider_id)]


def _authorization_choices(
    session: Session, actor: Actor, patient_id: uuid.UUID, today: date
) -> list[Choice]:
    views = list_authorizations(session, actor, patient_id, today)
    return [
        Choice(
            view.id,
            f"{view.authorization_number} · {view.payer_name} · "
            f"{view.starts_on:%m/%d/%Y} to {view.ends_on:%m/%d/%Y} · {view.remaining} left",
        )
        for view in views
    ]


def editor_data(
    session: Session, actor: Actor, form: EncounterForm, status: str, number: str
) -> EditorData:
    """Read the pickers, descriptions, favorites and posted lines that go with `form`."""
    assert form.patient_id is not None, "an encounter always names its patient"
    today = practice_today(session)
    service_date = form.service_date or today
    edition, diagnoses = describe_diagnoses(session, form.diagnoses, service_date)
    # The picker searches on the GUI thread, so the edition's index (seconds to build the
    # first time in a process) is built here, on the worker, before the picker is usable.
    icd10.search_codes(session, "A00", service_date, limit=1)
    posted = []
    line_fees: list[Decimal | None] = []
    if status != STATUS_DRAFT and form.id is not None:
        posted = encounters.posted_lines(session, actor, form.id)
    elif form.service_date is not None:
        # A stored line keeps its fee only when it was typed over the schedule's price, so
        # the price shown for the other lines is read from the schedule.
        line_fees = [
            encounters.priced_line(session, actor, form, index).unit_fee
            for index in range(len(form.lines))
        ]
    labels = patient_labels(session, actor, [form.patient_id])
    return EditorData(
        form=form,
        status=status,
        encounter_number=number,
        patient_label=labels.get(form.patient_id, "Patient not found"),
        today=today,
        providers=provider_choices(session, actor),
        outside_providers=outside_provider_choices(session, actor),
        locations=[Choice(place.id, place.name) for place in list_locations(session, actor)],
        authorizations=_authorization_choices(session, actor, form.patient_id, today),
        places=places_of_service(),
        edition=edition,
        diagnoses=diagnoses,
        codes=describe_codes(
            session,
            [line.procedure_code for line in form.lines] + [line.procedure_code for line in posted],
        ),
        favorites=favorite_options(session, actor, form.rendering_provider_id),
        posted=posted,
        line_fees=line_fees,
    )


def load_editor_data(session: Session, actor: Actor, encounter_id: uuid.UUID) -> EditorData:
    """Read a saved encounter (an audited view) and what its editor shows with it."""
    form = encounters.load_encounter(session, actor, encounter_id)
    status, number = encounters.encounter_status(session, actor, encounter_id)
    return editor_data(session, actor, form, status, number)


def new_editor_data(
    session: Session, actor: Actor, patient_id: uuid.UUID, service_date: date | None
) -> EditorData:
    """Start an unsaved encounter for the patient (today when `service_date` is None)."""
    day = service_date or practice_today(session)
    form = encounters.new_encounter_form(session, actor, patient_id, day)
    return editor_data(session, actor, form, STATUS_DRAFT, "")


def price_line(session: Session, actor: Actor, form: EncounterForm, index: int) -> PricedLine:
    """Return the schedule's fee and default units for line `index`, and its code's details."""
    code = form.lines[index].procedure_code.strip().upper()
    row = procedure_codes.find_procedure_code(session, code) if code else None
    if row is None:
        return PricedLine(index, code, form.lines[index], None)
    return PricedLine(
        index, code, encounters.priced_line(session, actor, form, index), code_option(row)
    )


def search_code_options(session: Session, text: str, limit: int = 20) -> list[CodeOption]:
    """Return procedure codes matching `text` by code prefix or description words."""
    return [
        code_option(row) for row in procedure_codes.search_procedure_codes(session, text, limit)
    ]


def can_change_fee(actor: Actor) -> bool:
    """Return True when `actor` may type a fee other than the schedule's."""
    return actor.can(Permission.CHARGE_CHANGE_FEE)


def total_of(lines: list[PostedLine]) -> Decimal:
    """Return the charges of the posted lines still in force."""
    return sum((line.charge_amount for line in lines if not line.reversed), Decimal(0))
