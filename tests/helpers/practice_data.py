"""A valid practice set-up for tests, with helpers to vary one field at a time."""

from app.services.practice import (
    AdminAccount,
    LocationInput,
    PracticeInfo,
    PracticeSetup,
    ProviderInput,
)

ADMIN_PASSWORD = "Lakeside-desk-2024!"

PRACTICE = PracticeInfo(
    legal_name="Lakeside Family Medicine LLC",
    billing_npi="1234567893",
    ein="36-4567890",
    taxonomy_code="261QP2300X",
    address_line1="1200 Lake Shore Drive",
    address_line2="Suite 300",
    city="Evanston",
    state="IL",
    zip_code="60201-4412",
    phone="(847) 555-0140",
    time_zone="America/Chicago",
)

LOCATION = LocationInput(
    name="Main Office",
    address_line1="1200 Lake Shore Drive",
    address_line2="Suite 300",
    city="Evanston",
    state="IL",
    zip_code="60201-4412",
    phone="847-555-0141",
    rooms=("Exam 1", "Exam 2"),
)

PROVIDERS = (
    ProviderInput("Ana", "Lopez", "MD", "1003000126", "207Q00000X"),
    ProviderInput("Ben", "Okafor", "NP", "1245319599", "363LF0000X"),
)

ADMIN = AdminAccount(username="admin", display_name="Office Admin", password=ADMIN_PASSWORD)


def sample_setup() -> PracticeSetup:
    """Return a set-up that passes validation."""
    return PracticeSetup(
        practice=PRACTICE,
        locations=(LOCATION,),
        providers=PROVIDERS,
        admin=ADMIN,
        workstation_name="Front desk 1",
    )
