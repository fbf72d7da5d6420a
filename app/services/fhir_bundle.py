"""Reading FHIR R4 bundles into the typed values the importer maps.

Bundles are read with the standard `json` module and only the elements the importer uses
are kept, so a Synthea bundle of several megabytes reads in milliseconds. Resource types
the importer does not use (Observation, Immunization, Condition ...) are counted and
dropped. Validation with `fhir.resources` is left to the exporter: it is slow and rejects
whole bundles over one element, while an import should take what it can and report what it
skipped.
"""

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.validators import shorten_for_message

log = logging.getLogger(__name__)

SYNTHEA_SYSTEM = "https://github.com/synthetichealth/synthea"
SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
# Identifier system of a resource known only by its urn:uuid full URL (RFC 3986 URIs).
URI_SYSTEM = "urn:ietf:rfc:3986"

Json = dict[str, Any]


class FhirFormatError(UserError):
    """A file is not JSON, or not a FHIR Bundle."""


@dataclass(frozen=True, slots=True)
class Identifier:
    """A FHIR Identifier: system, value and the v2-0203 type code (such as SS or MR)."""

    system: str
    value: str
    type_code: str = ""


@dataclass(frozen=True, slots=True)
class HumanName:
    """A FHIR HumanName; `use` is official, usual, maiden, old ... or empty."""

    use: str
    family: str
    given: tuple[str, ...]
    suffix: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Address:
    """A FHIR Address with the lines, city, state and postal code as written."""

    lines: tuple[str, ...]
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True, slots=True)
class ContactPoint:
    """A FHIR ContactPoint: system (phone, email ...), value and use (home, mobile ...)."""

    system: str
    value: str
    use: str


@dataclass(frozen=True, slots=True)
class Reference:
    """A FHIR Reference: the reference text (possibly empty) and its display."""

    reference: str
    display: str


@dataclass(frozen=True, slots=True)
class Period:
    """A FHIR Period as aware datetimes (a bare date counts as midnight UTC)."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Resource:
    """The fields every kept resource carries: type, id, full URL and identifiers."""

    resource_type: str
    id: str
    full_url: str
    identifiers: tuple[Identifier, ...]


@dataclass(frozen=True, slots=True)
class FhirPatient:
    """The Patient elements the importer maps."""

    base: Resource
    names: tuple[HumanName, ...]
    gender: str
    birth_date: date | None
    addresses: tuple[Address, ...]
    telecom: tuple[ContactPoint, ...]
    marital_status: str
    language: str
    deceased: bool
    deceased_on: date | None
    made_by_synthea: bool


@dataclass(frozen=True, slots=True)
class FhirOrganization:
    """An Organization: its name and type codes (pay, prov, ins ...)."""

    base: Resource
    name: str
    type_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FhirPractitioner:
    """A Practitioner: its names (identifiers carry the NPI)."""

    base: Resource
    names: tuple[HumanName, ...]


@dataclass(frozen=True, slots=True)
class FhirEncounter:
    """An Encounter: subject, period, visit type, reason, practitioner and organization."""

    base: Resource
    subject: Reference
    period: Period
    type_text: str
    reason: str
    practitioner: Reference | None
    service_provider: Reference | None


@dataclass(frozen=True, slots=True)
class FhirCoverage:
    """A Coverage resource."""

    base: Resource
    beneficiary: Reference
    payors: tuple[Reference, ...]
    subscriber_id: str
    relationship: str
    period: Period
    order: int | None
    status: str
    plan_name: str


@dataclass(frozen=True, slots=True)
class InsuranceUse:
    """The payer a Claim or ExplanationOfBenefit billed, and when (Synthea's payer trail)."""

    base: Resource
    patient: Reference
    payer: Reference
    billed_at: datetime | None


@dataclass
class ParsedBundle:
    """The kept resources of one bundle file, in file order, and what was dropped."""

    path: Path
    bundle_type: str
    patients: list[FhirPatient] = field(default_factory=list)
    organizations: list[FhirOrganization] = field(default_factory=list)
    practitioners: list[FhirPractitioner] = field(default_factory=list)
    encounters: list[FhirEncounter] = field(default_factory=list)
    coverages: list[FhirCoverage] = field(default_factory=list)
    insurance_uses: list[InsuranceUse] = field(default_factory=list)
    skipped_types: Counter[str] = field(default_factory=Counter)

    @property
    def synthea_names(self) -> bool:
        """True when every person's name part ends in digits, as Synthea writes them.

        Synthea appends a number to each generated name ("Leta870 Kihn564"). Real names
        do not end in digits, so a bundle whose every name part does is Synthea output
        and the importer may strip the numbers.
        """
        names = [name for patient in self.patients for name in patient.names]
        names += [name for practitioner in self.practitioners for name in practitioner.names]
        parts = [part for name in names for part in (*name.given, name.family) if part]
        return bool(parts) and all(part[-1].isdigit() for part in parts)


# ---- small element readers ----------------------------------------------------------


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _object(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[Json]:
    """Return the JSON objects in a list element, dropping anything else."""
    return [item for item in _list(value) if isinstance(item, dict)]


def parse_date(value: object) -> date | None:
    """Return the date of a FHIR date or dateTime ("2009-08-06", "2011-01-13T18:50:03-08:00")."""
    text = _text(value)
    if len(text) < 10:
        return None  # a partial date such as "1970-04" names no day
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_instant(value: object) -> datetime | None:
    """Return a FHIR dateTime as an aware UTC datetime; a bare date is midnight UTC."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        day = parse_date(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _codeable_text(value: object) -> str:
    """Return a CodeableConcept's text, else its first coding's display, else its code."""
    concept = _object(value)
    if _text(concept.get("text")):
        return _text(concept.get("text"))
    for coding in _list(concept.get("coding")):
        shown = _text(_object(coding).get("display")) or _text(_object(coding).get("code"))
        if shown:
            return shown
    return ""


def _first_code(value: object) -> str:
    for coding in _list(_object(value).get("coding")):
        code = _text(_object(coding).get("code"))
        if code:
            return code
    return ""


def _identifiers(resource: Json) -> tuple[Identifier, ...]:
    found = []
    for item in _objects(resource.get("identifier")):
        value = _text(item.get("value"))
        if value:
            found.append(
                Identifier(_text(item.get("system")), value, _first_code(item.get("type")))
            )
    return tuple(found)


def _names(resource: Json) -> tuple[HumanName, ...]:
    names = []
    for item in _objects(resource.get("name")):
        given = tuple(text for text in map(_text, _list(item.get("given"))) if text)
        suffix = tuple(text for text in map(_text, _list(item.get("suffix"))) if text)
        names.append(HumanName(_text(item.get("use")), _text(item.get("family")), given, suffix))
    return tuple(names)


def _reference(value: object) -> Reference | None:
    item = _object(value)
    if not item:
        return None
    return Reference(_text(item.get("reference")), _text(item.get("display")))


def _period(value: object) -> Period:
    item = _object(value)
    return Period(parse_instant(item.get("start")), parse_instant(item.get("end")))


def _base(resource: Json, full_url: str) -> Resource:
    return Resource(
        _text(resource.get("resourceType")),
        _text(resource.get("id")),
        full_url,
        _identifiers(resource),
    )


# ---- resources ------------------------------------------------------------------------


def _addresses(resource: Json) -> tuple[Address, ...]:
    found = []
    for item in _objects(resource.get("address")):
        lines = tuple(text for text in map(_text, _list(item.get("line"))) if text)
        found.append(
            Address(
                lines,
                _text(item.get("city")),
                _text(item.get("state")),
                _text(item.get("postalCode")),
            )
        )
    return tuple(found)


def _telecom(resource: Json) -> tuple[ContactPoint, ...]:
    found = []
    for item in _objects(resource.get("telecom")):
        value = _text(item.get("value"))
        if value:
            found.append(ContactPoint(_text(item.get("system")), value, _text(item.get("use"))))
    return tuple(found)


def _language(resource: Json) -> str:
    """Return the preferred communication language, else the first one listed."""
    entries = [_object(item) for item in _list(resource.get("communication"))]
    entries.sort(key=lambda item: item.get("preferred") is not True)
    for item in entries:
        shown = _codeable_text(item.get("language"))
        if shown:
            return shown
    return ""


def _made_by_synthea(resource: Json, identifiers: tuple[Identifier, ...]) -> bool:
    """Return True for a Synthea patient: its identifier system or generated text names Synthea."""
    if any(identifier.system == SYNTHEA_SYSTEM for identifier in identifiers):
        return True
    return "synthea" in _text(_object(resource.get("text")).get("div")).lower()


def _patient(resource: Json, full_url: str) -> FhirPatient:
    base = _base(resource, full_url)
    deceased_at = resource.get("deceasedDateTime")
    return FhirPatient(
        base=base,
        names=_names(resource),
        gender=_text(resource.get("gender")),
        birth_date=parse_date(resource.get("birthDate")),
        addresses=_addresses(resource),
        telecom=_telecom(resource),
        marital_status=_first_code(resource.get("maritalStatus")),
        language=_language(resource),
        deceased=resource.get("deceasedBoolean") is True or bool(_text(deceased_at)),
        deceased_on=parse_date(deceased_at),
        made_by_synthea=_made_by_synthea(resource, base.identifiers),
    )


def _organization(resource: Json, full_url: str) -> FhirOrganization:
    codes = tuple(code for code in map(_first_code, _list(resource.get("type"))) if code)
    return FhirOrganization(_base(resource, full_url), _text(resource.get("name")), codes)


def _encounter(resource: Json, full_url: str) -> FhirEncounter:
    types = [_codeable_text(item) for item in _list(resource.get("type"))]
    reasons = [_codeable_text(item) for item in _list(resource.get("reasonCode"))]
    participants = [_object(item) for item in _list(resource.get("participant"))]
    practitioner = next(
        (ref for item in participants if (ref := _reference(item.get("individual")))), None
    )
    return FhirEncounter(
        base=_base(resource, full_url),
        subject=_reference(resource.get("subject")) or Reference("", ""),
        period=_period(resource.get("period")),
        type_text=next((text for text in types if text), ""),
        reason=next((text for text in reasons if text), ""),
        practitioner=practitioner,
        service_provider=_reference(resource.get("serviceProvider")),
    )


def _coverage(resource: Json, full_url: str) -> FhirCoverage:
    order = resource.get("order")
    plan_names = [
        _text(_object(item).get("name")) or _text(_object(item).get("value"))
        for item in _list(resource.get("class"))
        if _first_code(_object(item).get("type")) == "plan"
    ]
    return FhirCoverage(
        base=_base(resource, full_url),
        beneficiary=_reference(resource.get("beneficiary")) or Reference("", ""),
        payors=tuple(ref for item in _list(resource.get("payor")) if (ref := _reference(item))),
        subscriber_id=_text(resource.get("subscriberId")),
        relationship=_first_code(resource.get("relationship")),
        period=_period(resource.get("period")),
        order=order if isinstance(order, int) and not isinstance(order, bool) else None,
        status=_text(resource.get("status")),
        plan_name=next((name for name in plan_names if name), ""),
    )


def _insurance_use(resource: Json, full_url: str) -> InsuranceUse | None:
    """Return the payer a Claim or EoB billed: its insurer, else its focal insurance."""
    payer = _reference(resource.get("insurer"))
    insurance = [_object(item) for item in _list(resource.get("insurance"))]
    insurance.sort(key=lambda item: item.get("focal") is not True)
    for item in insurance:
        if payer is not None and (payer.reference or payer.display):
            break
        payer = _reference(item.get("coverage"))
    if payer is None or not (payer.reference or payer.display):
        return None
    billed = _object(resource.get("billablePeriod")).get("start") or resource.get("created")
    return InsuranceUse(
        base=_base(resource, full_url),
        patient=_reference(resource.get("patient")) or Reference("", ""),
        payer=payer,
        billed_at=parse_instant(billed),
    )


def _keep(parsed: ParsedBundle, resource: Json, full_url: str) -> None:
    kind = _text(resource.get("resourceType"))
    if kind == "Patient":
        parsed.patients.append(_patient(resource, full_url))
    elif kind == "Organization":
        parsed.organizations.append(_organization(resource, full_url))
    elif kind == "Practitioner":
        parsed.practitioners.append(FhirPractitioner(_base(resource, full_url), _names(resource)))
    elif kind == "Encounter":
        parsed.encounters.append(_encounter(resource, full_url))
    elif kind == "Coverage":
        parsed.coverages.append(_coverage(resource, full_url))
    elif kind in ("Claim", "ExplanationOfBenefit"):
        use = _insurance_use(resource, full_url)
        if use is not None:
            parsed.insurance_uses.append(use)
    else:
        parsed.skipped_types[kind or "(no resourceType)"] += 1


# ---- files ----------------------------------------------------------------------------


def read_bundle(path: Path) -> ParsedBundle:
    """Read one bundle file; raise FhirFormatError naming the file when it is not a Bundle."""
    name = shorten_for_message(path.name)
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise FhirFormatError(
            f"{name} could not be read ({exc.strerror or exc}). Check that the file exists "
            "and that you may read it."
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirFormatError(
            f"{name} is not valid JSON ({exc}). Export the bundle again, or skip this file."
        ) from exc
    return parse_bundle(document, path)


def parse_bundle(document: object, path: Path) -> ParsedBundle:
    """Return the kept resources of a decoded Bundle; raise FhirFormatError otherwise."""
    name = shorten_for_message(path.name)
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        found = document.get("resourceType") if isinstance(document, dict) else None
        what = f"a {shorten_for_message(str(found))} resource" if found else "no FHIR resource"
        raise FhirFormatError(
            f"{name} is not a FHIR Bundle: it contains {what}. Choose a bundle exported as "
            'JSON whose resourceType is "Bundle".'
        )
    parsed = ParsedBundle(path, _text(document.get("type")))
    for entry in _objects(document.get("entry")):
        resource = _object(entry.get("resource"))
        if resource:
            _keep(parsed, resource, _text(entry.get("fullUrl")))
    log.debug(
        "read bundle %s: %d patients, %d skipped resources",
        path.name, len(parsed.patients), sum(parsed.skipped_types.values()),
    )  # fmt: skip
    return parsed
