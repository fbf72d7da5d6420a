"""Key management, users, roles, permissions and the audit log."""
