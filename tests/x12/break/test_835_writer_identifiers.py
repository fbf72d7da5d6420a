"""Identifiers the 835 writer changed without a word.

The writer dropped delimiters and other characters from the payee NPI, PLB references,
the crossover payer id, member ids and the sender and receiver ids, and it dropped a
fifth procedure modifier. A receiver matches on these values, so each must be written as
given or rejected.
"""

from decimal import Decimal

import pytest

from app.x12.reader_835 import read_835
from app.x12.writer_835 import WrittenPlb, WrittenRemittance, X12WriteError, write_835
from tests.x12.test_writer_835 import FULL_CLAIM, WHEN, claim, remittance, service, write


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (remittance([FULL_CLAIM], payee_npi="123-456-7893"), "The payee NPI '123-456-7893'"),
        (remittance([FULL_CLAIM], payee_npi="1234567893X"), "The payee NPI '1234567893X'"),
        (
            remittance([FULL_CLAIM], provider_adjustments=[WrittenPlb("WO", "ICN:5", Decimal(1))]),
            "The provider adjustment reference 'ICN:5' cannot be written",
        ),
        (
            remittance([FULL_CLAIM], provider_adjustments=[WrittenPlb("WO", "icn5", Decimal(1))]),
            "The provider adjustment reference 'icn5' cannot be written",
        ),
        (
            remittance(
                [
                    claim(
                        "A1",
                        [service()],
                        status_code="19",
                        crossover_payer="State Medicaid",
                        crossover_payer_id="SM~1",
                    )
                ]
            ),
            "The crossover payer id 'SM~1' cannot be written",
        ),
        (
            remittance([claim("A1", [service()], member_id="M*12:3")]),
            "The member id 'M*12:3' cannot be written",
        ),
        (
            remittance([claim("A1", [service(modifiers=("25", "59", "GT", "Q5", "XE"))])]),
            "The procedure '99213' has 5 modifiers",
        ),
    ],
)
def test_changed_identifier_rejected(written: WrittenRemittance, message: str) -> None:
    with pytest.raises(X12WriteError) as caught:
        write([written])

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("sender", "receiver"), [("acme", "CLINIC"), ("ACME", "CLI*NIC")])
def test_envelope_id_rejected(sender: str, receiver: str) -> None:
    with pytest.raises(X12WriteError, match=r"id .* is invalid"):
        write_835(
            [remittance([FULL_CLAIM])],
            control_number=1,
            sender_id=sender,
            receiver_id=receiver,
            when=WHEN,
        )


def test_member_id_upper_cased() -> None:
    [read] = read_835(write([remittance([claim("A1", [service()], member_id="ab-12")])]))

    assert read.claims[0].member_id == "AB-12"


def test_identifiers_written_as_given() -> None:
    items = [WrittenPlb("WO", "ICN-5/A", Decimal(1))]
    line = service(modifiers=("25", "59", "GT", "Q5"))
    written = remittance([claim("A1", [line])], provider_adjustments=items)

    [read] = read_835(write([written]))

    assert read.provider_adjustments[0].reference == "ICN-5/A"
    assert read.claims[0].services[0].modifiers == ("25", "59", "GT", "Q5")
    assert read.payee_identifier == "1234567893"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (remittance([claim("A1", [service()], member_id="7")]), "The member id '7' cannot"),
        (
            remittance(
                [
                    claim(
                        "A1",
                        [service()],
                        status_code="19",
                        crossover_payer="Q",
                        crossover_payer_id="",
                    )
                ]
            ),
            "The crossover payer id 'Q' cannot",
        ),
    ],
)
def test_one_character_id_code_rejected(written: WrittenRemittance, message: str) -> None:
    # NM109 has at least 2 characters, so pyx12 rejected a file with a shorter one.
    with pytest.raises(X12WriteError) as caught:
        write([written])

    assert str(caught.value).startswith(message)


def test_missing_member_id_allowed() -> None:
    [read] = read_835(write([remittance([claim("A1", [service()], member_id="")])]))

    assert read.claims[0].member_id == ""
