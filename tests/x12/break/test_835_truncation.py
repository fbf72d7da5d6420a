"""835 files cut short, with unusual delimiters: the reader never returns part of a file.

Every cut at a segment boundary and in the middle of each segment must raise
X12FormatError naming a segment or the ISA header. Only a cut that loses nothing but the
final terminator may read, and then it returns the whole file.
"""

import re

import pytest

from app.x12.reader_835 import Remittance835, read_835
from app.x12.segments import X12FormatError
from tests.x12.test_reader_835 import (
    BODY,
    HEADER,
    PAID_CLAIM,
    PAYMENT,
    remittance_text,
    with_payment,
)

NAMED = re.compile(r"(Segment \d+|ISA header)")

# Delimiters: element, component, terminator, text after each terminator, ISA11.
DELIMITERS = [
    ("*", ":", "~", "\r\n", "^"),
    ("|", ">", "\n", "", "^"),
    ("!", "^", "~", "\n", "U"),
    ("^", ":", "\n", "", ":"),  # the repetition separator equals the component separator
]


def build(element: str, component: str, terminator: str, after: str, repetition: str) -> str:
    options = {"element": element, "component": component, "terminator": terminator}
    first = remittance_text(with_payment(BODY, str(PAYMENT)), separator=after, **options)
    second = remittance_text(
        with_payment([*HEADER, *PAID_CLAIM], "150"), separator=after, control="000000102", **options
    )
    return "".join(text[:82] + repetition + text[83:] for text in (first, second))


@pytest.mark.parametrize("delimiters", DELIMITERS)
def test_every_cut_raises(delimiters: tuple[str, str, str, str, str]) -> None:
    text = build(*delimiters)
    whole = read_835(text)
    ends = [match.end() for match in re.finditer(re.escape(delimiters[2]), text)]
    cuts = sorted({*ends, *(end - 3 for end in ends), *(end - 8 for end in ends)})

    for cut in cuts:
        if cut <= 0 or cut >= len(text.rstrip()):
            continue
        try:
            read: list[Remittance835] | None = read_835(text[:cut])
        except X12FormatError as error:
            assert NAMED.match(str(error)), (cut, str(error))
            continue
        # Reading is fine only when the cut ends exactly after an interchange.
        assert read is not None
        kept = text[:cut].rstrip().removesuffix(delimiters[2])
        trailers = tuple(f"IEA{delimiters[0]}1{delimiters[0]}00000010{n}" for n in (1, 2))
        assert kept.endswith(trailers), cut
        assert read == whole[: len(read)]


@pytest.mark.parametrize("delimiters", DELIMITERS)
def test_unusual_delimiters_read(delimiters: tuple[str, str, str, str, str]) -> None:
    first, second = read_835(build(*delimiters))

    assert first.claims[0].services[0].modifiers == ("25", "59")
    assert second.claims[0].services[1].submitted_code == "85027"
    assert second.interchange_control_number == "000000102"
