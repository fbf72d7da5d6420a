"""Plain-English meanings of the codes in a 999 implementation acknowledgment.

A 999 reports on the syntax of the file we sent, not on whether the payer will pay. IK3
names a segment with a problem and IK4 an element inside it. IK5 is the verdict on one
transaction set (one batch of claims) and AK9 the verdict on the functional group.

The wording is ours, written for a biller as what went wrong and where to look. The
code values are those of the X12 999 (005010X231A1) code lists.
"""

# IK304: what is wrong with a segment.
SEGMENT_ERRORS = {
    "1": "the receiver does not know this segment id",
    "2": "this segment is not expected at this point of the file",
    "3": "a segment the claim needs is missing",
    "4": "a loop is repeated more times than the rules allow",
    "5": "this segment is repeated more times than the rules allow",
    "6": "this segment does not belong in this kind of transaction",
    "7": "this segment is out of order",
    "8": "one or more elements of this segment are wrong (see the element problems)",
    "I4": "this segment must not be sent under the 837P rules",
    "I6": "a segment required by another value in the claim is missing",
    "I7": "a loop appears fewer times than the 837P rules require",
    "I8": "a segment appears fewer times than the 837P rules require",
    "I9": "this segment must not be sent because of another value in the claim",
}

# IK403: what is wrong with an element.
ELEMENT_ERRORS = {
    "1": "a required value is missing",
    "2": "a value required by another value in this segment is missing",
    "3": "the segment has more elements than allowed",
    "4": "the value is too short",
    "5": "the value is too long",
    "6": "the value contains a character that is not allowed",
    "7": "the value is not one of the allowed codes",
    "8": "the date is not a valid date",
    "9": "the time is not a valid time",
    "10": "this value must not be sent together with another value in the segment",
    "12": "the value is repeated more times than allowed",
    "13": "the value has more parts (components) than allowed",
    "I6": "the code is valid in X12 but not allowed in an 837P",
    "I9": "a value required by another value in the claim is missing",
    "I10": "this value must not be sent under the 837P rules",
    "I11": "the value is repeated fewer times than the 837P rules require",
    "I12": "the value does not have the required format (for example digits only)",
    "I13": "this value must not be sent because of another value in the claim",
}

# IK501 and AK901: the verdict.
ACK_CODES = {
    "A": "accepted",
    "E": "accepted, but the receiver noted errors",
    "M": "rejected because the message authentication failed",
    "P": "partly accepted: at least one transaction set was rejected",
    "R": "rejected",
    "W": "rejected because the file failed the receiver's security checks",
    "X": "rejected because the file could not be read after decryption",
}

# IK502 to IK506: why a transaction set was rejected or flagged.
SET_ERRORS = {
    "1": "the receiver does not accept this kind of transaction",
    "2": "the transaction set has no SE trailer",
    "3": "the control numbers in ST02 and SE02 differ",
    "4": "the segment count in SE01 does not match the segments sent",
    "5": "one or more segments have errors (see the segment problems)",
    "6": "the transaction set id in ST01 is missing or invalid",
    "7": "the control number in ST02 is missing or invalid",
    "8": "the authentication key name is unknown",
    "9": "the encryption key name is unknown",
    "10": "the requested security service is not available",
    "11": "the security recipient is unknown",
    "12": "the message length is wrong (encryption only)",
    "13": "the message authentication code failed",
    "15": "the security originator is unknown",
    "16": "the decrypted text has a syntax error",
    "17": "security is not supported",
    "18": "the transaction set is not inside a functional group",
    "19": "the implementation guide version in ST03 is invalid",
    "23": "the ST02 control number was used twice in the functional group",
    "24": "a security end segment (S3E) is missing",
    "25": "a security start segment (S3S) is missing",
    "26": "a security end segment (S4E) is missing",
    "27": "a security start segment (S4S) is missing",
    "I5": "one or more segments break the 837P rules (see the segment problems)",
    "I6": "the receiver does not accept this implementation guide version",
}

# AK905 to AK909: why a functional group was rejected or flagged.
GROUP_ERRORS = {
    "1": "the receiver does not accept this kind of functional group",
    "2": "the receiver does not accept this version (GS08)",
    "3": "the functional group has no GE trailer",
    "4": "the control numbers in GS06 and GE02 differ",
    "5": "the count of transaction sets in GE01 does not match the sets sent",
    "6": "the group control number in GS06 is invalid",
    "10": "the authentication key name is unknown",
    "11": "the encryption key name is unknown",
    "12": "the requested security service is not available",
    "13": "the security recipient is unknown",
    "14": "the security originator is unknown",
    "15": "the decrypted text has a syntax error",
    "16": "security is not supported",
    "17": "the message length is wrong (encryption only)",
    "18": "the message authentication code failed",
    "19": "the GS06 control number was used twice in the interchange",
    "23": "a security end segment (S3E) is missing",
    "24": "a security start segment (S3S) is missing",
    "25": "a security end segment (S4E) is missing",
    "26": "a security start segment (S4S) is missing",
}

# Next step for the biller after a rejected batch, whatever the codes.
REJECTED_FIX = (
    "None of the claims in this batch reached the payer. Correct what is listed, then "
    "send the claims again."
)


def explain(table: dict[str, str], code: str) -> str:
    """Return the meaning of `code` in `table`, or a sentence naming an unknown code."""
    meaning = table.get(code)
    if meaning is not None:
        return meaning
    return f"error code {code!r}, which ClinicDesk does not know; ask the clearinghouse"
