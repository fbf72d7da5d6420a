"""Read 835 health care claim payment and remittance advice files.

Accepts 005010X221A1 and 004010X091A1 transaction sets. A file may hold several
interchanges, each with its own delimiters, several functional groups and several
transaction sets, and each ST becomes one Remittance835. The payment header (BPR, TRN),
the payer and payee (loops 1000A and 1000B), each claim (loop 2100) with its service
lines (loop 2110) and the provider adjustments (PLB) are read. Segments the reader does
not use, such as TS3, PER or QTY, are skipped.

A damaged file raises X12FormatError naming the segment number, the segment id and the
problem before anything is returned, because a remittance read only in part would post
money to the wrong claims. Balancing is a separate step (`balance_problems`), because an
unbalanced remittance is still worth storing for review.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from app.gc_pause import bulk_work
from app.x12.balance_835 import balance_problems, claim_balance_problems, interest_in_payment
from app.x12.claim_loop_835 import (
    CLAIM_BODY_SEGMENTS,
    amount_at,
    loop_text,
    read_claim,
    read_claim_loop,
)
from app.x12.data_835 import (
    Cas,
    ClaimPayment,
    ProviderAdjustmentItem,
    Remittance835,
    ServicePayment,
)
from app.x12.segment_split import SplitFile, split_segments
from app.x12.segments import (
    STANDARD_DELIMITERS,
    Delimiters,
    Segment,
    parse_x12_date,
    segment_error,
    wrong_transaction_error,
)

__all__ = [
    "Cas",
    "ClaimPayment",
    "ProviderAdjustmentItem",
    "Remittance835",
    "ServicePayment",
    "balance_problems",
    "claim_balance_problems",
    "interest_in_payment",
    "read_835",
    "read_835_split",
    "read_claim_loop",
]

# Implementation guides the reader accepts, by the start of GS08 or ST03.
_VERSIONS = ("005010X221", "004010X091")

# Segments that exist only inside loops 2100 and 2110. Outside a claim loop they would be
# skipped, and with them the money of a service line or an adjustment.
_CLAIM_ONLY_SEGMENTS = CLAIM_BODY_SEGMENTS - {"REF", "DTM", "PER"}
# PLB01 to PLB14: the provider, the fiscal period and six (reason, amount) pairs.
_PLB_ELEMENTS = 14
# Segments that may follow a claim loop: the next claim, the next LX group, PLB or SE.
_AFTER_CLAIM_SEGMENTS = frozenset({"CLP", "LX", "PLB", "SE"})

# --- the walk over a file ------------------------------------------------------------------


@dataclass(slots=True)
class _TransactionDraft:
    opener: Segment  # the ST
    interchange_control_number: str
    payment: Segment | None = None  # the BPR
    trace: Segment | None = None  # the TRN
    payer_name: str = ""
    payer_id: str = ""
    payer_reference: str = ""  # REF*2U of loop 1000A
    payee_name: str = ""
    payee_id: str = ""
    party: str = ""  # N101 of the current 1000 loop
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustmentItem] = field(default_factory=list)


@dataclass(slots=True)
class _FileReader:
    delimiters: Delimiters = STANDARD_DELIMITERS
    interchange_control_number: str = ""
    group_version: str = ""  # GS08
    transaction: _TransactionDraft | None = None
    remittances: list[Remittance835] = field(default_factory=list)


@bulk_work
def read_835(text: str) -> list[Remittance835]:
    """Read every 835 transaction set in `text`, in file order.

    Raises X12FormatError naming the segment when the envelope is damaged, a transaction
    set is not an 835, or a value the reader needs is missing or invalid.
    """
    return read_835_split(split_segments(text))


@bulk_work
def read_835_split(split: SplitFile) -> list[Remittance835]:
    """Read every 835 transaction set of a file `split_segments` split, as `read_835` does."""
    segments = split.elements
    reader = _FileReader()
    index = 0
    while index < len(segments):
        elements = segments[index]
        segment_id = elements[0]
        if segment_id == "CLP":
            index = _read_claim_at(reader, segments, index)
            continue

        if segment_id == "ISA":
            reader.delimiters = split.delimiters[index]
        handler = _HANDLERS.get(segment_id)
        if handler is not None or segment_id in _CLAIM_ONLY_SEGMENTS:
            segment = Segment(
                id=segment_id, elements=elements, number=index + 1, delimiters=reader.delimiters
            )
            _handle(reader, segment, handler)
        index += 1
    return reader.remittances


def _handle(
    reader: _FileReader, segment: Segment, handler: Callable[[_FileReader, Segment], None] | None
) -> None:
    if handler is None:
        raise segment_error(
            segment,
            "this segment belongs inside a claim (loop 2100 or 2110) but appears outside "
            "one, after the header, an LX or a PLB",
        )
    handler(reader, segment)


def _read_claim_at(reader: _FileReader, segments: list[list[str]], start: int) -> int:
    """Read the claim loop whose CLP is at `start`; return the index after the loop."""
    end = start + 1
    while end < len(segments) and segments[end][0] in CLAIM_BODY_SEGMENTS:
        end += 1
    if end < len(segments) and segments[end][0] not in _AFTER_CLAIM_SEGMENTS:
        # An unknown segment would end the claim early and leave the rest of it unread.
        stray = Segment(id=segments[end][0], elements=segments[end], number=end + 1)
        raise segment_error(
            stray,
            "this segment cannot appear in a claim, which only CLP, LX, PLB or SE may follow",
        )

    draft = reader.transaction
    if draft is None or draft.payment is None:
        opener = Segment(id="CLP", elements=segments[start], number=start + 1)
        raise segment_error(opener, "this claim comes before the BPR payment header")
    draft.party = ""

    loop = segments[start:end]
    delimiters = reader.delimiters
    text = loop_text(loop, delimiters.element, delimiters.component, delimiters.segment)
    draft.claims.append(read_claim(loop, start + 1, delimiters.component, text))
    return end


def _on_interchange(reader: _FileReader, segment: Segment) -> None:
    reader.delimiters = segment.delimiters
    reader.interchange_control_number = segment.element(13).strip()


def _on_group(reader: _FileReader, segment: Segment) -> None:
    reader.group_version = segment.element(8).strip()


def _on_transaction(reader: _FileReader, segment: Segment) -> None:
    set_id = segment.element(1).strip()
    convention = segment.element(3).strip() or reader.group_version
    if set_id != "835" or not convention.startswith(_VERSIONS):
        raise wrong_transaction_error(
            segment,
            f"{set_id} {convention}",
            "an 835 remittance (835 005010X221A1 or 004010X091A1)",
        )
    reader.transaction = _TransactionDraft(
        opener=segment, interchange_control_number=reader.interchange_control_number
    )


def _transaction(reader: _FileReader, segment: Segment) -> _TransactionDraft:
    # parse_segments already rejects segments outside ST and SE, so this guards the
    # envelope segments the handlers see (ISA to ST), which carry no 835 content.
    if reader.transaction is None:
        raise segment_error(segment, "this segment appears outside an 835 transaction set")
    return reader.transaction


def _on_payment(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    if draft.payment is not None:
        raise segment_error(
            segment,
            f"a second BPR appears, but the BPR in segment {draft.payment.number} "
            "already opened this remittance",
        )
    if not segment.element(1).strip():
        raise segment_error(segment, "BPR01 (the transaction handling code) is missing")
    amount_at(segment.elements, 2, segment.number)
    if segment.element(3).strip() not in {"C", "D"}:
        raise segment_error(
            segment, f"BPR03 should be C (credit) or D (debit) but is {segment.element(3)!r}"
        )
    draft.payment = segment


def _on_trace(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    if draft.trace is not None:
        # The trace number ties the remittance to one bank deposit, so two are ambiguous.
        raise segment_error(
            segment,
            f"a second TRN appears, but the TRN in segment {draft.trace.number} already "
            "gave this remittance's trace number",
        )
    if not segment.element(2).strip():
        raise segment_error(segment, "TRN02 (the check or EFT trace number) is missing")
    draft.trace = segment


def _on_party(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    draft.party = segment.element(1).strip()
    name = segment.element(2).strip()
    identifier = segment.element(4).strip()
    if draft.party == "PR":
        draft.payer_name = name
        draft.payer_id = identifier
    elif draft.party == "PE":
        draft.payee_name = name
        draft.payee_id = identifier


def _on_reference(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    if draft.party == "PR" and segment.element(1).strip() == "2U":
        draft.payer_reference = segment.element(2).strip()


def _on_header_number(reader: _FileReader, segment: Segment) -> None:
    # LX opens loop 2000, so later REF segments no longer belong to the payer or payee.
    _transaction(reader, segment).party = ""


def _on_provider_adjustment(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    draft.party = ""
    draft.provider_adjustments.extend(_provider_adjustments(segment))


def _on_end(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    reader.remittances.append(_finish_transaction(draft))
    reader.transaction = None


def _finish_transaction(draft: _TransactionDraft) -> Remittance835:
    opener = draft.opener
    payment = draft.payment
    trace = draft.trace
    if payment is None:
        raise segment_error(opener, "the transaction set has no BPR payment header")
    if trace is None:
        raise segment_error(opener, "the transaction set has no TRN trace number")

    date_text = payment.element(16).strip()
    payment_date = parse_x12_date(payment, "BPR16", date_text) if date_text else None
    originator = trace.element(3).strip()
    return Remittance835(
        control_number=opener.element(2).strip(),
        handling_code=payment.element(1).strip(),
        payment_amount=amount_at(payment.elements, 2, payment.number),
        credit_debit=payment.element(3).strip(),
        payment_method=payment.element(4).strip(),
        payment_date=payment_date,
        trace_number=trace.element(2).strip(),
        originator_id=originator,
        payer_name=draft.payer_name,
        payer_identifier=draft.payer_id or draft.payer_reference or originator,
        payee_name=draft.payee_name,
        payee_identifier=draft.payee_id,
        claims=tuple(draft.claims),
        provider_adjustments=tuple(draft.provider_adjustments),
        segment_number=opener.number,
        interchange_control_number=draft.interchange_control_number,
    )


def _provider_adjustments(segment: Segment) -> list[ProviderAdjustmentItem]:
    """Read the up to six reason and amount pairs of a PLB (PLB03/04 to PLB13/14)."""
    provider = segment.element(1).strip()
    if not provider:
        raise segment_error(segment, "PLB01 (the provider identifier) is missing")
    date_text = segment.element(2).strip()
    period = parse_x12_date(segment, "PLB02", date_text) if date_text else None

    if any(value.strip() for value in segment.elements[_PLB_ELEMENTS + 1 :]):
        raise segment_error(
            segment,
            f"PLB has {len(segment.elements) - 1} elements but at most {_PLB_ELEMENTS} (six "
            "adjustments), so the payer must split the adjustments over several PLB segments",
        )

    items = []
    for index in range(3, _PLB_ELEMENTS + 1, 2):
        if not segment.element(index).strip() and not segment.element(index + 1).strip():
            continue
        reason = segment.component(index, 1).strip()
        if not reason:
            raise segment_error(segment, f"PLB{index:02d} (the adjustment reason code) is missing")
        items.append(
            ProviderAdjustmentItem(
                provider_identifier=provider,
                fiscal_period_date=period,
                reason_code=reason,
                reference=segment.component(index, 2).strip(),
                amount=amount_at(segment.elements, index + 1, segment.number),
                segment_number=segment.number,
            )
        )
    if not items:
        raise segment_error(segment, "PLB03 and PLB04 (the first adjustment) are missing")
    return items


_HANDLERS = {
    "ISA": _on_interchange,
    "GS": _on_group,
    "ST": _on_transaction,
    "BPR": _on_payment,
    "TRN": _on_trace,
    "N1": _on_party,
    "REF": _on_reference,
    "LX": _on_header_number,
    "PLB": _on_provider_adjustment,
    "SE": _on_end,
}
