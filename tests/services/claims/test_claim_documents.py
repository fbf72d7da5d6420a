"""Claim rows turned into ClaimDocument values, and the queries that costs."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.errors import NotFoundError
from app.models.onboarding import PriorAuthorization
from app.models.patients import Coverage, Person
from app.services.claim_documents import claim_documents, submitter_for
from app.services.encounters import LineForm
from app.x12.claim_data import ClaimDocument
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice, add_clearinghouse, set_practice_zip


def documents(
    practice: ClaimPractice, claim_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ClaimDocument]:
    with practice.database.reading() as session:
        return claim_documents(session, claim_ids)


def only_document(practice: ClaimPractice, encounter_id: uuid.UUID) -> ClaimDocument:
    (claim_id,) = practice.build([encounter_id]).claim_ids
    return documents(practice, [claim_id])[claim_id]


def test_document_primary_claim(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    claim = claim_practice.claim(claim_id)

    document = documents(claim_practice, [claim_id])[claim_id]

    assert document.claim_number == claim.claim_number
    assert document.total_charge == Decimal("120.00")
    assert document.place_of_service == "11"
    assert document.frequency_code == "1"
    assert document.payer_claim_number is None
    assert document.payer_sequence == "P"
    assert document.relationship_code == "18"
    assert document.patient_is_subscriber
    assert document.subscriber == document.patient
    assert document.patient.last_name == "Rivera"
    assert document.patient.date_of_birth == date(1980, 5, 17)
    assert document.member_id == "W123456789"
    assert document.payer.name == "Aetna"
    assert document.payer.payer_code == "60054"
    assert document.claim_filing_indicator == "CI"
    assert document.patient_account_number == "T-000001"
    assert document.diagnoses == ("E119",)
    assert document.referring_provider is None
    assert document.prior_authorization is None
    assert document.other_payers == ()


def test_document_practice_and_providers(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    document = documents(claim_practice, [claim_id])[claim_id]

    billing = document.billing_provider
    assert billing.name == "Lakeside Family Medicine LLC"
    assert billing.npi == "1234567893"
    assert billing.ein == "364567890"
    assert billing.taxonomy_code == "261QP2300X"
    assert billing.address.zip_code == "602014412"
    assert billing.address.line2 == "Suite 300"
    assert billing.phone == "8475550140"
    assert document.rendering_provider.last_name == "Lopez"
    assert document.rendering_provider.npi == "1003000126"
    assert document.service_facility.name == "Main Office"
    assert document.service_facility.address.zip_code == "602014412"


def test_document_lines(claim_practice: ClaimPractice) -> None:
    lines = [
        LineForm(procedure_code="99213", modifiers=["25"], pointers=[2, 1]),
        LineForm(
            procedure_code="J1100",
            units=4,
            pointers=[2],
            ndc_code="0777-3105-02",
            ndc_quantity="4",
            ndc_unit="ME",
        ),
    ]
    encounter_id = claim_practice.post(claim_practice.form(lines, diagnoses=["E11.9", "I10"]))

    document = only_document(claim_practice, encounter_id)

    assert document.diagnoses == ("E119", "I10")
    first, second = document.lines
    assert first.line_number == 1
    assert first.line_control_number == f"{document.claim_number}-1"
    assert first.modifiers == ("25",)
    assert first.pointers == (2, 1)
    assert first.charge_amount == Decimal("130.00")
    assert first.service_date == VISIT_DAY
    assert second.line_control_number == f"{document.claim_number}-2"
    assert second.units == 4
    assert second.pointers == (2,)
    assert second.ndc_code == "00777310502"
    assert second.ndc_unit == "ME"
    assert document.total_charge == Decimal("190.00")


def test_document_nine_digit_zip_helper(claim_practice: ClaimPractice) -> None:
    set_practice_zip(claim_practice.database, "60201")
    (claim_id,) = claim_practice.build().claim_ids

    document = documents(claim_practice, [claim_id])[claim_id]

    assert document.billing_provider.address.zip_code == "60201"


def test_document_subscriber_not_patient(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        spouse = Person(
            first_name="Luis",
            last_name="Rivera",
            date_of_birth=date(1978, 1, 9),
            sex="M",
            address_line1="8 Elm St",
            city="Evanston",
            state="IL",
            zip_code="60201-1234",
        )
        session.add(spouse)
        session.flush()
        coverage = session.get(Coverage, claim_practice.aetna_coverage_id)
        assert coverage is not None
        coverage.relationship_code = "01"
        coverage.subscriber_person_id = spouse.id
    (claim_id,) = claim_practice.build().claim_ids

    document = documents(claim_practice, [claim_id])[claim_id]

    assert document.relationship_code == "01"
    assert not document.patient_is_subscriber
    assert document.subscriber.first_name == "Luis"
    assert document.subscriber.sex == "M"
    assert document.subscriber.address is not None
    assert document.subscriber.address.zip_code == "602011234"
    assert document.patient.first_name == "Maria"
    assert document.patient.address is None


def test_document_unknown_relationship_is_other(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        coverage = session.get(Coverage, claim_practice.aetna_coverage_id)
        assert coverage is not None
        coverage.relationship_code = "99"
        coverage.subscriber_patient_id = claim_practice.charge.scheduling.patient_ids[1]
    (claim_id,) = claim_practice.build().claim_ids

    document = documents(claim_practice, [claim_id])[claim_id]

    assert document.relationship_code == "G8"
    assert document.subscriber.last_name == "Chen"


def test_document_referral_and_authorization(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        authorization = PriorAuthorization(
            patient_id=claim_practice.patient_id,
            payer_id=claim_practice.aetna_id,
            authorization_number="AUTH-5521",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 6, 30),
            authorized=6,
        )
        session.add(authorization)
        session.flush()
        authorization_id = authorization.id
    form = claim_practice.form(day=date(2026, 2, 3))
    form.referring_provider_id = claim_practice.charge.scheduling.base.provider_id
    form.prior_authorization_id = authorization_id
    form.onset_date = date(2026, 1, 20)
    form.related_auto_accident = True
    form.auto_accident_state = "IL"
    encounter_id = claim_practice.post(form)

    document = only_document(claim_practice, encounter_id)

    assert document.referring_provider is not None
    assert document.referring_provider.last_name == "Hopper"
    assert document.referring_provider.npi == "1245319599"
    assert document.prior_authorization == "AUTH-5521"
    assert document.onset_date == date(2026, 1, 20)
    assert document.related_auto_accident
    assert document.auto_accident_state == "IL"


def test_documents_skip_unknown_ids(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    found = documents(claim_practice, [uuid.uuid4(), claim_id])

    assert list(found) == [claim_id]


def count_queries(practice: ClaimPractice, claim_ids: list[uuid.UUID]) -> int:
    statements: list[str] = []

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    engine = practice.database.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        found = documents(practice, claim_ids)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(found) == len(claim_ids)
    return len([text for text in statements if text.lstrip().upper().startswith("SELECT")])


def test_documents_query_count_is_flat(claim_practice: ClaimPractice) -> None:
    first = claim_practice.build().claim_ids
    for offset in range(1, 9):
        claim_practice.post(claim_practice.form(day=date(2026, 2, 2 + offset)))
    every = first + claim_practice.build().claim_ids
    assert len(every) == 9

    for_one = count_queries(claim_practice, first)
    for_nine = count_queries(claim_practice, every)

    assert for_one == for_nine
    assert for_nine <= 10


def test_submitter_for_clearinghouse(claim_practice: ClaimPractice) -> None:
    clearinghouse_id = add_clearinghouse(claim_practice.database)

    with claim_practice.database.reading() as session:
        submitter = submitter_for(session, clearinghouse_id)
        with pytest.raises(NotFoundError, match="was not found"):
            submitter_for(session, uuid.uuid4())

    assert submitter.submitter_id == "SUB01"
    assert submitter.contact_phone == "8475550140"
    assert submitter.isa_sender_qualifier == "ZZ"
    assert submitter.usage_indicator == "T"
    assert submitter.receiver_name == "Test clearinghouse"
