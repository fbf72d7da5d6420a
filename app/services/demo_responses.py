"""The 999 and 277CA files a clearinghouse would send back for a batch, for the demo.

The demo practice and the self-test have no real clearinghouse, so they acknowledge
their own batches with these files and import them through the same service as real ones. Each
file is written the way clearinghouses write them: the clearinghouse is the sender, the
practice the receiver, one interchange with one functional group.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.models.claims import ClaimBatch, Clearinghouse
from app.x12.text import clean_element

# 277CA STC01 composites: accepted into adjudication, and rejected because the
# subscriber's member id is invalid (category A7, status 164 "entity's contract/member
# number", entity IL subscriber).
ACCEPTED_STATUS = "A2:20"
MEMBER_ID_REJECTED_STATUS = "A7:164:IL"


@dataclass(frozen=True, slots=True)
class ClaimVerdict:
    """The demo payer's status for one claim in a 277CA."""

    claim_number: str
    amount: Decimal
    status: str  # an STC01 composite such as ACCEPTED_STATUS
    patient_last_name: str
    patient_first_name: str
    member_id: str
    service_date: date
    payer_claim_number: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status.startswith(("A1", "A2"))


def _interchange(
    clearinghouse: Clearinghouse, control: int, when: datetime, functional_id: str
) -> tuple[str, str]:
    # The clearinghouse sends, so its ids and the practice's swap places.
    sender = clearinghouse.isa_receiver_id.ljust(15)[:15]
    receiver = clearinghouse.isa_sender_id.ljust(15)[:15]
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*{clearinghouse.isa_receiver_qualifier}*{sender}*"
        f"{clearinghouse.isa_sender_qualifier}*{receiver}*{when:%y%m%d}*{when:%H%M}*^*00501*"
        f"{control:09d}*0*{clearinghouse.usage_indicator}*:"
    )
    gs = (
        f"GS*{functional_id}*{clearinghouse.gs_receiver_code}*{clearinghouse.gs_sender_code}*"
        f"{when:%Y%m%d}*{when:%H%M}*{control}*X"
    )
    return isa, gs


def _file(isa: str, gs: str, control: int, transaction: list[str]) -> str:
    transaction.append(f"SE*{len(transaction) + 1}*0001")
    segments = [isa, gs, *transaction, f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "".join(f"{segment}~\n" for segment in segments)


def acknowledgement_999(
    clearinghouse: Clearinghouse,
    batch: ClaimBatch,
    transaction_numbers: Sequence[str],
    *,
    control: int,
    when: datetime,
) -> str:
    """Return a 999 accepting every transaction set of `batch` (one AK2 per ST02)."""
    isa, gs = _interchange(clearinghouse, control, when, "FA")
    transaction = [
        "ST*999*0001*005010X231A1",
        f"AK1*HC*{batch.group_control_number}*005010X222A1",
    ]
    for number in transaction_numbers:
        transaction += [f"AK2*837*{number}*005010X222A1", "IK5*A"]
    count = len(transaction_numbers)
    transaction.append(f"AK9*A*{count}*{count}*{count}")
    return _file(isa, gs + "*005010X231A1", control, transaction)


def acknowledgement_277ca(
    clearinghouse: Clearinghouse,
    practice_name: str,
    billing_npi: str,
    verdicts: Sequence[ClaimVerdict],
    *,
    control: int,
    when: datetime,
) -> str:
    """Return a 277CA giving each claim in `verdicts` its status, under one provider level."""
    isa, gs = _interchange(clearinghouse, control, when, "HN")
    accepted = [verdict for verdict in verdicts if verdict.accepted]
    total = sum((verdict.amount for verdict in verdicts), Decimal(0))
    rejected = len(verdicts) - len(accepted)
    source = clean_element(clearinghouse.receiver_name, 60)
    practice = clean_element(practice_name, 60)
    transaction = [
        "ST*277*0001*005010X214",
        f"BHT*0085*08*{control}*{when:%Y%m%d}*{when:%H%M}*TH",
        "HL*1**20*1",
        f"NM1*PR*2*{source}*****46*{clearinghouse.receiver_id}",
        f"TRN*1*{control}",
        f"DTP*050*D8*{when:%Y%m%d}",
        f"DTP*009*D8*{when:%Y%m%d}",
        "HL*2*1*21*1",
        f"NM1*41*2*{practice}*****46*{clearinghouse.submitter_id}",
        f"TRN*2*{control}",
        f"STC*A1:20*{when:%Y%m%d}*WQ*{total}",
        *([f"QTY*90*{len(accepted)}"] if accepted else []),
        *([f"QTY*AA*{rejected}"] if rejected else []),
        "HL*3*2*19*1",
        f"NM1*85*2*{practice}*****XX*{billing_npi}",
        f"TRN*1*{control}",
        # The provider level's STC carries no date (STC02 is not used there).
        f"STC*A1:20**WQ*{total}",
    ]
    for level, verdict in enumerate(verdicts, start=4):
        action = "WQ" if verdict.accepted else "U"
        last_name = clean_element(verdict.patient_last_name, 60)
        first_name = clean_element(verdict.patient_first_name, 35)
        member_id = clean_element(verdict.member_id, 80)
        transaction += [
            f"HL*{level}*3*PT",
            f"NM1*QC*1*{last_name}*{first_name}****MI*{member_id}",
            f"TRN*2*{verdict.claim_number}",
            f"STC*{verdict.status}*{when:%Y%m%d}*{action}*{verdict.amount}",
        ]
        if verdict.payer_claim_number:
            transaction.append(f"REF*1K*{verdict.payer_claim_number}")
        transaction.append(f"DTP*472*D8*{verdict.service_date:%Y%m%d}")
    return _file(isa, gs + "*005010X214", control, transaction)
