"""Claim building: new claims from charges, corrections, and secondary (COB) claims.

The work lives in `claim_build_charges`, `claim_corrections` and `claim_cob`; this module
is the one place callers import it from.
"""

from app.services.claim_build_charges import BuildResult, build_claims

__all__ = ["BuildResult", "build_claims"]
