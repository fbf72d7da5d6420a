"""The expected payer and patient shares of an encounter, from allowed amounts and copays."""

from decimal import Decimal

import pytest

from app.db.database import Database
from app.models.patients import Coverage
from app.services.charge_estimate import charge_estimate
from app.services.encounters import LineForm
from tests.helpers.charge_data import ChargePractice, build_charge_practice


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def _set_copay(database: Database, practice: ChargePractice, copay: str) -> None:
    with database.transaction() as session:
        coverage = session.get(Coverage, practice.scheduling.base.aetna_coverage_id)
        assert coverage is not None
        coverage.copay_office = Decimal(copay)


def test_copay_then_payer_share(database: Database, practice: ChargePractice) -> None:
    _set_copay(database, practice, "25.00")
    form = practice.form([LineForm(procedure_code="99213", units=2)])

    with database.reading() as session:
        estimate = charge_estimate(session, practice.biller, form)

    assert estimate is not None
    assert estimate.payer_name == "Aetna"
    assert estimate.allowed_total == Decimal("170.00")
    assert estimate.patient_share == Decimal("25.00")
    assert estimate.payer_share == Decimal("145.00")


def test_no_allowed_amount_unknown(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99214")])

    with database.reading() as session:
        estimate = charge_estimate(session, practice.biller, form)

    assert estimate is not None
    assert estimate.allowed_total is None
    assert estimate.payer_share is None
