from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.x12.reader_835 import Cas, ClaimPayment, balance_problems, read_835
from app.x12.validate import pyx12_errors
from app.x12.writer_835 import (
    WrittenCas,
    WrittenClaim,
    WrittenPlb,
    WrittenRemittance,
    WrittenService,
    X12WriteError,
    payment_amount,
    write_835,
)

WHEN = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
PAID_ON = date(2026, 2, 1)


def service(
    code: str = "99213",
    charge: str = "100",
    adjustments: list[WrittenCas] | None = None,
    **options: object,
) -> WrittenService:
    cas = adjustments if adjustments is not None else [WrittenCas("CO", "45", Decimal(30))]
    paid = Decimal(charge) - sum((item.amount for item in cas), Decimal(0))
    values: dict[str, object] = {
        "procedure_code": code,
        "modifiers": (),
        "charge": Decimal(charge),
        "paid": paid,
        "units": 1,
        "service_date": date(2026, 1, 5),
        "line_control_number": None,
        "adjustments": cas,
    }
    values.update(options)
    return WrittenService(**values)  # type: ignore[arg-type]


def claim(number: str, services: list[WrittenService], **options: object) -> WrittenClaim:
    adjustments = options.pop("adjustments", [])
    assert isinstance(adjustments, list)
    charge = sum((line.charge for line in services), Decimal(0))
    paid = sum((line.paid for line in services), Decimal(0))
    paid -= sum((item.amount for item in adjustments), Decimal(0))
    values: dict[str, object] = {
        "patient_control_number": number,
        "status_code": "1",
        "charge": charge,
        "paid": paid,
        "patient_responsibility": Decimal(0),
        "payer_claim_number": f"ICN{number}",
        "patient_last": "Doe",
        "patient_first": "Jane",
        "member_id": "M123",
        "services": services,
        "adjustments": adjustments,
    }
    values.update(options)
    return WrittenClaim(**values)  # type: ignore[arg-type]


def remittance(claims: list[WrittenClaim], **options: object) -> WrittenRemittance:
    values: dict[str, object] = {
        "payer_name": "Acme Health",
        "payer_identifier": "87726",
        "payee_name": "Main Street Clinic",
        "payee_npi": "1234567893",
        "trace_number": "EFT1001",
        "payment_date": PAID_ON,
        "claims": claims,
    }
    values.update(options)
    return WrittenRemittance(**values)  # type: ignore[arg-type]


def write(remittances: list[WrittenRemittance]) -> str:
    return write_835(
        remittances, control_number=42, sender_id="ACMEPAYER", receiver_id="CLINIC", when=WHEN
    )


FULL_CLAIM = claim(
    "A1001",
    [
        service(
            "99213",
            "120",
            [WrittenCas("CO", "45", Decimal("30")), WrittenCas("PR", "2", Decimal("18"))],
            modifiers=("25", "59"),
            line_control_number="L1",
            allowed=Decimal("90"),
            remarks=("N130",),
        ),
        service(
            "85025",
            "80.5",
            [WrittenCas("PR", "1", Decimal("80.5"))],
            units=2,
            submitted_code="85027",
            line_control_number="L2",
        ),
    ],
    patient_responsibility=Decimal("98.5"),
)
CROSSOVER_CLAIM = claim(
    "A1002",
    [service("99212", "60", [])],
    adjustments=[WrittenCas("PR", "3", Decimal("10"))],
    status_code="19",
    patient_responsibility=Decimal("10"),
    crossover_payer="State Medicaid",
    crossover_payer_id="SMCD1",
)
DENIED_CLAIM = claim(
    "A1003", [service("99211", "40", [WrittenCas("CO", "16", Decimal("40"))])], status_code="4"
)
ACH = remittance(
    [FULL_CLAIM, CROSSOVER_CLAIM],
    provider_adjustments=[
        WrittenPlb("L6", "ICNA1001", Decimal("-2.5")),
        WrittenPlb("WO", "", Decimal(5)),
    ],
)
CHECK = remittance([FULL_CLAIM], payment_method="CHK", trace_number="CHK5501")
NOTHING_PAID = remittance([DENIED_CLAIM], trace_number="NONE1")


@pytest.fixture(scope="module")
def written() -> str:
    return write([ACH, CHECK, NOTHING_PAID])


def test_pyx12_finds_no_errors(written: str) -> None:
    assert pyx12_errors(written) == []


def test_envelope(written: str) -> None:
    segments = [line.rstrip("~") for line in written.splitlines()]

    assert segments[0].startswith("ISA*00*")
    assert segments[0].endswith("*000000042*0*P*:")
    assert segments[1] == "GS*HP*ACMEPAYER*CLINIC*20260202*0930*42*X*005010X221A1"
    assert [s for s in segments if s.startswith("ST*")] == [
        "ST*835*0001",
        "ST*835*0002",
        "ST*835*0003",
    ]
    assert segments[-2:] == ["GE*3*42", "IEA*1*000000042"]


def test_payment_methods(written: str) -> None:
    ach, check, nothing = read_835(written)

    assert (ach.handling_code, ach.payment_method) == ("C", "ACH")
    assert (check.handling_code, check.payment_method) == ("C", "CHK")
    assert (nothing.handling_code, nothing.payment_method) == ("H", "NON")
    assert nothing.payment_amount == 0


def test_read_back_header(written: str) -> None:
    ach = read_835(written)[0]

    # Claims paid 72 and 50; the L6 interest adds 2.50 and the WO recovery takes 5.
    assert ach.payment_amount == Decimal("119.5")
    assert ach.payment_date == PAID_ON
    assert ach.trace_number == "EFT1001"
    assert ach.payer_name == "ACME HEALTH"
    assert ach.payer_identifier == "87726"
    assert ach.payee_name == "MAIN STREET CLINIC"
    assert ach.payee_identifier == "1234567893"
    assert ach.interchange_control_number == "000000042"


def test_read_back_claims(written: str) -> None:
    full, crossover = read_835(written)[0].claims

    assert_same_claim(full, FULL_CLAIM)
    assert_same_claim(crossover, CROSSOVER_CLAIM)
    assert full.patient_last == "DOE"
    assert full.services[0].modifiers == ("25", "59")
    assert full.services[0].allowed == Decimal("90")
    assert full.services[0].remarks == ("N130",)
    assert full.services[1].submitted_code == "85027"
    assert full.services[1].units_paid == Decimal(2)
    assert crossover.crossover_payer == "STATE MEDICAID"
    assert crossover.adjustments == (Cas("PR", "3", Decimal("10"), None),)


def test_read_back_provider_adjustments(written: str) -> None:
    interest, recovery = read_835(written)[0].provider_adjustments

    assert (interest.reason_code, interest.reference, interest.amount) == (
        "L6",
        "ICNA1001",
        Decimal("-2.5"),
    )
    assert (recovery.reason_code, recovery.reference, recovery.amount) == ("WO", "", Decimal(5))
    assert interest.provider_identifier == "1234567893"
    assert interest.fiscal_period_date == date(2026, 12, 31)


def test_written_files_balance(written: str) -> None:
    for read in read_835(written):
        assert balance_problems(read) == []


def test_given_payment_amount_kept() -> None:
    text = write([remittance([FULL_CLAIM], payment_amount=Decimal("1"))])
    [read] = read_835(text)

    assert read.payment_amount == Decimal("1")
    assert balance_problems(read) == [
        "Transaction set 0001 (segment 3): claim payments 72.00 minus provider adjustments "
        "0.00 is 72.00 but BPR02 says 1.00."
    ]


def test_computed_payment_amount() -> None:
    assert payment_amount(ACH) == FULL_CLAIM.paid + CROSSOVER_CLAIM.paid + Decimal("2.5") - 5


def test_many_adjustments_split_into_segments() -> None:
    adjustments = [WrittenCas("CO", str(reason), Decimal(1)) for reason in range(1, 9)]
    text = write([remittance([claim("A1", [service("99213", "10", adjustments)])])])
    [read] = read_835(text)

    assert text.count("\nCAS*CO*") == 2
    assert len(read.claims[0].services[0].adjustments) == 8
    assert pyx12_errors(text) == []


def test_many_provider_adjustments_split_into_segments() -> None:
    items = [WrittenPlb("WO", f"R{index}", Decimal(1)) for index in range(7)]
    text = write([remittance([FULL_CLAIM], provider_adjustments=items)])
    [read] = read_835(text)

    assert text.count("\nPLB*") == 2
    assert len(read.provider_adjustments) == 7
    assert balance_problems(read) == []


@pytest.mark.parametrize(
    ("written_remittance", "message"),
    [
        (remittance([FULL_CLAIM], payment_amount=Decimal(-1)), "The remittance 'EFT1001' pays -1"),
        (remittance([FULL_CLAIM], payment_method="WIRE"), "The payment method 'WIRE'"),
        (remittance([FULL_CLAIM], payee_npi="12345"), "The payee NPI '12345' is invalid"),
        (remittance([FULL_CLAIM], trace_number="EFT*1"), "The trace number 'EFT*1' cannot"),
        (remittance([claim("a1", [service()])]), "The patient control number 'a1' cannot"),
        (remittance([claim("A1", [service()], status_code="X")]), "The claim status 'X'"),
        (remittance([claim("A1", [service()], payer_claim_number="")]), "The payer claim number"),
        (remittance([claim("A1", [service()], patient_last="***")]), "The patient last name"),
        (
            remittance([claim("A1", [service(adjustments=[WrittenCas("CR", "1", Decimal(1))])])]),
            "The adjustment group 'CR' is invalid",
        ),
    ],
)
def test_rejected_values(written_remittance: WrittenRemittance, message: str) -> None:
    with pytest.raises(X12WriteError) as caught:
        write([written_remittance])

    assert str(caught.value).startswith(message)


def test_no_remittances_rejected() -> None:
    with pytest.raises(X12WriteError):
        write([])


def assert_same_claim(read: ClaimPayment, written: WrittenClaim) -> None:
    assert read.patient_control_number == written.patient_control_number
    assert read.status_code == written.status_code
    assert read.charge == written.charge
    assert read.paid == written.paid
    assert read.patient_responsibility == written.patient_responsibility
    assert read.payer_claim_number == written.payer_claim_number
    assert read.filing_indicator == written.filing_indicator
    assert read.member_id == written.member_id
    # The writer puts each group code's adjustments in one CAS, so only the order changes.
    assert sorted((c.group_code, c.reason_code, c.amount) for c in read.adjustments) == sorted(
        (c.group_code, c.reason_code, c.amount) for c in written.adjustments
    )
    assert len(read.services) == len(written.services)
    for got, sent in zip(read.services, written.services, strict=True):
        assert got.procedure_code == sent.procedure_code
        assert got.charge == sent.charge
        assert got.paid == sent.paid
        assert got.service_date == sent.service_date
        assert got.line_control_number == sent.line_control_number
        assert sorted((c.group_code, c.reason_code, c.amount) for c in got.adjustments) == sorted(
            (c.group_code, c.reason_code, c.amount) for c in sent.adjustments
        )


cents = st.integers(min_value=0, max_value=500_000).map(lambda value: Decimal(value) / 100)
adjustment = st.builds(
    WrittenCas,
    group_code=st.sampled_from(["CO", "OA", "PI", "PR"]),
    reason_code=st.sampled_from(["1", "2", "3", "45", "97", "253"]),
    amount=cents,
)


@st.composite
def written_service(draw: st.DrawFn) -> WrittenService:
    adjustments = draw(st.lists(adjustment, max_size=8))
    paid = draw(cents)
    charge = paid + sum((item.amount for item in adjustments), Decimal(0))
    return WrittenService(
        procedure_code=draw(st.sampled_from(["99213", "85025", "J1100", "0001U"])),
        modifiers=tuple(draw(st.lists(st.sampled_from(["25", "59", "GT", "Q5"]), max_size=4))),
        charge=charge,
        paid=paid,
        units=draw(st.integers(min_value=1, max_value=99)),
        service_date=draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))),
        line_control_number=draw(
            st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True))
        ),
        adjustments=adjustments,
        allowed=draw(st.one_of(st.none(), cents)),
    )


@st.composite
def written_claim(draw: st.DrawFn) -> WrittenClaim:
    services = draw(st.lists(written_service(), min_size=1, max_size=4))
    claim_adjustments = draw(st.lists(adjustment, max_size=3))
    # The claim-level adjustments come on top of the lines' charges, so payments stay >= 0.
    charge = sum((line.charge for line in services), Decimal(0))
    charge += sum((item.amount for item in claim_adjustments), Decimal(0))
    paid = sum((line.paid for line in services), Decimal(0))
    return claim(
        draw(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,19}", fullmatch=True)),
        services,
        adjustments=claim_adjustments,
        charge=charge,
        paid=paid,
        status_code=draw(st.sampled_from(["1", "2", "3", "4", "19", "22"])),
    )


# Each example writes and reads a small file; pyx12 stays out because it takes about
# 0.1 s per file, and the fixed tests above already check its verdict.
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=st.lists(written_claim(), min_size=1, max_size=4), plb=st.lists(cents, max_size=3))
def test_random_remittances_round_trip(claims: list[WrittenClaim], plb: list[Decimal]) -> None:
    paid = sum((item.paid for item in claims), Decimal(0))
    # Provider adjustments raise the payment (negative amounts), so it never goes negative.
    items = [WrittenPlb("L6", "", -amount) for amount in plb]
    sent = remittance(claims, provider_adjustments=items)

    [read] = read_835(write([sent]))

    assert read.payment_amount == paid + sum(plb, Decimal(0))
    assert balance_problems(read) == []
    for got, written_claim_value in zip(read.claims, claims, strict=True):
        assert_same_claim(got, written_claim_value)
