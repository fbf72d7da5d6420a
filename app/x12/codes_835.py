"""Plain-English labels for the codes of an 835 remittance.

The code values are those of the 835 implementation guides (005010X221A1 and
004010X091A1). The labels are ClinicDesk's own short wording for a biller. Adjustment
reason codes (CARC) and remark codes (RARC) get no text here: their published
descriptions are licensed, so a practice imports them into its remark code table.
Unknown codes are named as such instead of guessed.
"""

# CLP02: what the payer did with the claim.
CLAIM_STATUSES = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to another payer",
    "20": "Processed as secondary, forwarded to another payer",
    "21": "Processed as tertiary, forwarded to another payer",
    "22": "Reversal of an earlier payment",
    "23": "Not this payer's claim, forwarded to another payer",
    "25": "Priced only, not paid (predetermination)",
}

# CLP02 codes under which the payer sent the claim on to the next payer itself.
CROSSOVER_STATUSES = frozenset({"19", "20", "21"})

# CAS01: who carries an adjustment.
GROUP_CODES = {
    "CO": "Contractual obligation",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "PR": "Patient responsibility",
    "CR": "Correction or reversal (4010 only)",
}

# PLB03-1: why the payer changed the payment at the provider level. A positive amount
# lowers the payment and a negative one raises it.
PROVIDER_ADJUSTMENT_REASONS = {
    "50": "Penalty for late filing",
    "51": "Interest penalty",
    "72": "Refund from the practice received",
    "AP": "Benefits paid ahead of schedule",
    "B2": "Rebate",
    "BD": "Bad debt",
    "C5": "Temporary allowance",
    "CS": "Other adjustment, see the reference",
    "CV": "Capital cost passthrough",
    "E3": "Amount withheld",
    "FB": "Balance carried between remittances",
    "IR": "Tax withholding for the IRS",
    "IS": "Interim settlement",
    "J1": "Not reimbursable",
    "L3": "Penalty",
    "L6": "Interest on a late payment",
    "LE": "Levy on the practice's payments",
    "TL": "Third party liability",
    "WO": "Recovery of an earlier overpayment",
    "WU": "Recovery without a stated reason",
}

# Every PLB03-1 code of 005010X221A1, as pyx12 4.0 lists them in its map
# 835.5010.X221.A1.xml. The labels above cover the common ones.
PROVIDER_ADJUSTMENT_CODES = frozenset(
    {
        *("50", "51", "72", "90", "AH", "AM", "AP", "B2", "B3", "BD", "BN", "C5", "CR", "CS"),
        *("CT", "CV", "CW", "DM", "E3", "FB", "FC", "GO", "HM", "IP", "IR", "IS", "J1", "L3"),
        *("L6", "LE", "LS", "OA", "OB", "PI", "PL", "RA", "RE", "SL", "TL", "WO", "WU"),
    }
)

# CLP06: the claim filing indicator codes of 005010X221A1 (same source as above).
CLAIM_FILING_INDICATORS = frozenset(
    {
        *("12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC"),
        *("OF", "TV", "VA", "WC", "ZZ"),
    }
)

# BPR01: what the transaction carries.
HANDLING_CODES = {
    "C": "Payment with remittance advice",
    "D": "Payment only",
    "H": "Remittance advice only, no payment",
    "I": "Remittance advice only, payment sent separately",
    "P": "Prenotification of a future transfer",
    "U": "Split payment and remittance",
    "X": "Payment and remittance handled as the payer chooses",
}

# BPR04: how the money moves.
PAYMENT_METHODS = {
    "ACH": "Electronic funds transfer (ACH)",
    "BOP": "Financial institution option",
    "CHK": "Check",
    "FWT": "Federal Reserve wire transfer",
    "NON": "No payment",
}


def _label(table: dict[str, str], code: str, kind: str) -> str:
    label = table.get(code.strip())
    if label is not None:
        return label
    return f"Unknown {kind} {code.strip()!r}"


def claim_status_label(code: str) -> str:
    """Return the label of a CLP02 claim status code, such as "Denied" for 4."""
    return _label(CLAIM_STATUSES, code, "claim status")


def group_label(code: str) -> str:
    """Return the label of a CAS01 group code, such as "Contractual obligation" for CO."""
    return _label(GROUP_CODES, code, "group code")


def provider_adjustment_label(code: str) -> str:
    """Return the label of a PLB reason code, such as "Penalty" for L3."""
    return _label(PROVIDER_ADJUSTMENT_REASONS, code, "provider adjustment reason")


def handling_label(code: str) -> str:
    """Return the label of a BPR01 transaction handling code."""
    return _label(HANDLING_CODES, code, "handling code")


def payment_method_label(code: str) -> str:
    """Return the label of a BPR04 payment method code, such as "Check" for CHK."""
    return _label(PAYMENT_METHODS, code, "payment method")
