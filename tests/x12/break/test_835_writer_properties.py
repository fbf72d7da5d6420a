"""Random 835 remittances, with delimiters and odd characters in every text value.

The writer must either raise X12WriteError or write a file that pyx12 accepts, that
balances, and whose identifiers read back exactly as given. Names may be cleaned, but
identifiers never change.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.x12.reader_835 import balance_problems, read_835
from app.x12.validate import pyx12_errors
from app.x12.writer_835 import (
    WrittenCas,
    WrittenClaim,
    WrittenPlb,
    WrittenRemittance,
    WrittenService,
    X12WriteError,
    write_835,
)

identifiers = st.from_regex(r"[A-Z0-9][A-Z0-9/-]{0,9}", fullmatch=True)
member_ids = st.from_regex(r"[A-Z0-9][A-Z0-9-]{1,9}", fullmatch=True)  # NM109: 2 or more
# Names are cleaned, so they may contain delimiters, accents and line breaks.
names = st.builds(
    str.__add__,
    st.sampled_from(["A", "Pe\u00f1a", "O'Neil"]),
    st.text(alphabet="Bz \u00e9*:~^|>\n-", max_size=15),
)
cents = st.integers(min_value=0, max_value=1_000_000).map(lambda value: Decimal(value) / 100)
DELIMITERS = "*:~^|>"


@st.composite
def services(draw: st.DrawFn) -> WrittenService:
    adjustments = draw(
        st.lists(
            st.builds(
                WrittenCas,
                group_code=st.sampled_from(["CO", "PR", "OA", "PI"]),
                reason_code=st.sampled_from(["1", "2", "45", "97", "253"]),
                amount=cents,
            ),
            max_size=7,
        )
    )
    paid = draw(cents)
    return WrittenService(
        procedure_code=draw(st.sampled_from(["99213", "J1100", "0001U"])),
        modifiers=tuple(draw(st.lists(st.sampled_from(["25", "59", "GT"]), max_size=4))),
        charge=paid + sum((item.amount for item in adjustments), Decimal(0)),
        paid=paid,
        units=draw(st.integers(min_value=1, max_value=20)),
        service_date=date(2026, 1, 5),
        line_control_number=draw(st.one_of(st.none(), identifiers)),
        adjustments=adjustments,
    )


@st.composite
def claims(draw: st.DrawFn) -> WrittenClaim:
    lines = draw(st.lists(services(), min_size=1, max_size=3))
    return WrittenClaim(
        patient_control_number=draw(identifiers),
        status_code=draw(st.sampled_from(["1", "2", "4", "19", "22"])),
        charge=sum((line.charge for line in lines), Decimal(0)),
        paid=sum((line.paid for line in lines), Decimal(0)),
        patient_responsibility=Decimal(0),
        payer_claim_number=draw(identifiers),
        patient_last=draw(names),
        patient_first=draw(names),
        member_id=draw(st.one_of(member_ids, member_ids.map(str.lower))),
        services=lines,
    )


@st.composite
def remittances(draw: st.DrawFn) -> WrittenRemittance:
    # At most six, so they fit one PLB: pyx12 4.0 counts a second PLB as a second footer
    # loop and reports it, although the 835 guide lets PLB repeat.
    interest = draw(st.lists(st.tuples(identifiers, cents), max_size=6))
    return WrittenRemittance(
        payer_name=draw(names),
        payer_identifier=draw(identifiers),
        payee_name=draw(names),
        payee_npi="1234567893",
        trace_number=draw(identifiers),
        payment_date=date(2026, 2, 1),
        claims=draw(st.lists(claims(), min_size=1, max_size=3)),
        provider_adjustments=[WrittenPlb("L6", ref, -amount) for ref, amount in interest],
        payment_method=draw(st.sampled_from(["ACH", "CHK"])),
    )


def spoil(sent: WrittenRemittance, field: str, delimiter: str) -> None:
    """Put `delimiter` into one identifier of `sent`, which the writer must then reject."""
    claim = sent.claims[-1]
    line = claim.services[-1]
    if field == "trace":
        sent.trace_number += delimiter
    elif field == "payer":
        sent.payer_identifier += delimiter
    elif field == "npi":
        sent.payee_npi = sent.payee_npi[:9] + delimiter
    elif field == "claim":
        claim.patient_control_number += delimiter
    elif field == "payer claim":
        claim.payer_claim_number += delimiter
    elif field == "member":
        claim.member_id += delimiter
    elif field == "line":
        line.line_control_number = (line.line_control_number or "L") + delimiter
    elif field == "modifier":
        line.modifiers = (*line.modifiers[:3], "2" + delimiter)
    elif field == "reference":
        sent.provider_adjustments.append(WrittenPlb("WO", "R" + delimiter, Decimal(0)))
    else:
        line.adjustments.append(WrittenCas("CO", "4" + delimiter, Decimal(0)))


SPOILED_FIELDS = [
    *("trace", "payer", "npi", "claim", "payer claim", "member"),
    *("line", "modifier", "reference", "reason"),
]


def write(sent: WrittenRemittance) -> str:
    when = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
    return write_835([sent], control_number=7, sender_id="PAYER", receiver_id="CLINIC", when=when)


# pyx12 takes about a tenth of a second per file, so the examples are few.
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=remittances(), spoiled=st.sampled_from([None, *SPOILED_FIELDS]), data=st.data())
def test_written_exactly_or_rejected(
    sent: WrittenRemittance, spoiled: str | None, data: st.DataObject
) -> None:
    if spoiled is not None:
        spoil(sent, spoiled, data.draw(st.sampled_from(DELIMITERS)))
        with pytest.raises(X12WriteError):
            write(sent)
        return

    text = write(sent)

    assert pyx12_errors(text) == []
    [read] = read_835(text)
    assert balance_problems(read) == []
    assert read.trace_number == sent.trace_number
    assert read.payer_identifier == sent.payer_identifier
    assert [claim.patient_control_number for claim in read.claims] == [
        claim.patient_control_number for claim in sent.claims
    ]
    assert [claim.payer_claim_number for claim in read.claims] == [
        claim.payer_claim_number for claim in sent.claims
    ]
    assert [claim.member_id for claim in read.claims] == [
        claim.member_id.upper() for claim in sent.claims
    ]
    assert [
        (line.line_control_number, line.modifiers)
        for claim in read.claims
        for line in claim.services
    ] == [
        (line.line_control_number, line.modifiers)
        for claim in sent.claims
        for line in claim.services
    ]
    assert [item.reference for item in read.provider_adjustments] == [
        item.reference for item in sent.provider_adjustments
    ]


def test_clean_values_written() -> None:
    line = WrittenService(
        "99213",
        ("25",),
        Decimal(100),
        Decimal(70),
        1,
        date(2026, 1, 5),
        "L1",
        [WrittenCas("CO", "45", Decimal(30))],
    )
    claim = WrittenClaim(
        "A1", "1", Decimal(100), Decimal(70), Decimal(0), "ICN1", "Pe\u00f1a", "", "M1", [line]
    )
    sent = WrittenRemittance(
        "Acme*Health", "87726", "Clinic", "1234567893", "EFT1", date(2026, 2, 1), [claim]
    )

    text = write(sent)

    assert pyx12_errors(text) == []
    assert read_835(text)[0].claims[0].patient_last == "PENA"
