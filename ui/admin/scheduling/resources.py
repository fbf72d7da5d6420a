"""The Resources tab: bookable equipment at each location."""

import logging
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.security.permissions import Actor
from app.services import admin_records, schedule_setup
from app.services.schedule_setup import ResourceInput, ResourceSummary
from ui.admin.common import Work, run_for
from ui.admin.forms import RecordDialog, line
from ui.admin.listing import RecordListTab
from ui.context import AppContext
from ui.widgets import find_data

log = logging.getLogger(__name__)


class ResourceDialog(RecordDialog):
    """Adds or edits a resource; the location list loads in the background."""

    def __init__(
        self, context: AppContext, resource: ResourceSummary | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Add resource" if resource is None else "Edit resource", parent)
        self.resource = resource
        self.location = QComboBox()
        self.name = line(resource.name if resource else "", 40)
        self.form.add_field("location_id", "&Location", self.location)
        self.form.add_field("name", "&Name", self.name, "Such as Ultrasound or ECG cart")
        actor = context.actor
        run_for(
            self,
            context,
            lambda session, _p: admin_records.list_locations(session, actor),
            self._show_locations,
        )
        self.finish_building()

    def _show_locations(self, locations: list[Any]) -> None:
        self.location.blockSignals(True)
        for location in locations:
            self.location.addItem(location.name, location.id)
        if self.resource is not None:
            index = find_data(self.location, self.resource.location_id)
            self.location.setCurrentIndex(max(index, 0))
        self.location.blockSignals(False)

    def build_work(self) -> Work:
        actor = self.context.actor
        resource_id = self.resource.id if self.resource else None
        data = ResourceInput(self.location.currentData(), self.name.text())
        return lambda session, _p: schedule_setup.save_resource(session, actor, resource_id, data)


class ResourcesTab(RecordListTab):
    """Lists bookable resources by location."""

    kind = ChangeKind.SCHEDULE_SETUP
    noun = "resource"
    headers = ("Name", "Location")

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return schedule_setup.list_resources(session, actor, include_archived=include_archived)

    def cells(self, record: ResourceSummary) -> list[str]:
        return [record.name, record.location_name]

    def make_dialog(self, record: ResourceSummary | None) -> RecordDialog:
        return ResourceDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return schedule_setup.archive_resource(session, actor, record_id)
