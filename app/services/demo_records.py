"""Recall dates, referrals, prior authorizations and near-duplicate pairs of demo patients.

These give a new demo practice something to show under Reports → Recall due and
Possible duplicates, and on a patient's Referrals tab. Every value comes from the demo
generator's seeded random source, so a seed still gives the same data.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.ids import new_id
from app.models.onboarding import AuthorizedService, PriorAuthorization, Referral
from app.models.patients import OutsideProvider
from app.services.demo_people import NICKNAMES, NameSource, demo_phone
from app.services.recall import add_months
from app.validators import npi_check_digit

Row = dict[str, Any]

RECALL_SHARE = 0.12
RECALL_INTERVALS = (3, 6, 12)
# Days from today to a recall due date: a few overdue, most in the next two months,
# which the Recall due report shows by default (through the end of next month).
RECALL_DAYS = (-14, 60)
REFERRAL_SHARE = 0.04
AUTHORIZATION_SHARE = 0.03
# Near-duplicate pairs: a formal first name and its nickname, with the same date of
# birth, phone and address, as when a returning patient is registered a second time.
DUPLICATE_NAMES = {
    "F": ("Elizabeth", "Katherine", "Margaret"),
    "M": ("William", "Robert", "Thomas"),
}
# Adults per near-duplicate pair, so a tiny demo keeps its patients distinct.
ADULTS_PER_PAIR = 20
MAX_DUPLICATE_PAIRS = 3

OUTSIDE_PROVIDERS = (
    ("Maria", "Gonzalez", "MD", "Evanston", "60201"),
    ("David", "Kim", "DO", "Skokie", "60077"),
    ("Priya", "Shah", "MD", "Chicago", "60626"),
    ("", "NorthShore Physical Therapy", None, "Glenview", "60025"),
    ("Helen", "O'Brien", "NP", "Wilmette", "60091"),
)
REFERRAL_REASONS = (
    "Knee pain, evaluate for osteoarthritis",
    "New patient: establish primary care",
    "Diabetes management",
    "Hypertension follow-up",
    "Low back pain",
)
# (notes, unit kind, authorized count, procedure codes)
AUTHORIZATIONS = (
    ("Physical therapy for low back pain", "visits", 12, ("97110", "97140")),
    ("MRI lumbar spine without contrast", "units", 1, ("72148",)),
    ("Allergy immunotherapy", "visits", 24, ("95117",)),
    ("Office visits, all services", "visits", 6, ()),
)


@dataclass(frozen=True, slots=True)
class ReferralRows:
    """Rows to insert after the patients and coverages."""

    outside_providers: list[Row]
    referrals: list[Row]
    authorizations: list[Row]
    services: list[Row]


def _age(patient: Row, today: date) -> int:
    born: date = patient["date_of_birth"]
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def add_near_duplicates(source: NameSource, patients: list[Row]) -> int:
    """Turn pairs of adult patients into one person registered twice; return the pair count.

    The first of a pair gets a formal first name and the second its nickname, with the
    first's last name, sex, date of birth, phone and address. Call this before phones and
    coverages are made from the rows.
    """
    adults = [patient for patient in patients if _age(patient, source.today) >= 18]
    count = min(MAX_DUPLICATE_PAIRS, len(adults) // ADULTS_PER_PAIR)
    chosen = source.rng.sample(adults, 2 * count)
    for index in range(count):
        first, second = chosen[2 * index], chosen[2 * index + 1]
        formal = DUPLICATE_NAMES["F" if first["sex"] == "F" else "M"][index]
        first["first_name"] = formal
        for field in ("last_name", "sex", "date_of_birth", "phone", "address_line1"):
            second[field] = first[field]
        for field in ("city", "state", "zip_code"):
            second[field] = first[field]
        second["first_name"] = NICKNAMES[formal]
        second["middle_name"] = None
        second["suffix"] = None
        second["email"] = None
    return count


def add_recalls(source: NameSource, patients: list[Row]) -> None:
    """Give some patients a recall interval and a due date from two weeks ago to two months on.

    The due date follows the registration rule, the last visit plus the interval, for a
    last visit (made up, not stored) that puts it between RECALL_DAYS from today.
    """
    rng = source.rng
    for patient in patients:
        # Every row gets both keys, because one bulk insert takes its columns from the first.
        patient["recall_interval_months"] = None
        patient["recall_due_on"] = None
        if rng.random() >= RECALL_SHARE:
            continue
        interval = rng.choice(RECALL_INTERVALS)
        due = source.today + timedelta(days=rng.randint(*RECALL_DAYS))
        last_visit = add_months(due, -interval)
        patient["recall_interval_months"] = interval
        patient["recall_due_on"] = add_months(last_visit, interval)


def referral_rows(
    source: NameSource, patients: list[Row], coverages: list[Row], user_id: uuid.UUID | None
) -> ReferralRows:
    """Return outside providers, and referrals and prior authorizations for some patients."""
    rng = source.rng
    providers = [_outside_provider(rng, values, user_id) for values in OUTSIDE_PROVIDERS]
    primaries = {row["patient_id"]: row for row in coverages if row["priority"] == 1}
    referrals: list[Row] = []
    authorizations: list[Row] = []
    services: list[Row] = []
    for patient in patients:
        coverage = primaries.get(patient["id"])
        if rng.random() < REFERRAL_SHARE:
            provider = rng.choice(providers)
            referrals.append(_referral(source, patient, coverage, provider["id"], user_id))
        if coverage is not None and rng.random() < AUTHORIZATION_SHARE:
            authorization, codes = _authorization(source, patient, coverage, user_id)
            authorizations.append(authorization)
            services += [
                {"id": new_id(), "authorization_id": authorization["id"], "code": code,
                 "updated_by": user_id}
                for code in codes
            ]  # fmt: skip
    return ReferralRows(providers, referrals, authorizations, services)


def _outside_provider(
    rng: random.Random, values: tuple[str, str, str | None, str, str], user_id: uuid.UUID | None
) -> Row:
    first, last, credentials, city, zip_code = values
    first9 = f"1{rng.randrange(10**8):08d}"
    return {
        "id": new_id(),
        "first_name": first or None,
        "last_name": last,
        "credentials": credentials,
        "npi": first9 + str(npi_check_digit(first9)),
        "phone": demo_phone(rng),
        "fax": demo_phone(rng),
        "address_line1": f"{rng.randint(100, 2999)} Central Street",
        "city": city,
        "state": "IL",
        "zip_code": zip_code,
        "updated_by": user_id,
    }


def _referral(
    source: NameSource,
    patient: Row,
    coverage: Row | None,
    provider_id: uuid.UUID,
    user_id: uuid.UUID | None,
) -> Row:
    rng = source.rng
    referred_on = source.today - timedelta(days=rng.randint(0, 120))
    allowed = rng.choice((None, 3, 6, 12))
    return {
        "id": new_id(),
        "patient_id": patient["id"],
        "outside_provider_id": provider_id,
        "coverage_id": coverage["id"] if coverage is not None else None,
        "referral_number": f"RF{rng.randrange(10**7):07d}" if rng.random() < 0.7 else None,
        "reason": rng.choice(REFERRAL_REASONS),
        "referred_on": referred_on,
        "expires_on": referred_on + timedelta(days=rng.choice((90, 180, 365))),
        "visits_allowed": allowed,
        "visits_used": rng.randint(0, allowed - 1) if allowed else rng.randint(0, 3),
        "updated_by": user_id,
    }


def _authorization(
    source: NameSource, patient: Row, coverage: Row, user_id: uuid.UUID | None
) -> tuple[Row, tuple[str, ...]]:
    rng = source.rng
    notes, unit_kind, authorized, codes = rng.choice(AUTHORIZATIONS)
    starts_on = source.today - timedelta(days=rng.randint(0, 60))
    row = {
        "id": new_id(),
        "patient_id": patient["id"],
        "coverage_id": coverage["id"],
        "payer_id": coverage["payer_id"],
        "authorization_number": f"PA{rng.randrange(10**8):08d}",
        "starts_on": starts_on,
        "ends_on": starts_on + timedelta(days=rng.choice((60, 90, 180))),
        "unit_kind": unit_kind,
        "authorized": authorized,
        "used": rng.randint(0, authorized - 1),
        "notes": notes,
        "updated_by": user_id,
    }
    return row, codes


def insert_referral_rows(session: Session, rows: ReferralRows) -> None:
    """Insert the rows of `referral_rows`, parents before the rows that name them."""
    for model, values in (
        (OutsideProvider, rows.outside_providers),
        (Referral, rows.referrals),
        (PriorAuthorization, rows.authorizations),
        (AuthorizedService, rows.services),
    ):
        if values:
            session.execute(insert(model), values)
