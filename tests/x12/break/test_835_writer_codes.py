"""835 values the writer sent although pyx12 rejects the file.

A CLP02 of 0 or 99, a CLP06 or PLB03 code outside the 005010X221A1 lists, an LX with
no claim after it and more than 99 CAS segments in one loop all made invalid files.
"""

from decimal import Decimal

import pytest

from app.x12.reader_835 import read_835
from app.x12.validate import pyx12_errors
from app.x12.writer_835 import WrittenCas, WrittenPlb, WrittenRemittance, X12WriteError
from tests.x12.test_writer_835 import FULL_CLAIM, claim, remittance, service, write


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (remittance([claim("A1", [service()], status_code="0")]), "The claim status '0'"),
        (remittance([claim("A1", [service()], status_code="99")]), "The claim status '99'"),
        (
            remittance([claim("A1", [service()], filing_indicator="CI")]),
            "The claim filing indicator 'CI' is not a CLP06 code",
        ),
        (
            remittance([FULL_CLAIM], provider_adjustments=[WrittenPlb("ZZ", "", Decimal(1))]),
            "The provider adjustment reason 'ZZ' is not a PLB03 code",
        ),
        (
            remittance(
                [
                    claim(
                        "A1",
                        [
                            service(
                                charge="600",
                                adjustments=[
                                    WrittenCas(group, str(reason), Decimal(1))
                                    for group in ("CO", "PR")
                                    for reason in range(300)
                                ],
                            )
                        ],
                    )
                ]
            ),
            "The adjustments need 100 CAS segments",
        ),
    ],
)
def test_invalid_code_rejected(written: WrittenRemittance, message: str) -> None:
    with pytest.raises(X12WriteError) as caught:
        write([written])

    assert str(caught.value).startswith(message)


def test_provider_adjustments_alone_pass_pyx12() -> None:
    items = [WrittenPlb("L6", "ICN1", Decimal("-12.5"))]
    text = write([remittance([], provider_adjustments=items)])

    [read] = read_835(text)

    assert pyx12_errors(text) == []
    assert "\nLX*" not in text
    assert read.payment_amount == Decimal("12.5")
    assert read.claims == ()


def test_every_status_and_reason_pass_pyx12() -> None:
    statuses = ["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"]
    claims = [claim(f"A{status}", [service()], status_code=status) for status in statuses]
    items = [WrittenPlb(reason, "", Decimal(1)) for reason in ("WO", "FB", "72", "CS", "IR", "J1")]

    text = write([remittance(claims, provider_adjustments=items)])

    assert pyx12_errors(text) == []
