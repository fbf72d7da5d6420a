"""The Security tab: lockout, idle lock, password length and emergency access limits."""

import logging
from dataclasses import asdict, dataclass, fields

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.services.settings import SecuritySettings, save_setting, security_settings
from ui.admin.common import SPIN_BOX_WIDTH, run_for
from ui.context import AppContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettingSpec:
    """How one security setting is edited: label, range, unit and explanation."""

    label: str
    minimum: int
    maximum: int
    suffix: str
    hint: str


# Keyed by the SecuritySettings field. The ranges keep each rule usable and safe.
SPECS: dict[str, SettingSpec] = {
    "lockout_attempts": SettingSpec(
        "&Failed sign-ins before lockout", 3, 20, " attempts",
        "Wrong passwords in a row before the account is locked",
    ),
    "lockout_minutes": SettingSpec(
        "&Lockout length", 1, 1440, " minutes",
        "How long a locked account waits; an administrator can unlock it sooner",
    ),
    "idle_lock_minutes": SettingSpec(
        "&Idle screen lock", 1, 240, " minutes",
        "The screen locks after this long without keyboard or mouse use",
    ),
    "password_min_length": SettingSpec(
        "Minimum &password length", 8, 128, " characters",
        "Applies to new passwords; existing passwords keep working",
    ),
    "emergency_access_minutes": SettingSpec(
        "&Emergency access length", 5, 1440, " minutes",
        "How long an emergency access grant lasts before it expires",
    ),
}  # fmt: skip


class SecurityTab(QWidget):
    """Edits the practice-wide sign-in and session rules."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.loaded: SecuritySettings | None = None
        self.inputs: dict[str, QSpinBox] = {}
        form = QFormLayout()
        for field in fields(SecuritySettings):
            spec = SPECS[field.name]
            spin = QSpinBox()
            spin.setRange(spec.minimum, spec.maximum)
            spin.setMaximumWidth(SPIN_BOX_WIDTH)
            spin.setSuffix(spec.suffix)
            spin.setToolTip(spec.hint)
            spin.setAccessibleName(spec.label.replace("&", ""))
            spin.valueChanged.connect(self._edited)
            self.inputs[field.name] = spin
            form.addRow(spec.label, spin)
        self.save_button = QPushButton("&Save security settings")
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        self.status.setAccessibleName("Security settings status")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.SETTINGS):
            self.refresh()

    def _edited(self) -> None:
        if self.loaded is not None and self.entered() != self.loaded:
            self.status.setText("Not saved yet.")

    def refresh(self) -> None:
        """Load the stored settings."""
        run_for(self, self.context, lambda session, _p: security_settings(session), self._fill)

    def _fill(self, settings: SecuritySettings) -> None:
        self.loaded = settings
        for name, value in asdict(settings).items():
            spin = self.inputs[name]
            spin.blockSignals(True)
            spin.setValue(int(value))
            spin.blockSignals(False)

    def entered(self) -> SecuritySettings:
        """Return the settings as shown in the form."""
        return SecuritySettings(**{name: spin.value() for name, spin in self.inputs.items()})

    def save(self) -> None:
        """Store every setting that differs from what was loaded."""
        if self.loaded is None:
            return
        actor, before, after = self.context.actor, asdict(self.loaded), asdict(self.entered())
        changed = {name: value for name, value in after.items() if before[name] != value}
        if not changed:
            self.status.setText("Nothing to save.")
            return

        def work(session: Session, _progress: Progress) -> Changes:
            for name, value in changed.items():
                save_setting(session, actor, f"security.{name}", value)
            return Changes.of(ChangeKind.SETTINGS)

        run_for(self, self.context, work, lambda _changes: self.status.setText("Saved."))
