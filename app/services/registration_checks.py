"""Checks of a patient form: every problem at once, each named by the field it concerns.

Field names follow `app.services.patient_forms`: "last_name", "phones[1].number",
"guarantor.person.last_name", "coverages[0].member_id". Nothing here writes; the
database is only read to check that referenced records exist.
"""

import re
import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from app.contact import PHONE_KINDS, email_problems
from app.db.base import SyncedMixin
from app.models.patients import OutsideProvider
from app.models.practice import Provider
from app.problems import Problem, Severity
from app.services.coverage_checks import coverage_problems
from app.services.patient_forms import (
    ALERT_SEVERITIES,
    CONTACT_METHODS,
    MARITAL_STATUSES,
    STATUSES,
    PatientForm,
    PreviousNameEntry,
)
from app.services.person_checks import (
    address_problems,
    birth_date_problems,
    full_name_problems,
    name_problems,
    party_problems,
    phone_number_problems,
    sex_problems,
)
from app.validators import (
    claim_text_problems,
    digits_only,
    echo_for_message,
    text_problems,
)

MAX_ALERT_LENGTH = 500
MAX_RECALL_MONTHS = 120

# ASCII only: \d would also accept other scripts' digits, which digits_only drops.
_SSN_TEXT = re.compile(r"[0-9 -]+")
_EXTENSION = re.compile(r"[0-9]{1,10}")


def ssn_problems(value: str, field: str) -> list[Problem]:
    """Check a Social Security number; a blank value is allowed.

    Numbers the SSA never issues (area 000, 666 or 900-999, group 00, serial 0000) are
    errors, except area 999, which synthetic test records (Synthea) use: it is accepted
    with a warning so imported test data loads.
    """
    text = value.strip()
    if not text:
        return []
    digits = digits_only(text)
    if _SSN_TEXT.fullmatch(text) is None or len(digits) != 9:
        return [
            Problem(
                field,
                f"SSN {echo_for_message(text)} is not 9 digits; write it as NNN-NN-NNNN, "
                "such as 123-45-6789.",
            )
        ]
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area == "999":
        return [
            Problem(
                field,
                "SSN area 999 is never issued and marks test data; check the number on the "
                "patient's card unless this is a test record.",
                Severity.WARNING,
            )
        ]
    if area in ("000", "666") or area.startswith("9"):
        reason = f"area {area}"
    elif group == "00":
        reason = "group 00"
    elif serial == "0000":
        reason = "serial 0000"
    else:
        return []
    return [
        Problem(
            field,
            f"SSN with {reason} is never issued; check the number on the patient's card.",
        )
    ]


def _has_mailing_address(form: PatientForm) -> bool:
    parts = (form.address_line1, form.city, form.state, form.zip_code)
    return all(part.strip() for part in parts)


def _phone_list_problems(form: PatientForm) -> list[Problem]:
    problems = []
    for index, phone in enumerate(form.phones):
        prefix = f"phones[{index}]."
        if phone.kind not in PHONE_KINDS:
            problems.append(
                Problem(
                    f"{prefix}kind",
                    f"Phone type {echo_for_message(phone.kind) or '(blank)'} is not known; "
                    "choose mobile, home, work or other.",
                )
            )
        problems.extend(phone_number_problems(phone.number, f"{prefix}number", required=True))
        extension = phone.extension.strip()
        if extension and _EXTENSION.fullmatch(extension) is None:
            problems.append(
                Problem(
                    f"{prefix}extension",
                    f"Extension {echo_for_message(extension)} is not valid; enter up to 10 digits.",
                )
            )
    return problems


# What each way of contact needs on file, and the message when it is missing.
_CONTACT_NEEDS: dict[str, tuple[Callable[[PatientForm], bool], str]] = {
    "phone": (
        lambda form: bool(form.phones),
        "Phone calls need a phone number; add one or choose another way.",
    ),
    "text": (
        lambda form: any(phone.kind == "mobile" for phone in form.phones),
        "Text messages need a mobile phone; add one or choose another way.",
    ),
    "email": (
        lambda form: bool(form.email.strip()),
        "Email needs an email address; enter one or choose another way.",
    ),
    "mail": (
        _has_mailing_address,
        "Mail needs the street address, city, state and ZIP code; complete the address "
        "or choose another way.",
    ),
}


def _contact_preference_problems(form: PatientForm) -> list[Problem]:
    method = form.preferred_contact
    if not method:
        return []
    if method not in CONTACT_METHODS:
        shown = echo_for_message(method)
        message = f"Contact method {shown} is not known; choose one from the list."
        return [Problem("preferred_contact", message)]
    has_means, message = _CONTACT_NEEDS[method]
    return [] if has_means(form) else [Problem("preferred_contact", message)]


def _contact_problems(form: PatientForm) -> list[Problem]:
    problems = address_problems(
        "",
        form.address_line1,
        form.address_line2,
        form.city,
        form.state,
        form.zip_code,
    )
    problems.extend(_phone_list_problems(form))
    problems.extend(email_problems(form.email, "email"))
    problems.extend(text_problems(form.email, "email", "Email", 120, required=False))
    problems.extend(_contact_preference_problems(form))
    return problems


def _emergency_contact_problems(form: PatientForm) -> list[Problem]:
    problems = [
        *claim_text_problems(
            form.emergency_contact_name,
            "emergency_contact_name",
            "Emergency contact name",
            60,
            required=bool(form.emergency_contact_phone.strip()),
        ),
        *phone_number_problems(form.emergency_contact_phone, "emergency_contact_phone"),
        *text_problems(
            form.emergency_contact_relation,
            "emergency_contact_relation",
            "Relationship",
            30,
            required=False,
        ),
    ]
    return problems


def _other_text_problems(form: PatientForm) -> list[Problem]:
    problems = [
        *name_problems(form.preferred_name, "preferred_name", "Preferred name", 35, required=False),
        *text_problems(
            form.gender_identity, "gender_identity", "Gender identity", 40, required=False
        ),
        *text_problems(
            form.preferred_language, "preferred_language", "Language", 40, required=False
        ),
        *claim_text_problems(form.employer_name, "employer_name", "Employer", 60, required=False),
    ]
    if form.marital_status and form.marital_status not in MARITAL_STATUSES:
        problems.append(
            Problem(
                "marital_status",
                f"Marital status {echo_for_message(form.marital_status)} is not known; "
                "choose one from the list.",
            )
        )
    return problems


def _previous_name_problems(
    index: int, entry: PreviousNameEntry, form: PatientForm, today: date
) -> list[Problem]:
    prefix = f"previous_names[{index}]."
    problems = full_name_problems(
        prefix, entry.first_name, entry.middle_name, entry.last_name, entry.suffix
    )
    until = entry.used_until
    if until is not None and until > today:
        problems.append(
            Problem(
                f"{prefix}used_until",
                f"Date {until.isoformat()} is in the future; a previous name ends today or "
                "earlier.",
            )
        )
    elif until is not None and form.date_of_birth is not None and until < form.date_of_birth:
        problems.append(
            Problem(
                f"{prefix}used_until",
                f"Date {until.isoformat()} is before the date of birth; check the year.",
            )
        )
    return problems


def _death_date_problems(form: PatientForm, today: date) -> list[Problem]:
    died = form.deceased_on
    if died is None:
        return [Problem("deceased_on", "Date of death is missing; enter it or change the status.")]
    if died > today:
        return [Problem("deceased_on", f"Date of death {died.isoformat()} is in the future.")]
    if form.date_of_birth is not None and died < form.date_of_birth:
        return [
            Problem(
                "deceased_on",
                f"Date of death {died.isoformat()} is before the date of birth; check both.",
            )
        ]
    return []


def _status_problems(form: PatientForm, today: date) -> list[Problem]:
    if form.status not in STATUSES:
        shown = echo_for_message(form.status) or "(blank)"
        message = f"Status {shown} is not valid; choose active, inactive or deceased."
        return [Problem("status", message)]
    if form.status == "deceased":
        return _death_date_problems(form, today)
    if form.deceased_on is not None:
        return [
            Problem(
                "deceased_on",
                "A date of death is set but the status is not deceased; clear the date or "
                "set the status to deceased.",
            )
        ]
    return []


def _alert_problems(form: PatientForm) -> list[Problem]:
    problems = []
    for index, alert in enumerate(form.alerts):
        prefix = f"alerts[{index}]."
        problems.extend(
            text_problems(alert.message, f"{prefix}message", "Alert text", MAX_ALERT_LENGTH)
        )
        if alert.severity not in ALERT_SEVERITIES:
            problems.append(
                Problem(
                    f"{prefix}severity",
                    f"Alert level {echo_for_message(alert.severity) or '(blank)'} is not "
                    "known; choose info, warning or critical.",
                )
            )
    return problems


def _reference_problems(
    session: Session,
    model: type[SyncedMixin],
    record_id: uuid.UUID | None,
    field: str,
    label: str,
) -> list[Problem]:
    if record_id is None:
        return []
    record = session.get(model, record_id)
    if record is None or record.archived:
        return [Problem(field, f"The chosen {label} was not found or is archived; choose another.")]
    return []


def _provider_problems(session: Session, form: PatientForm) -> list[Problem]:
    return [
        *_reference_problems(
            session, Provider, form.primary_provider_id, "primary_provider_id", "provider"
        ),
        *_reference_problems(
            session,
            OutsideProvider,
            form.referring_provider_id,
            "referring_provider_id",
            "referring provider",
        ),
    ]


def _recall_problems(form: PatientForm) -> list[Problem]:
    months = form.recall_interval_months
    if months is None or 1 <= months <= MAX_RECALL_MONTHS:
        return []
    return [
        Problem(
            "recall_interval_months",
            f"Recall interval {months} is not valid; enter 1 to {MAX_RECALL_MONTHS} months "
            "or leave it blank.",
        )
    ]


def _identity_problems(form: PatientForm, today: date) -> list[Problem]:
    problems = full_name_problems(
        "", form.first_name, form.middle_name, form.last_name, form.suffix
    )
    problems.extend(birth_date_problems(form.date_of_birth, "date_of_birth", today))
    problems.extend(sex_problems(form.sex, "sex"))
    problems.extend(ssn_problems(form.ssn, "ssn"))
    if form.clear_ssn and form.ssn.strip():
        problems.append(
            Problem("ssn", "An SSN is typed and also marked to clear; do one or the other.")
        )
    for index, entry in enumerate(form.previous_names):
        problems.extend(_previous_name_problems(index, entry, form, today))
    return problems


def patient_problems(session: Session, form: PatientForm, today: date) -> list[Problem]:
    """Return every problem of `form`: identity, contact, guarantor, alerts and coverages."""
    problems = _identity_problems(form, today)
    problems.extend(_other_text_problems(form))
    problems.extend(_contact_problems(form))
    problems.extend(_emergency_contact_problems(form))
    problems.extend(_status_problems(form, today))
    problems.extend(
        party_problems(session, "guarantor.", form.guarantor, form.id, today, subscriber=False)
    )
    problems.extend(_alert_problems(form))
    problems.extend(_provider_problems(session, form))
    problems.extend(_recall_problems(form))
    problems.extend(coverage_problems(session, form.id, form.coverages, today, complete=True))
    return problems
