"""Stored patient values as the merge screen shows them side by side.

The screen shows labels rather than stored codes ("Male" for "M"), phones in the
national form, an address as it is written on an envelope line, and provider names
rather than ids.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contact import display_phone
from app.models.patients import OutsideProvider, Patient
from app.models.practice import Provider
from app.services.patient_forms import SEXES

PROVIDER_KEYS = frozenset({"primary_provider_id", "referring_provider_id"})


def provider_names(session: Session, patients: Iterable[Patient]) -> dict[uuid.UUID, str]:
    """Return the names of the practice and outside providers the patients point to."""
    primary = {p.primary_provider_id for p in patients if p.primary_provider_id}
    referring = {p.referring_provider_id for p in patients if p.referring_provider_id}
    names: dict[uuid.UUID, str] = {}
    for provider in session.scalars(select(Provider).where(Provider.id.in_(primary))):
        names[provider.id] = provider.display_name
    for outside in session.scalars(
        select(OutsideProvider).where(OutsideProvider.id.in_(referring))
    ):
        first = f"{outside.first_name} " if outside.first_name else ""
        credentials = f", {outside.credentials}" if outside.credentials else ""
        names[outside.id] = f"{first}{outside.last_name}{credentials}"
    return names


def shown_value(key: str, values: tuple[object, ...], names: Mapping[uuid.UUID, str]) -> str:
    """Return the text for one merge field (its stored columns in `values`)."""
    if all(value is None or value == "" for value in values):
        return ""
    if key in PROVIDER_KEYS:
        return names.get(uuid.UUID(str(values[0])), "(archived provider)")
    return FORMATTERS.get(key, _joined)(values)


def _ssn_text(values: tuple[object, ...]) -> str:
    # The merge screen shows the last four digits only, as everywhere without ssn.reveal.
    return f"***-**-{str(values[0])[-4:]}"


def _sex_text(values: tuple[object, ...]) -> str:
    return SEXES.get(str(values[0]), str(values[0]))


def _capitalized(values: tuple[object, ...]) -> str:
    return str(values[0]).capitalize()


def _emergency_text(values: tuple[object, ...]) -> str:
    name, phone, relation = values
    return _joined((name, display_phone(str(phone)) if phone else None, relation))


def _status_text(values: tuple[object, ...]) -> str:
    status, deceased_on = values
    died = f"died {deceased_on:%m/%d/%Y}" if isinstance(deceased_on, date) else None
    return _joined((str(status).capitalize(), died))


def address_text(values: tuple[object, ...]) -> str:
    """Return an address on one line, such as "1443 Tate Place, Evanston, IL 60202"."""
    line1, line2, city, state, zip_code = values
    state_zip = " ".join(str(part) for part in (state, zip_code) if part)
    return _joined((line1, line2, city, state_zip))


def recall_text(values: tuple[object, ...]) -> str:
    """Return a recall such as "Every 12 months, due 03/01/2027"."""
    months, due_on = values
    every = f"Every {months} months" if months else None
    due = f"due {due_on:%m/%d/%Y}" if isinstance(due_on, date) else None
    return _joined((every, due))


def _joined(parts: Iterable[object]) -> str:
    shown = []
    for part in parts:
        if isinstance(part, date):
            shown.append(f"{part:%m/%d/%Y}")
        elif part not in (None, ""):
            shown.append(str(part))
    return ", ".join(shown)


# Fields whose stored columns need more than joining with commas. Preferred contact and
# marital status are stored as lower-case codes whose label is the code capitalized.
FORMATTERS: dict[str, Callable[[tuple[object, ...]], str]] = {
    "ssn": _ssn_text,
    "sex": _sex_text,
    "preferred_contact": _capitalized,
    "marital_status": _capitalized,
    "address": address_text,
    "emergency_contact": _emergency_text,
    "status": _status_text,
    "recall": recall_text,
}
