"""Registration details of the demo patients: phones, contacts, alerts, families and plans.

`add_registration_details` fills the columns the registration screen edits into the
plain patient and coverage rows `DemoGenerator` makes, and returns the phone and alert
child rows. Some children are linked to an adult patient as parent: the parent is
their guarantor and the subscriber of their primary coverage (X12 relationship 19).
Every value comes from the generator's seeded random source, so a seed still gives the
same data.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from app.ids import new_id

Row = dict[str, Any]

AREA_CODES = ("847", "224", "773", "312")

# Usual short forms of common given names, offered as preferred names.
NICKNAMES = {
    "William": "Bill",
    "Robert": "Bob",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "James": "Jim",
    "Jennifer": "Jen",
    "Margaret": "Peggy",
    "Richard": "Rick",
    "Thomas": "Tom",
    "Christopher": "Chris",
    "Patricia": "Pat",
    "Joseph": "Joe",
    "Daniel": "Dan",
    "Anthony": "Tony",
    "Susan": "Sue",
    "Rebecca": "Becky",
    "Alexander": "Alex",
    "Samantha": "Sam",
    "Nicholas": "Nick",
}

LANGUAGES = ("English", "Spanish", "Polish", "Korean", "Tagalog", "Russian")
LANGUAGE_WEIGHTS = (80, 12, 3, 2, 2, 1)
MARITAL_STATUSES = ("single", "married", "partner", "divorced", "widowed")
MARITAL_WEIGHTS = (30, 48, 6, 10, 6)
RELATIONS = ("Spouse", "Mother", "Father", "Daughter", "Son", "Sister", "Brother", "Friend")

# (message, severity) of the alerts some demo patients carry.
ALERTS = (
    ("Latex allergy: use nitrile gloves.", "critical"),
    ("Hard of hearing: face the patient and speak clearly.", "info"),
    ("Collect the open balance before the visit.", "warning"),
    ("Uses a wheelchair: book an accessible room.", "info"),
    ("Prefers a female provider.", "info"),
)
INTERPRETER_ALERT = "Needs a {language} interpreter."

# Plan names and their X12 claim filing indicators (SBR09), by demo payer code.
PLANS: dict[str, tuple[tuple[str, str], ...]] = {
    "00621": (("Blue Choice PPO", "12"), ("BlueAdvantage HMO", "HM")),
    "00952": (("Original Medicare Part B", "MB"),),
    "ILMCD": (("HealthChoice Illinois", "MC"),),
    "60054": (("Aetna Choice POS II", "13"), ("Aetna Open Access PPO", "12")),
    "62308": (("Cigna Open Access Plus", "12"), ("Cigna LocalPlus", "CI")),
    "87726": (("Choice Plus", "12"), ("Navigate HMO", "HM")),
    "61101": (("Humana ChoiceCare PPO", "12"), ("Humana HMO Premier", "HM")),
    "TREST": (("TRICARE Prime", "CH"), ("TRICARE Select", "CH")),
    "13189": (("Meridian Medicaid", "MC"),),
    "36273": (("Medicare Supplement Plan G", "CI"),),
    "00621F": (("FEP Blue Standard", "FI"), ("FEP Blue Basic", "FI")),
    "19046": (("Workers' compensation claim", "WC"),),
}
OFFICE_COPAYS = ("20.00", "25.00", "30.00", "40.00")
FAMILY_SHARE = 0.6  # of children linked to a parent when an adult with an employer plan exists


class NameSource(Protocol):
    """A demo generator: its random source and its pooled Faker values."""

    rng: random.Random
    today: date

    def pick(self, faker_method: str) -> str: ...


@dataclass(frozen=True, slots=True)
class PayerFacts:
    """A demo payer's code and whether members get it through an employer."""

    code: str
    employer_plan: bool


@dataclass(frozen=True, slots=True)
class RegistrationRows:
    """Child rows to insert after the patients."""

    phones: list[Row]
    alerts: list[Row]


def demo_phone(rng: random.Random) -> str:
    """Return a fictional number (555-0100 to 555-0199) in E.164 form."""
    return f"+1{rng.choice(AREA_CODES)}55501{rng.randrange(100):02d}"


def _age(patient: Row, today: date) -> int:
    born: date = patient["date_of_birth"]
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _phone_rows(rng: random.Random, patient: Row) -> list[Row]:
    kinds = ["mobile" if rng.random() < 0.75 else "home"]
    numbers = [patient["phone"]]
    if rng.random() < 0.3:
        kinds.append("work" if kinds[0] == "mobile" else "mobile")
        numbers.append(demo_phone(rng))
    return [
        {
            "id": new_id(),
            "patient_id": patient["id"],
            "kind": kind,
            "number": number,
            "extension": str(100 + rng.randrange(900)) if kind == "work" else None,
            "position": position,
        }
        for position, (kind, number) in enumerate(zip(kinds, numbers, strict=True))
    ]


def _contact_details(source: NameSource, patient: Row, phones: list[Row]) -> Row:
    rng = source.rng
    has_mobile = any(phone["kind"] == "mobile" for phone in phones)
    methods = (
        ["phone"]
        + (["text", "text"] if has_mobile else [])
        + (["email"] if patient["email"] else [])
    )
    adult = _age(patient, source.today) >= 18
    details: Row = {
        "preferred_name": NICKNAMES.get(patient["first_name"]) if rng.random() < 0.4 else None,
        "preferred_contact": rng.choice(methods),
        "reminder_consent": rng.random() < 0.7,
        "preferred_language": rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0],
        "marital_status": rng.choices(MARITAL_STATUSES, MARITAL_WEIGHTS)[0] if adult else None,
        "emergency_contact_name": None,
        "emergency_contact_phone": None,
        "emergency_contact_relation": None,
        "guarantor_patient_id": None,
    }
    if rng.random() < 0.65:
        details["emergency_contact_name"] = f"{source.pick('first_name')} {patient['last_name']}"
        details["emergency_contact_phone"] = demo_phone(rng)
        details["emergency_contact_relation"] = rng.choice(RELATIONS) if adult else "Mother"
    return details


def _alert_rows(rng: random.Random, patient: Row) -> list[Row]:
    alerts = []
    language = patient["preferred_language"]
    if language != "English" and rng.random() < 0.5:
        alerts.append((INTERPRETER_ALERT.format(language=language), "info"))
    if rng.random() < 0.06:
        alerts.append(rng.choice(ALERTS))
    return [
        {"id": new_id(), "patient_id": patient["id"], "message": message, "severity": severity}
        for message, severity in alerts
    ]


def _plan_details(rng: random.Random, coverage: Row, payer: PayerFacts) -> None:
    plan_name, plan_type = rng.choice(PLANS.get(payer.code, (("", ""),)))
    coverage["plan_name"] = plan_name or None
    coverage["plan_type"] = plan_type or None
    coverage["subscriber_patient_id"] = None
    copay = Decimal(rng.choice(OFFICE_COPAYS)) if payer.employer_plan else None
    coverage["copay_office"] = copay
    coverage["copay_specialist"] = copay * 2 if copay is not None else None
    coverage["copay_urgent_care"] = Decimal("75.00") if copay is not None else None
    coverage["copay_emergency"] = Decimal("250.00") if copay is not None else None


def _link_child(child: Row, parent: Row, child_plan: Row, parent_plan: Row) -> None:
    """Make `parent` the guarantor and subscriber of the child's primary coverage."""
    for field in ("last_name", "address_line1", "city", "state", "zip_code"):
        child[field] = parent[field]
    child["guarantor_patient_id"] = parent["id"]
    for field in ("payer_id", "member_id", "group_number", "plan_name", "plan_type"):
        child_plan[field] = parent_plan[field]
    for field in ("copay_office", "copay_specialist", "copay_urgent_care", "copay_emergency"):
        child_plan[field] = parent_plan[field]
    child_plan["subscriber_patient_id"] = parent["id"]
    child_plan["relationship_code"] = "19"
    child_plan["effective_date"] = max(parent_plan["effective_date"], child["date_of_birth"])


def _link_families(
    source: NameSource,
    patients: list[Row],
    primaries: dict[uuid.UUID, Row],
    employer: set[uuid.UUID],
) -> None:
    # Parents come earlier in the list than their children, so a bulk insert in list
    # order never names a guarantor that is not inserted yet.
    parents: list[Row] = []
    for patient in patients:
        age = _age(patient, source.today)
        plan = primaries.get(patient["id"])
        if 25 <= age < 65 and plan is not None and plan["payer_id"] in employer:
            parents.append(patient)
        elif age < 18 and plan is not None and parents and source.rng.random() < FAMILY_SHARE:
            parent = source.rng.choice(parents)
            _link_child(patient, parent, plan, primaries[parent["id"]])


def add_registration_details(
    source: NameSource,
    patients: list[Row],
    coverages: list[Row],
    payers: dict[uuid.UUID, PayerFacts],
) -> RegistrationRows:
    """Fill registration columns into `patients` and `coverages`; return the child rows."""
    phones: list[Row] = []
    alerts: list[Row] = []
    for patient in patients:
        patient_phones = _phone_rows(source.rng, patient)
        patient.update(_contact_details(source, patient, patient_phones))
        phones += patient_phones
        alerts += _alert_rows(source.rng, patient)

    primaries = {}
    for coverage in coverages:
        _plan_details(source.rng, coverage, payers[coverage["payer_id"]])
        if coverage["priority"] == 1:
            primaries[coverage["patient_id"]] = coverage
    employer = {payer_id for payer_id, facts in payers.items() if facts.employer_plan}
    _link_families(source, patients, primaries, employer)
    return RegistrationRows(phones, alerts)
