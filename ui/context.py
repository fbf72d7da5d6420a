"""Shared state of every screen: the open database, the signed-in actor and the op runner."""

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.db.database import Database
from app.security.permissions import Actor, Permission
from ui.ops import OperationRunner


class SignedInUser(QObject):
    """Signed-in user of this window; emits actor_changed on switch user and sign-out."""

    actor_changed = Signal(object)  # Actor | None

    def __init__(self, actor: Actor | None = None) -> None:
        super().__init__()
        self._actor = actor

    @property
    def actor(self) -> Actor:
        """The signed-in actor; raises when nobody is signed in."""
        if self._actor is None:
            raise RuntimeError("no user is signed in")
        return self._actor

    @property
    def signed_in(self) -> bool:
        """True while a user is signed in (also while the screen is locked)."""
        return self._actor is not None

    def set_actor(self, actor: Actor | None) -> None:
        """Switch to `actor` (None signs out) and tell listeners."""
        self._actor = actor
        self.actor_changed.emit(actor)


@dataclass
class AppContext:
    """Handed to every page and dialog instead of globals."""

    database: Database
    ops: OperationRunner
    user: SignedInUser
    workstation: str

    @property
    def actor(self) -> Actor:
        """The signed-in actor."""
        return self.user.actor

    def can(self, permission: Permission) -> bool:
        """True when the signed-in user may do `permission` (used to hide or disable)."""
        return self.user.signed_in and self.user.actor.can(permission)
