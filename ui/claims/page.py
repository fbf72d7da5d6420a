"""The Claims page: the claim worklist, the current claim's details, and the claim actions.

The filter bar starts on "Needs work", so the biller sees what to fix first. The aging
strip counts the claims the other filters leave, by age; clicking a bucket shows only
that age. Enter opens the current claim's details with its scrub findings; each finding
has "Go to field", which opens the screen that fixes it, and "Scrub again" checks the
claim once the fix is saved.
"""

import itertools
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import format_money
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import claim_worklist, registration
from app.services.claim_worklist import WorklistRow
from ui.admin.common import run_for
from ui.claims import keys
from ui.claims.actions import ClaimActions
from ui.claims.detail import DetailPane
from ui.claims.detail_values import DetailView, FindingView, view_of
from ui.claims.filters import AgingStrip, Choice, FilterBar
from ui.claims.go_to_field import FieldNavigator
from ui.claims.worklist import WorklistModel, WorklistTable
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page, heading

log = logging.getLogger(__name__)

# Moving the cursor through the list loads a claim's details (an audited view) only after
# it rests this long, so arrowing past claims does not read and audit each one.
DETAIL_DELAY_MS = 350
SEARCH_MIN_WIDTH = 200
KEYS_TEXT = (
    "Enter: details · Ctrl+F: find · Ctrl+B: build · Ctrl+R: scrub · Ctrl+E: send · "
    "Ctrl+P: print · Ctrl+T: assign · Ctrl+U: follow-up · Ctrl+G: go to field · "
    "Ctrl+Shift+E: post EOB · F5: reload"
)
# Changes to these records alter what the worklist shows (statuses, names, amounts).
WATCHED_KINDS = (
    ChangeKind.CLAIMS,
    ChangeKind.ENCOUNTERS,
    ChangeKind.PATIENTS,
    ChangeKind.COVERAGES,
    ChangeKind.PAYERS,
    ChangeKind.PROVIDERS,
    ChangeKind.USERS,
)
NO_MATCHES = "No claims match these filters."
NO_PERMISSION = "Your role cannot work claims. Billers, managers and administrators can."
CHOICE_KINDS = (ChangeKind.PAYERS, ChangeKind.PROVIDERS, ChangeKind.USERS)


@dataclass(frozen=True, slots=True)
class Choices:
    """The payers, providers and users the filter bar offers."""

    payers: list[Choice]
    providers: list[Choice]
    users: list[Choice]


@dataclass(frozen=True, slots=True)
class Loaded:
    """One worklist load: the rows for the filters (every age) and, when asked, choices."""

    rows: list[WorklistRow]
    choices: Choices | None


def load_choices(session: Session, actor: Actor) -> Choices:
    """Read the filter bar's payers, providers and assignable users."""
    payers = [(choice.id, choice.label) for choice in registration.payer_choices(session, actor)]
    providers = [
        (choice.id, choice.label) for choice in registration.provider_choices(session, actor)
    ]
    users = claim_worklist.assignable_users(session, actor)
    return Choices(payers, providers, users)


class ClaimsPage(Page):
    """The claim worklist with filters, aging strip, detail pane and actions.

    `navigator` opens the screens of Go to field; by default it works through the main
    window this page is shown in.
    """

    def __init__(
        self,
        context: AppContext,
        navigator: FieldNavigator | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pageClaims")
        self.context = context
        self.navigator = navigator or FieldNavigator(context, self.window)
        self.all_rows: list[WorklistRow] = []
        self._request = 0
        self._detail_request = 0
        self._choices_loaded = False
        self._pending_select: list[uuid.UUID] = []
        self.message_box: QMessageBox | None = None

        self.title = heading("Claims")
        self.count = QLabel()
        self.count.setObjectName("countCard")
        self.filters = FilterBar()
        self.filters.changed.connect(self._filters_changed)
        self.aging = AgingStrip()
        self.aging.bucket_clicked.connect(self.filters.set_age_bucket)
        self.model = WorklistModel(self)
        self.table = WorklistTable(self.model)
        self.table.open_requested.connect(self.open_current)
        self.table.doubleClicked.connect(lambda _index: self.open_current())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._cursor_moved())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.empty = QLabel(NO_MATCHES)
        self.empty.setObjectName("subtleText")
        self.empty.hide()
        self.detail = DetailPane()
        self.detail.scrub_requested.connect(self.scrub_current)
        self.detail.findings.go_requested.connect(self.go_to_field)
        self.status = QLabel()
        self.status.setObjectName("claimStatusLine")
        self.status.setWordWrap(True)
        self.detail_timer = QTimer(self)
        self.detail_timer.setSingleShot(True)
        self.detail_timer.setInterval(DETAIL_DELAY_MS)
        self.detail_timer.timeout.connect(self.load_detail)

        self.actions = ClaimActions(self)
        self._page_actions()
        self._lay_out()
        self._update_actions()

    # Building

    def _page_actions(self) -> None:
        for shortcut, slot in (
            (keys.FIND, self.filters.focus_search),
            (keys.REFRESH, self.refresh),
            (keys.GO_TO_FIELD, self.detail.findings.go_to_current),
        ):
            action = QAction(shortcut.action, self)
            action.setShortcut(QKeySequence(shortcut.keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, run=slot: run())
            self.addAction(action)

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addWidget(self.count)
        bar.addSpacing(12)
        bar.addWidget(self.filters.find_label)
        bar.addWidget(self.filters.search, 1)
        self.filters.search.setMinimumWidth(SEARCH_MIN_WIDTH)
        self.buttons = [
            self._action_button(action)
            for action in (
                self.actions.build,
                self.actions.scrub,
                self.actions.send,
                self.actions.print,
            )
        ]
        for action_button in self.buttons:
            bar.addWidget(action_button)
        self.more = QToolButton()
        self.more.setObjectName("claimActionsMenu")
        self.more.setText("&Actions")
        self.more.setToolTip("Assign, follow-up, notes, replace, void, resubmit and rebuild")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = self._actions_menu()
        self.more.setMenu(self.menu)
        bar.addWidget(self.more)

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.empty)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        hint = QLabel(KEYS_TEXT)
        hint.setObjectName("subtleText")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.filters)
        layout.addWidget(self.aging)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        # Set once the search box is in the page's layout, because Qt orders only widgets
        # of one window.
        for first, second in itertools.pairwise([*self.filters.focus_order(), self.table]):
            QWidget.setTabOrder(first, second)

    def _action_button(self, action: QAction) -> QToolButton:
        tool = QToolButton()
        tool.setDefaultAction(action)
        tool.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tool.setAccessibleName(action.text().replace("&", "").rstrip("…"))
        return tool

    def _actions_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("claimActions")
        menu.setToolTipsVisible(True)
        groups = (
            (
                self.actions.build,
                self.actions.scrub,
                self.actions.send,
                self.actions.print,
                self.actions.responses,
            ),
            (self.actions.assign, self.actions.follow_up, self.actions.note),
            (self.actions.post_eob, self.actions.bill_next),
            (
                self.actions.payer_number,
                self.actions.replace,
                self.actions.void,
                self.actions.resubmit,
                self.actions.rebuild,
            ),
        )
        for number, group in enumerate(groups):
            if number:
                menu.addSeparator()
            for action in group:
                menu.addAction(action)
        return menu

    def _context_menu(self, position: QPoint) -> None:
        self.menu.popup(self.table.viewport().mapToGlobal(position))

    # Loading the worklist

    def refresh(self) -> None:
        """Reload the worklist in the background; a late older result is dropped."""
        if not self.context.user.signed_in:
            return
        if not self.context.can(Permission.CLAIM_MANAGE):
            self.empty.setText(NO_PERMISSION)
            self.empty.setVisible(True)
            self._update_actions()
            return
        problem = self.filters.amount_problem()
        self.filters.show_problem(problem)
        self._take_focus()
        self._request += 1
        request, actor = self._request, self.context.actor
        filters = self.filters.worklist_filter()
        with_choices = not self._choices_loaded

        def work(session: Session, _progress: Progress) -> Loaded:
            rows = claim_worklist.worklist(session, actor, filters)
            choices = load_choices(session, actor) if with_choices else None
            return Loaded(rows, choices)

        # run_for drops the result when the page was deleted meanwhile (a sign-out).
        run_for(
            self,
            self.context,
            work,
            lambda loaded: self._show(request, loaded),
            self.show_error,
            read_only=True,
        )

    def _take_focus(self) -> None:
        # Opened from the navigation, the focus is still outside the page, where its keys
        # (Enter, Ctrl+F, Ctrl+B...) do not reach.
        focused = QApplication.focusWidget()
        if self.isVisible() and (focused is None or not self.isAncestorOf(focused)):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _filters_changed(self) -> None:
        self.refresh()

    def _show(self, request: int, loaded: Loaded) -> None:
        if request != self._request:
            return
        if loaded.choices is not None:
            self._choices_loaded = True
            choices = loaded.choices
            self.filters.set_choices(choices.payers, choices.providers, choices.users)
        self.all_rows = loaded.rows
        self._apply_age()

    def _apply_age(self) -> None:
        bucket = self.filters.age_bucket()
        current = self.table.current_row()
        chosen = self._pending_select or ([current.claim_id] if current is not None else [])
        rows = [row for row in self.all_rows if bucket is None or row.aging_bucket == bucket]
        self.aging.show_summary(claim_worklist.aging_summary(self.all_rows), bucket)
        self.model.set_rows(rows)
        self.empty.setText(NO_MATCHES)
        self.empty.setVisible(not rows)
        self._show_count(rows)
        if not self.table.select_claims(chosen) and rows:
            self.table.selectRow(0)
        self._pending_select = []
        if not rows:
            self.detail.clear()
        else:
            self.detail_timer.start()
        self._update_actions()

    def _show_count(self, rows: list[WorklistRow]) -> None:
        total = sum((row.amount for row in rows), Decimal("0.00"))
        noun = "claim" if len(rows) == 1 else "claims"
        self.count.setText(f"{len(rows)} {noun} · {format_money(total)}")

    # Selection and details

    def selected_rows(self) -> list[WorklistRow]:
        """Return the selected claims (the current one when none is selected)."""
        return self.table.selected_claims()

    def selected_ids(self) -> list[uuid.UUID]:
        """Return the ids of the selected claims."""
        return [row.claim_id for row in self.selected_rows()]

    def current_detail(self) -> DetailView | None:
        """Return the claim the detail pane shows, or None."""
        return self.detail.view

    def select_after_refresh(self, claim_ids: list[uuid.UUID]) -> None:
        """Select `claim_ids` when the worklist next loads (after an action's changes)."""
        self._pending_select = list(claim_ids)
        if self.table.select_claims(claim_ids):
            self.detail_timer.start()

    def _cursor_moved(self) -> None:
        self.detail_timer.start()
        self._update_actions()

    def open_current(self) -> None:
        """Show the current claim's details now and move the cursor to its findings."""
        self.detail_timer.stop()
        self.load_detail(focus=True)

    def load_detail(self, focus: bool = False) -> None:
        """Read the current claim's details in the background and show them."""
        row = self.table.current_row()
        if row is None:
            self.detail.clear()
            return
        self._detail_request += 1
        request, actor, claim_id = self._detail_request, self.context.actor, row.claim_id

        def work(session: Session, _progress: Progress) -> DetailView:
            return view_of(claim_worklist.claim_detail(session, actor, claim_id))

        def done(view: DetailView) -> None:
            if request != self._detail_request:
                return
            keep_notice = self.detail.view is not None and self.detail.view.claim_id == claim_id
            notice = self.detail.notice.text() if keep_notice else None
            self.detail.show_view(view)
            self.detail.show_notice(notice)
            self._update_actions()
            if focus:
                self.detail.focus_findings()

        # Not read-only: viewing a claim writes an audit row.
        run_for(self, self.context, work, done, self.show_error)

    def _update_actions(self) -> None:
        self.actions.update_enabled()

    # Go to field and scrub again

    def go_to_field(self, finding: FindingView) -> None:
        """Open the screen that fixes `finding`, or show who can fix it and where."""
        problem = self.navigator.open(finding.destination)
        scrub_key = keys.SCRUB.native_text()
        if problem is None:
            self.detail.show_notice(
                f"Opened {finding.where} to fix: {finding.message_text} After saving the "
                f"fix, press Scrub again ({scrub_key}) to check the claim."
            )
            return
        self.detail.show_notice(problem)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Go to field",
            problem,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("goToFieldBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()

    def scrub_current(self) -> None:
        """Scrub the claim in the detail pane again."""
        view = self.detail.view
        if view is not None:
            self.detail.show_notice(None)
            self.actions.scrub_claim(view.claim_id)

    # Messages

    def show_status(self, text: str) -> None:
        """Show the outcome of the last action under the worklist."""
        self.status.setText(text)

    def show_error(self, error: BaseException) -> None:
        """Show a failed load or action in the error dialog."""
        show_error(self, error)

    # Page hooks

    def clear_data(self) -> None:
        """Remove every claim from the screen (the screen locks or the user signs out)."""
        self._request += 1
        self._detail_request += 1
        self.detail_timer.stop()
        self.all_rows = []
        self.model.set_rows([])
        self.detail.clear()
        self.count.clear()
        self.status.clear()
        self._choices_loaded = False

    def handle_changes(self, changes: Changes) -> None:
        """Reload after claims, encounters or the names the worklist shows change."""
        if changes.touches(*CHOICE_KINDS):
            self._choices_loaded = False
        if changes.touches(*WATCHED_KINDS):
            self.refresh()
