"""Random mixes of a claim's optional parts always give a valid 837P with correct counts."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.x12.claim_data import ClaimDocument
from app.x12.validate import pyx12_errors
from tests.x12.claim_samples import ClaimOptions, build_claim
from tests.x12.test_writer_837p import find, segments_of, write

claim_options = st.builds(
    ClaimOptions,
    claim_number=st.just("CD0"),
    dependent=st.booleans(),
    rendering_differs=st.booleans(),
    facility_differs=st.booleans(),
    diagnosis_count=st.integers(min_value=1, max_value=12),
    line_count=st.integers(min_value=1, max_value=50),
    ndc=st.booleans(),
    other_payer_count=st.integers(min_value=0, max_value=2),
    line_adjudication=st.booleans(),
    frequency_code=st.sampled_from(["1", "7", "8"]),
    referring=st.booleans(),
    onset=st.booleans(),
    accident=st.sampled_from([None, "auto", "other", "employment"]),
    line_place_of_service=st.sampled_from([None, "22"]),
)


def numbered(options: list[ClaimOptions]) -> list[ClaimDocument]:
    """Build the claims, each with its own claim number."""
    return [
        build_claim(replace(option, claim_number=f"CD{index:04d}"))
        for index, option in enumerate(options, start=1)
    ]


# pyx12 takes about 0.1 s per small file, so the example count stays low.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    options=st.lists(claim_options, min_size=1, max_size=3),
    claims_per_transaction=st.integers(min_value=1, max_value=3),
)
def test_random_claims_pass_pyx12(options: list[ClaimOptions], claims_per_transaction: int) -> None:
    claims = numbered(options)
    written = write(claims, claims_per_transaction=claims_per_transaction)
    segments = segments_of(written.text)

    assert pyx12_errors(written.text) == []

    starts = [index for index, found in enumerate(segments) if found[0] == "ST"]
    ends = [index for index, found in enumerate(segments) if found[0] == "SE"]
    transaction_count = -(-len(claims) // claims_per_transaction)
    assert len(starts) == transaction_count
    for start, end in zip(starts, ends, strict=True):
        assert int(segments[end][1]) == end - start + 1
        assert segments[end][2] == segments[start][2]
    assert segments[-2][1] == str(transaction_count)
    assert segments[-1][1] == "1"
    assert segments[-1][2] == segments[0][13]

    assert len(find(segments, "CLM")) == len(claims)
    assert len(find(segments, "LX")) == sum(len(claim.lines) for claim in claims)
    for clm, claim in zip(find(segments, "CLM"), claims, strict=True):
        assert Decimal(clm[2]) == sum(line.charge_amount for line in claim.lines)
