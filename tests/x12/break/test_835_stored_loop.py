"""The stored claim loop of a file whose segment terminator is not "~".

Such a file may carry "~" inside a value. The claim loop was stored unchanged, so reading
it back for posting split that value into a new segment: a REF*6R value could add a
service line that the import never showed.
"""

import pytest

from app.x12.reader_835 import read_835, read_claim_loop
from tests.x12.test_reader_835 import HEADER, remittance_text, with_payment

CLAIM = ["CLP*A1*1*100*100*0*12*ICN1", "SVC*HC:99213*100*100", "REF*6R*L1~SVC*HC:99999*1000*1000"]


@pytest.mark.parametrize("terminator", ["\n", "\x1d", "!"])
def test_stored_loop_matches_import(terminator: str) -> None:
    [remittance] = read_835(
        remittance_text(with_payment([*HEADER, *CLAIM], "100"), terminator=terminator)
    )
    claim = remittance.claims[0]

    stored = read_claim_loop(claim.text)

    assert [line.procedure_code for line in stored.services] == ["99213"]
    assert stored.services[0].paid == claim.services[0].paid
    assert stored.services[0].line_control_number == "L1 SVC"


def test_tilde_terminated_loop_kept_as_is() -> None:
    body = [*HEADER, *CLAIM[:2], "REF*6R*L1"]
    [remittance] = read_835(remittance_text(with_payment(body, "100")))

    assert (
        remittance.claims[0].text
        == "CLP*A1*1*100*100*0*12*ICN1~\nSVC*HC:99213*100*100~\nREF*6R*L1~\n"
    )
