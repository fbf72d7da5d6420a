"""Fixtures for the EOB, remittance and posting-rule screens: the Admin page's contexts."""

from tests.ui.admin.conftest import admin_actor, admin_context, context_for, settle

__all__ = ["admin_actor", "admin_context", "context_for", "settle"]
