"""The Outside providers tab: referring clinicians, with their add and edit dialog."""

import logging
from typing import Any

from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor
from app.services import outside_providers
from app.services.outcomes import SaveOutcome
from app.services.outside_providers import OutsideProviderForm, OutsideProviderSummary
from ui.admin.common import Work
from ui.admin.forms import RecordDialog, combo_code, line, select_data
from ui.admin.listing import RecordListTab
from ui.context import AppContext
from ui.widgets import state_combo

log = logging.getLogger(__name__)


class OutsideProviderDialog(RecordDialog):
    """Adds or edits a referring provider; only the name is required."""

    def __init__(
        self,
        context: AppContext,
        provider: OutsideProviderSummary | None,
        parent: QWidget | None = None,
    ) -> None:
        title = "Add outside provider" if provider is None else "Edit outside provider"
        super().__init__(context, title, parent)
        self.provider = provider
        self.first_name = line(provider.first_name if provider else "", 35)
        self.last_name = line(provider.last_name if provider else "", 60)
        self.credentials = line(provider.credentials if provider else "", 20)
        self.npi = line(provider.npi if provider else "", 12)
        self.phone = line(provider.phone if provider else "", 25)
        self.fax = line(provider.fax if provider else "", 25)
        self.address_line1 = line(provider.address_line1 if provider else "", 55)
        self.city = line(provider.city if provider else "", 30)
        self.state = state_combo("No state")
        select_data(self.state, provider.state if provider else "")
        self.zip_code = line(provider.zip_code if provider else "", 10)
        self._add_fields()
        self.finish_building()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field("first_name", "&First name", self.first_name, "Blank for an organization")
        form.add_field("last_name", "&Last name or organization", self.last_name)
        form.add_field("credentials", "&Credentials", self.credentials, "Such as MD, DO, NP")
        form.add_field("npi", "&NPI", self.npi, "Optional; claims need it in box 17b")
        form.add_field("phone", "&Phone", self.phone, "Optional, such as (512) 555-0100")
        form.add_field("fax", "Fa&x", self.fax, "Optional, for sending visit notes back")
        form.add_field("address_line1", "&Street address", self.address_line1, "Optional")
        form.add_field("city", "C&ity", self.city, "Optional")
        form.add_field("state", "St&ate", self.state, "Optional")
        form.add_field("zip_code", "&ZIP code", self.zip_code, "Optional")

    def build_form(self) -> OutsideProviderForm:
        """Return the provider as typed."""
        return OutsideProviderForm(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            credentials=self.credentials.text(),
            npi=self.npi.text(),
            phone=self.phone.text(),
            fax=self.fax.text(),
            address_line1=self.address_line1.text(),
            city=self.city.text(),
            state=combo_code(self.state),
            zip_code=self.zip_code.text(),
            id=self.provider.id if self.provider else None,
        )

    def local_problems(self) -> list[Problem]:
        return outside_providers.outside_provider_problems(self.build_form())

    def build_work(self) -> Work:
        actor, form = self.context.actor, self.build_form()

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = outside_providers.save_outside_provider(session, actor, form)
            outcome.raise_if_rejected()
            return outcome

        return work


class OutsideProvidersTab(RecordListTab):
    """Lists referring providers and other clinicians outside the practice."""

    kind = ChangeKind.REFERRALS
    noun = "outside provider"
    headers = ("Name", "Credentials", "NPI", "Phone", "Fax", "City", "State")

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        return outside_providers.list_outside_providers(
            session, actor, include_archived=include_archived
        )

    def cells(self, record: OutsideProviderSummary) -> list[str]:
        name = f"{record.last_name}, {record.first_name}" if record.first_name else record.last_name
        return [
            name,
            record.credentials,
            record.npi,
            record.phone,
            record.fax,
            record.city,
            record.state,
        ]

    def make_dialog(self, record: OutsideProviderSummary | None) -> RecordDialog:
        return OutsideProviderDialog(self.context, record, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        return outside_providers.archive_outside_provider(session, actor, record_id)

    def describe(self, record: OutsideProviderSummary) -> str:
        return record.display_name
