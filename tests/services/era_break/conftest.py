"""Databases for the remittance attack tests, shared per module like the import tests'."""

from tests.services.era.conftest import era_practice, new_practice

__all__ = ["era_practice", "new_practice"]
