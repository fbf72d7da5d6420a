"""Plain-English meanings of the claim status codes in a 277CA acknowledgment.

Each STC composite is category:status:entity, such as A7:562:85, "rejected for invalid
information: NPI: billing provider". The code values are those of the X12 claim status
category, claim status and entity identifier code lists. The wording is ours, written
for a biller as what is wrong and what to check. Only common codes are listed, and an
unknown code is named as such instead of guessed.
"""

# Category codes (STC01-1): the verdict.
CATEGORIES = {
    "A0": "Forwarded to another payer or processor",
    "A1": "Received but not yet checked",
    "A2": "Accepted for adjudication",
    "A3": "Rejected as unprocessable",
    "A4": "Not found",
    "A5": "Split into more than one claim",
    "A6": "Rejected for missing information",
    "A7": "Rejected for invalid information",
    "A8": "Rejected because two values on the claim contradict each other",
}

_RESEND = (
    "Correct the claim and send it again. A rejected claim never reached adjudication, "
    "so it is not a denial and needs no appeal."
)

# Next step for the biller, per category.
NEXT_STEPS = {
    "A0": "No action is needed unless the forwarding was not expected.",
    "A1": "No action yet: wait for the next acknowledgment.",
    "A2": (
        "The claim passed the front-end checks. No action is needed: watch for the "
        "payment or denial on the remittance."
    ),
    "A3": _RESEND,
    "A4": (
        "The receiver could not find the claim. Check that it went to the right payer, "
        "then send it again if needed."
    ),
    "A5": "No action is needed: expect more than one remittance for this claim.",
    "A6": _RESEND,
    "A7": _RESEND,
    "A8": _RESEND,
}

ACCEPTED_CATEGORIES = frozenset({"A1", "A2"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})

_CARD = "Check it against the insurance card and run an eligibility check."
_NPPES = "Check it in the practice or provider record against the NPPES registry."
_CODE_SET = "Check that the code is valid and billable for the date of service."

# Claim status codes (STC01-2): what the problem is, and what to check.
STATUSES: dict[str, tuple[str, str]] = {
    "0": ("the payer cannot give more status electronically", "Call the payer."),
    "1": ("the details are on the remittance advice", "Look for the claim on the 835."),
    "3": ("the claim was decided and waits for the payment cycle", ""),
    "16": ("the claim was forwarded", ""),
    "19": ("the receiver confirms it got the claim", ""),
    "20": ("the claim was accepted for processing", ""),
    "21": (
        "information is missing or invalid",
        "The other status codes on this claim say which information.",
    ),
    "23": ("the claim was returned", ""),
    "24": (
        "not approved to send claims electronically",
        "Ask the clearinghouse to finish the enrollment with this payer.",
    ),
    "25": ("not approved by the payer", "Check the provider's enrollment with the payer."),
    "26": ("not found in the receiver's records", "Check the name and ID that were sent."),
    "27": ("the policy was canceled", "Ask the patient for current coverage."),
    "29": ("the subscriber and the policy number do not match", _CARD),
    "30": ("the subscriber and the member ID do not match", _CARD),
    "31": ("the subscriber and the policyholder name do not match", _CARD),
    "32": ("the subscriber and the policy number were not found", _CARD),
    "33": ("the subscriber and the member ID were not found", _CARD),
    "34": ("the subscriber and the policyholder name were not found", _CARD),
    "35": ("the claim was not found", ""),
    "54": (
        "the claim or line repeats one the payer already processed",
        "Check whether it was sent before. To change a processed claim, send a "
        "replacement (frequency 7) instead.",
    ),
    "78": (
        "the claim or line repeats one that is waiting to be processed",
        "Do not send it again; wait for the first copy to be processed.",
    ),
    "85": ("this payer is not the primary payer", "Check the order of the coverages."),
    "97": ("the patient's eligibility was not found", _CARD),
    "109": ("not eligible", _CARD),
    "116": (
        "the claim was sent to the wrong payer",
        "Check the payer and its payer ID on the patient's coverage.",
    ),
    "125": ("the name is missing or invalid", "Check the spelling that was sent."),
    "126": ("the address is missing or invalid", "Check street, city, state and ZIP+4."),
    "128": ("the tax ID is missing or invalid", "Check the practice's EIN."),
    "145": (
        "the taxonomy (specialty) code is missing or invalid",
        "Check the taxonomy code in the practice or provider record.",
    ),
    "153": ("the ID number is missing or invalid", "Check the ID that was sent."),
    "156": (
        "the patient's relationship to the subscriber is missing or invalid",
        "Check the relationship on the patient's coverage.",
    ),
    "157": ("the sex is missing or invalid", "Check the sex in the patient record."),
    "158": ("the date of birth is missing or invalid", _CARD),
    "163": ("the policy or group number is missing or invalid", _CARD),
    "164": ("the member ID is missing or invalid", _CARD),
    "187": (
        "the date of service is missing or invalid",
        "Check the service dates; a date in the future is rejected.",
    ),
    "247": ("a service line has a problem", "The line statuses say which line."),
    "249": ("the place of service is missing or invalid", "Check the place of service code."),
    "254": ("the principal (first) diagnosis code is missing or invalid", _CODE_SET),
    "255": ("a diagnosis code is missing or invalid", _CODE_SET),
    "453": ("a procedure modifier is missing or invalid", "Check the modifiers on the line."),
    "454": ("the procedure code is missing or invalid", _CODE_SET),
    "474": ("the procedure code does not fit the patient's sex", _CODE_SET),
    "475": ("the procedure code does not fit the patient's age", _CODE_SET),
    "476": ("the units of service are missing or invalid", "Check the units on the line."),
    "477": (
        "a diagnosis pointer is missing or invalid",
        "Check that each line points to a diagnosis on the claim.",
    ),
    "479": (
        "the other payer's ID is missing or invalid",
        "Check the payer ID of the other coverage.",
    ),
    "480": (
        "the claim filing indicator is missing or invalid",
        "Check the plan type of the payer.",
    ),
    "481": ("the claim file format is invalid", "Ask the clearinghouse what it rejected."),
    "484": ("the payer's system is not available now", "Send the claim again later."),
    "496": (
        "the submitter is not approved to send claims for this provider",
        "Ask the clearinghouse to finish the enrollment with this payer.",
    ),
    "500": ("the ZIP code is missing or invalid", "Check the ZIP+4 (9 digits)."),
    "501": ("the state is missing or invalid", "Check the address."),
    "502": ("the city is missing or invalid", "Check the address."),
    "503": ("the street address is missing or invalid", "Check the address."),
    "504": ("the last name is missing or invalid", "Check the spelling that was sent."),
    "505": ("the first name is missing or invalid", "Check the spelling that was sent."),
    "510": ("a date is in the future", "Check the dates on the claim."),
    "511": ("a value contains an invalid character", "Check the value named with it."),
    "512": ("a value has a length the receiver cannot use", "Check the value named with it."),
    "535": ("the claim frequency code is missing or invalid", "Check the frequency code."),
    "562": ("the NPI is missing or invalid", _NPPES),
    "583": ("the line charge amount is missing or invalid", "Check the line charges."),
    "584": ("the line control number is missing or invalid", ""),
    "672": (
        "the other payer's payment information does not balance",
        "Check the prior payer's paid and adjustment amounts.",
    ),
    "684": (
        "a syntax error was reported on the 999 acknowledgment",
        "Read the 999 problems for this batch.",
    ),
}

# Entity identifier codes (STC01-3): who the problem concerns.
ENTITIES = {
    "03": "dependent",
    "1P": "provider",
    "40": "receiver",
    "41": "submitter",
    "45": "drop-off location",
    "71": "attending physician",
    "72": "operating physician",
    "77": "service location",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "DK": "ordering provider",
    "DN": "referring provider",
    "DQ": "supervising provider",
    "FA": "facility",
    "GB": "other insured",
    "HK": "subscriber",
    "IL": "subscriber",
    "P3": "primary care provider",
    "PR": "payer",
    "PW": "pick-up location",
    "QB": "purchased service provider",
    "QC": "patient",
    "TT": "transfer-to payer",
}


def explain_status(category: str, code: str, entity: str) -> str:
    """Describe one STC composite in plain English, ending with what to do next."""
    sentences = [_verdict_and_problem(category, code, entity)]

    check = STATUSES.get(code, ("", ""))[1]
    if check:
        sentences.append(check)
    sentences.append(
        NEXT_STEPS.get(category, "Ask the clearinghouse what this status category means.")
    )
    return " ".join(sentences)


def _verdict_and_problem(category: str, code: str, entity: str) -> str:
    verdict = CATEGORIES.get(
        category, f"Status category {category!r}, which ClinicDesk does not list"
    )
    if not code:
        return verdict + "."

    if code in STATUSES:
        problem = STATUSES[code][0]
    else:
        problem = f"status code {code!r}, which ClinicDesk does not list"
    if entity:
        problem += f" (concerns the {ENTITIES.get(entity, f'entity coded {entity!r}')})"
    return f"{verdict}: {problem}."
