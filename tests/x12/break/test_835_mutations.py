"""Damaged 835 files: whatever the damage, the reader raises only X12FormatError.

Each example edits a two-interchange file (the second with | > and line-break
delimiters) by characters and by whole lines. The reader must either read the file or
raise X12FormatError naming a segment or the ISA header, and every claim it returns must
read back from its stored loop and go through balancing.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.x12.reader_835 import balance_problems, read_835, read_claim_loop
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import BODY, HEADER, PAYMENT, remittance_text, with_payment

REVERSAL = [
    "CLP*A1001*22*-200*-150*-20*12*ICN0001",
    "SVC*HC:99213*-200*-150**-1",
    "CAS*CO*45*-30",
    "CAS*PR*2*-20",
    "CLP*A1001*1*200*140*20*12*ICN0003",
    "SVC*HC:99213*200*140**1",
    "CAS*CO*45*40",
    "CAS*PR*2*20",
    "PLB*1234567893*20251231*FB:ICN0001*-30*WO:ICN0002:X*10*L6*5",
]
BASE = remittance_text(with_payment(BODY, str(PAYMENT)), separator="\n") + remittance_text(
    with_payment([*HEADER, *REVERSAL], "5"),
    element="|",
    component=">",
    terminator="\n",
    control="000000102",
)

# Characters and snippets that damage structure or numbers most often.
PIECES = [
    *"*:~^|>\n\r \t-.0123456789EISGCLPVB+,\u00b2\u0663\ufeff\x00",
    "~~",
    "1e5",
    "99999999999999999999",
    "CAS*CO*1*1~",
    "SVC*HC:1*1*1~",
    "CLP*X*1*1*1~",
]

character_edit = st.tuples(
    st.just("character"),
    st.integers(min_value=0, max_value=len(BASE)),
    st.sampled_from(["delete", "insert", "replace"]),
    st.sampled_from(PIECES),
)
line_edit = st.tuples(
    st.just("line"),
    st.integers(min_value=0, max_value=200),
    st.sampled_from(["delete", "duplicate", "swap", "cut"]),
    st.integers(min_value=0, max_value=200),
)


def damaged(edits: list[tuple[str, int, str, object]]) -> str:
    text = BASE
    for kind, where, action, value in edits:
        if kind == "character":
            position = where % (len(text) + 1)
            piece = str(value)
            if action == "delete":
                text = text[:position] + text[position + 1 :]
            elif action == "insert":
                text = text[:position] + piece + text[position:]
            else:
                text = text[:position] + piece + text[position + 1 :]
            continue

        lines = text.split("\n")
        first = where % len(lines)
        second = int(str(value)) % len(lines)
        if action == "delete":
            del lines[first]
        elif action == "duplicate":
            lines.insert(first, lines[second])
        elif action == "swap":
            lines[first], lines[second] = lines[second], lines[first]
        else:
            lines = lines[:first]
        text = "\n".join(lines)
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.one_of(character_edit, line_edit), min_size=1, max_size=4))
def test_damage_raises_only_format_error(edits: list[tuple[str, int, str, object]]) -> None:
    text = damaged(edits)

    try:
        remittances = read_835(text)
    except X12FormatError as error:
        assert str(error).startswith(("Segment ", "ISA header", "The file is empty"))
        return

    for remittance in remittances:
        balance_problems(remittance)
        for claim in remittance.claims:
            stored = read_claim_loop(claim.text)
            assert stored.paid == claim.paid
            assert [line.paid for line in stored.services] == [line.paid for line in claim.services]


def test_undamaged_base_reads() -> None:
    first, second = read_835(BASE)

    assert len(first.claims) == 2
    assert [claim.status_code for claim in second.claims] == ["22", "1"]
    assert balance_problems(first) == []
    assert balance_problems(second) == []
