"""The Providers and Locations tabs, with their add and edit dialogs."""

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.security.permissions import Actor
from app.services import admin_records
from app.services.admin_records import LocationSummary, ProviderSummary
from app.services.practice import LocationInput, ProviderInput
from ui.admin.common import Work
from ui.admin.forms import RecordDialog, combo_code, line, select_data
from ui.admin.listing import RecordListTab
from ui.context import AppContext
from ui.widgets import state_combo

log = logging.getLogger(__name__)


class ProviderDialog(RecordDialog):
    """Adds or edits a rendering provider."""

    def __init__(
        self, context: AppContext, provider: ProviderSummary | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Add provider" if provider is None else "Edit provider", parent)
        self.provider = provider
        self.first_name = line(provider.first_name if provider else "", 35)
        self.last_name = line(provider.last_name if provider else "", 60)
        self.credentials = line(provider.credentials if provider else "", 20)
        self.npi = line(provider.npi if provider else "", 10)
        self.taxonomy_code = line(provider.taxonomy_code if provider else "", 10)
        form = self.form
        form.add_field("first_name", "&First name", self.first_name)
        form.add_field("last_name", "&Last name", self.last_name)
        form.add_field("credentials", "&Credentials", self.credentials, "Such as MD, DO, NP, PA-C")
        form.add_field("npi", "&NPI", self.npi, "The provider's own 10-digit type 1 NPI")
        form.add_field("taxonomy_code", "&Taxonomy code", self.taxonomy_code, "Such as 207Q00000X")
        self.finish_building()

    def build_work(self) -> Work:
        actor = self.context.actor
        provider_id = self.provider.id if self.provider else None
        data = ProviderInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            credentials=self.credentials.text(),
            npi=self.npi.text(),
            taxonomy_code=self.taxonomy_code.text(),
        )
        return lambda session, _p: admin_records.save_provider(session, actor, provider_id, data)


class ProvidersTab(RecordListTab):
    """Lists the practice's rendering providers."""

    kind = ChangeKind.PROVIDERS
    noun = "provider"
    headers = ("Name", "Credentials", "NPI", "Taxonomy")

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return admin_records.list_providers(session, actor, include_archived=include_archived)

    def cells(self, record: ProviderSummary) -> list[str]:
        name = f"{record.last_name}, {record.first_name}"
        return [name, record.credentials, record.npi, record.taxonomy_code]

    def make_dialog(self, record: ProviderSummary | None) -> RecordDialog:
        return ProviderDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return admin_records.archive_provider(session, actor, record_id)

    def describe(self, record: ProviderSummary) -> str:
        return record.display_name


class RoomsEditor(QWidget):
    """An editable list of room names: add, rename in place, remove."""

    edited = Signal()

    def __init__(self, names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Rooms")
        self.list.setMaximumHeight(120)
        for name in names:
            self._append(name)
        self.add_button = QPushButton("Add r&oom")
        self.add_button.clicked.connect(self.add_room)
        self.remove_button = QPushButton("Remo&ve room")
        self.remove_button.clicked.connect(self.remove_room)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.itemChanged.connect(lambda _item: self.edited.emit())

    def _append(self, name: str) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.list.addItem(item)
        return item

    def add_room(self) -> None:
        """Add a room with a placeholder name and start editing it."""
        item = self._append(f"Exam {self.list.count() + 1}")
        self.list.setCurrentItem(item)
        self.list.editItem(item)
        self.edited.emit()

    def remove_room(self) -> None:
        """Remove the selected room from the list."""
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.edited.emit()

    def names(self) -> tuple[str, ...]:
        """Return the room names in list order."""
        return tuple(self.list.item(row).text() for row in range(self.list.count()))


class LocationDialog(RecordDialog):
    """Adds or edits a service location and its rooms."""

    def __init__(
        self, context: AppContext, location: LocationSummary | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Add location" if location is None else "Edit location", parent)
        self.location = location
        self.name = line(location.name if location else "", 60)
        self.address_line1 = line(location.address_line1 if location else "", 55)
        self.address_line2 = line(location.address_line2 if location else "", 55)
        self.city = line(location.city if location else "", 30)
        self.state = state_combo()
        select_data(self.state, location.state if location else "")
        self.zip_code = line(location.zip_code if location else "", 10)
        self.phone = line(location.phone if location else "", 20)
        self.place_of_service = line(location.place_of_service if location else "11", 2)
        rooms = tuple(room.name for room in location.rooms) if location else ()
        self.rooms = RoomsEditor(rooms)
        self._add_fields()
        self.finish_building()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("name", "&Name", self.name, "Such as Main Office")
        form.add_field("address_line1", "&Street address", self.address_line1, "No PO boxes")
        form.add_field("address_line2", "Address line &2", self.address_line2)
        form.add_field("city", "&City", self.city)
        form.add_field("state", "St&ate", self.state)
        form.add_field("zip_code", "&ZIP+4", self.zip_code, "Such as 60201-4412")
        form.add_field("phone", "&Phone", self.phone, "Optional")
        form.add_field(
            "place_of_service", "Place of ser&vice", self.place_of_service,
            "CMS place-of-service code: 11 office, 02 telehealth, 22 outpatient hospital",
        )  # fmt: skip
        form.add_field("rooms", "&Rooms", self.rooms)

    def build_work(self) -> Work:
        actor = self.context.actor
        location_id = self.location.id if self.location else None
        data = LocationInput(
            name=self.name.text(),
            address_line1=self.address_line1.text(),
            address_line2=self.address_line2.text(),
            city=self.city.text(),
            state=combo_code(self.state),
            zip_code=self.zip_code.text(),
            phone=self.phone.text(),
            place_of_service=self.place_of_service.text(),
            rooms=self.rooms.names(),
        )
        return lambda session, _p: admin_records.save_location(session, actor, location_id, data)


class LocationsTab(RecordListTab):
    """Lists service locations with their rooms."""

    kind = ChangeKind.LOCATIONS
    noun = "location"
    headers = ("Name", "Address", "City", "State", "Place of service", "Rooms")

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return admin_records.list_locations(session, actor, include_archived=include_archived)

    def cells(self, record: LocationSummary) -> list[str]:
        rooms = ", ".join(room.name for room in record.rooms if not room.archived)
        return [
            record.name,
            record.address_line1,
            record.city,
            record.state,
            record.place_of_service,
            rooms,
        ]

    def make_dialog(self, record: LocationSummary | None) -> RecordDialog:
        return LocationDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return admin_records.archive_location(session, actor, record_id)
