"""Administration screens: users, practice set-up, audit log, backups and security."""

from ui.admin.page import AdminPage, can_open_admin

__all__ = ["AdminPage", "can_open_admin"]
