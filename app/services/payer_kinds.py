"""The kinds of payer a practice bills, with the labels the payer editor shows.

The kind sorts payers for reports and tells billers who is paying: a health plan
adjudicates claims, while an attorney or an employer pays an account directly.
`Payer.payer_kind` stores the key.
"""

DEFAULT_PAYER_KIND = "commercial"

# Key stored in Payer.payer_kind → label, in the order the editor lists them.
PAYER_KINDS: dict[str, str] = {
    "commercial": "Commercial insurance",
    "medicare": "Medicare",
    "medicaid": "Medicaid",
    "workers_comp": "Workers' compensation",
    "auto": "Auto insurance",
    "liability": "Liability insurance",
    "public_health": "Public health program",
    "grant": "Grant",
    "employer": "Employer",
    "attorney": "Attorney",
    "other": "Other",
}


def payer_kind_label(kind: str) -> str:
    """Return the label of `kind`, or the stored key itself when it is not a known kind."""
    return PAYER_KINDS.get(kind, kind)
