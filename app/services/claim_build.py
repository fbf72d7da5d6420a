"""Claim building: new claims from charges, corrections, and secondary (COB) claims.

The work lives in `claim_build_charges`, `claim_corrections` and `claim_cob`. Callers
import it from this module.
"""

from app.services.claim_build_charges import BuildResult, build_claims
from app.services.claim_cob import (
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
    build_secondary_claim,
    record_adjudication,
)
from app.services.claim_corrections import (
    rebuild_claim,
    replace_claim,
    resubmit_lines,
    void_claim,
)

__all__ = [
    "AdjudicationForm",
    "AdjustmentForm",
    "BuildResult",
    "LineAdjudicationForm",
    "build_claims",
    "build_secondary_claim",
    "rebuild_claim",
    "record_adjudication",
    "replace_claim",
    "resubmit_lines",
    "void_claim",
]
