"""NDC codes that LIN03 cannot carry.

The writer sent the digits of any NDC text, so "123" went out as a 3-digit NDC and
"0064*1036725" lost its delimiter. Payers match the drug by the 11-digit (5-4-2) NDC.
"""

from dataclasses import replace

import pytest

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError
from tests.x12.claim_samples import DRUG_NDC, ndc_claim

from .writing import write_text


def _with_ndc(ndc: str) -> ClaimDocument:
    claim = ndc_claim()
    drug_line = replace(claim.lines[-1], ndc_code=ndc)
    return replace(claim, lines=(*claim.lines[:-1], drug_line))


@pytest.mark.parametrize("ndc", ["123", "0064*1036725", "006410367251", "0064103672A"])
def test_invalid_ndc_raises_write_error(ndc: str) -> None:
    with pytest.raises(X12WriteError, match="line 2: the NDC is not an 11-digit NDC"):
        write_text(_with_ndc(ndc))


@pytest.mark.parametrize("ndc", [DRUG_NDC, "00641-0367-25", "00641 0367 25"])
def test_valid_ndc_forms_write_digits(ndc: str) -> None:
    text = write_text(_with_ndc(ndc))

    assert f"LIN**N4*{DRUG_NDC}~" in text
