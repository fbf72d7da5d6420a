"""The Claims page's actions: build, scrub, send, print, assign, follow-up, notes, and the
corrections (replace, void, resubmit lines, rebuild).

Each action is a QAction with its key, shown on the page's buttons, in the Actions menu
and in the worklist's context menu. Slow work runs through the op runner with a progress
dialog. Every new claim a correction makes is scrubbed in the same operation, so it
arrives on the worklist as ready or on hold rather than unchecked.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import claim_build, claim_cob, claim_scrub, claim_worklist, eob_entry
from app.services.eob_entry import EobClaim
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.admin.forms import ask
from ui.claims import keys
from ui.claims.dialogs import (
    AssignDialog,
    FollowUpDialog,
    NoteDialog,
    PayerClaimNumberDialog,
    ResubmitLinesDialog,
)
from ui.claims.eob_dialog import EobDialog, load_payers
from ui.claims.print_dialog import open_print_dialog
from ui.claims.responses_dialog import open_responses_dialog
from ui.claims.send_dialog import open_send_dialog
from ui.help import Shortcut

if TYPE_CHECKING:
    from ui.claims.page import ClaimsPage

log = logging.getLogger(__name__)

# Statuses of a claim its payer has adjudicated, from which the next payer may be billed.
NEXT_PAYER_STATUSES = frozenset({"paid", "partial", "patient_resp", "denied"})

# A correction service: (session, actor, claim id) to the id of the claim it builds.
Correction = Callable[[Session, Actor, uuid.UUID], uuid.UUID]


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of an action: its Changes, the summary to show and the claims to select."""

    changes: Changes
    summary: str = ""
    select_ids: tuple[uuid.UUID, ...] = ()
    details: tuple[str, ...] = field(default_factory=tuple)


def merged(*changes: Changes) -> Changes:
    """Return one Changes value holding every kind in `changes`."""
    kinds = frozenset().union(*(change.kinds for change in changes))
    return Changes(kinds)


def plural(count: int, noun: str) -> str:
    """Return "1 claim" or "3 claims"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def scrub_summary(result: claim_scrub.ScrubResult) -> str:
    """Return "2 ready to send, 1 on hold" for a scrub result."""
    return f"{len(result.ready)} ready to send, {len(result.held)} on hold"


def build_and_scrub(session: Session, actor: Actor, progress: Progress) -> ActionResult:
    """Build claims from every posted charge not yet billed, then scrub the new claims."""
    progress.report(0, 2, "Building claims from posted charges")
    built = claim_build.build_claims(session, actor)
    progress.check_cancelled()
    if not built.claim_ids:
        summary = "No new claims: every posted charge is already on a claim."
        skipped = tuple(problem.message for problem in built.skipped)
        return ActionResult(built.changes, summary, (), skipped)
    progress.report(1, 2, f"Scrubbing {plural(len(built.claim_ids), 'new claim')}")
    scrubbed = claim_scrub.scrub_claims(session, actor, built.claim_ids)
    summary = f"Built {plural(len(built.claim_ids), 'claim')}: {scrub_summary(scrubbed)}."
    if scrubbed.ready:
        # The page opens on "Needs work", which hides ready claims.
        summary += " Ready claims show under Status: Ready to send or All."
    if built.skipped:
        summary += f" Skipped {plural(len(built.skipped), 'encounter')}:"
    return ActionResult(
        merged(built.changes, scrubbed.changes),
        summary,
        tuple(built.claim_ids),
        tuple(problem.message for problem in built.skipped),
    )


def scrub_new_claim(session: Session, actor: Actor, claim_id: uuid.UUID, done: str) -> ActionResult:
    """Scrub a claim a correction just made and describe the outcome."""
    scrubbed = claim_scrub.scrub_claims(session, actor, [claim_id])
    state = "ready to send" if claim_id in scrubbed.ready else "on hold: see its findings"
    return ActionResult(scrubbed.changes, f"{done} It is {state}.", (claim_id,))


class ClaimActions:
    """Builds the page's QActions and runs them on the selected claims."""

    def __init__(self, page: "ClaimsPage") -> None:
        self.page = page
        self.context = page.context
        self.dialog: QWidget | None = None
        self.last_summary: QMessageBox | None = None
        self.build = self._action("&Build claims", self.build_claims, keys.BUILD)
        self.scrub = self._action("Sc&rub", self.scrub_selected, keys.SCRUB)
        self.send = self._action("Se&nd…", self.send_selected, keys.SEND)
        self.print = self._action("&Print CMS-1500…", self.print_selected, keys.PRINT)
        self.responses = self._action("&Get responses…", self.get_responses, keys.RESPONSES)
        self.assign = self._action("Assign &to…", self.assign_selected, keys.ASSIGN)
        self.follow_up = self._action("&Follow-up…", self.follow_up_selected, keys.FOLLOW_UP)
        self.note = self._action("Add n&ote…", self.note_selected, keys.NOTE)
        self.replace = self._action("R&eplace claim (frequency 7)…", self.replace_current)
        self.void = self._action("&Void claim (frequency 8)…", self.void_current)
        self.resubmit = self._action("Resubmit selected &lines…", self.resubmit_current)
        self.rebuild = self._action("Reb&uild claim", self.rebuild_current)
        self.payer_number = self._action("Payer's claim &number…", self.payer_number_current)
        self.post_eob = self._action("Post E&OB…", self.post_eob_current, keys.POST_EOB)
        self.bill_next = self._action("Bill ne&xt payer", self.bill_next_current)
        self.all = [
            self.build, self.scrub, self.send, self.print, self.responses, self.assign,
            self.follow_up, self.note, self.replace, self.void, self.resubmit, self.rebuild,
            self.payer_number, self.post_eob, self.bill_next,
        ]  # fmt: skip

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: Shortcut | None = None
    ) -> QAction:
        action = QAction(text, self.page)
        plain = text.replace("&", "").rstrip("…")
        if shortcut is not None:
            action.setShortcut(shortcut.sequence())
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{plain} ({shortcut.native_text()})")
        else:
            action.setToolTip(plain)
        action.triggered.connect(lambda _checked=False: slot())
        self.page.addAction(action)
        return action

    def update_enabled(self) -> None:
        """Enable the actions the role allows and the selection supports."""
        allowed = self.context.can(Permission.CLAIM_MANAGE)
        selected = bool(self.page.selected_ids())
        single = self.page.current_detail() is not None
        self.build.setEnabled(allowed)
        self.responses.setEnabled(allowed)
        for action in (self.scrub, self.send, self.print, self.assign, self.follow_up, self.note):
            action.setEnabled(allowed and selected)
        for action in (self.replace, self.void, self.resubmit, self.rebuild, self.payer_number):
            action.setEnabled(allowed and single)
        self.post_eob.setEnabled(allowed and self.context.can(Permission.PAYMENT_POST))
        view = self.page.current_detail()
        adjudicated = view is not None and view.detail.status in NEXT_PAYER_STATUSES
        self.bill_next.setEnabled(allowed and adjudicated)

    # Running work

    def run(self, title: str, work: Callable[[Session, Progress], ActionResult]) -> None:
        """Run `work` with a progress dialog titled `title`, then show its summary."""
        run_for(self.page, self.context, work, self._finished, self.page.show_error, title=title)

    def _finished(self, result: ActionResult) -> None:
        if result.select_ids:
            self.page.select_after_refresh(list(result.select_ids))
        if result.summary:
            self.page.show_status(result.summary)
        if result.details:
            self._show_summary(result)

    def _show_summary(self, result: ActionResult) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Claims",
            result.summary,
            QMessageBox.StandardButton.Ok,
            self.page,
        )
        box.setObjectName("claimSummaryBox")
        box.setInformativeText("\n".join(f"• {line}" for line in result.details))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_summary = box
        box.open()

    # Build and scrub

    def build_claims(self) -> None:
        """Build claims from all posted charges, scrub them, and show what was built."""
        actor = self.context.actor
        self.run(
            "Building claims", lambda session, progress: build_and_scrub(session, actor, progress)
        )

    def scrub_selected(self) -> None:
        """Scrub the selected claims again."""
        claim_ids = self.page.selected_ids()
        if not claim_ids:
            return

        # The Go to field notice requests this scrub, so it is stale once the scrub runs.
        detail_view = self.page.current_detail()
        if detail_view is not None and detail_view.claim_id in claim_ids:
            self.page.detail.show_notice(None)

        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            scrubbed = claim_scrub.scrub_claims(session, actor, claim_ids)
            summary = f"Scrubbed {plural(len(claim_ids), 'claim')}: {scrub_summary(scrubbed)}."
            return ActionResult(scrubbed.changes, summary)

        self.run(f"Scrubbing {plural(len(claim_ids), 'claim')}", work)

    def scrub_claim(self, claim_id: uuid.UUID) -> None:
        """Scrub one claim again (the detail pane's Scrub again)."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            scrubbed = claim_scrub.scrub_claims(session, actor, [claim_id])
            errors = [
                finding
                for finding in scrubbed.findings.get(claim_id, [])
                if str(finding.severity) == "error"
            ]
            summary = (
                "Scrubbed again: the claim is ready to send."
                if claim_id in scrubbed.ready
                else f"Scrubbed again: {plural(len(errors), 'error')} still hold the claim."
            )
            return ActionResult(scrubbed.changes, summary, (claim_id,))

        self.run("Scrubbing the claim", work)

    # Send and print

    def send_selected(self) -> None:
        """Open the send dialog for the selected claims (it skips claims not ready)."""
        claim_ids = self.page.selected_ids()
        if claim_ids:
            self.dialog = open_send_dialog(self.context, claim_ids, self.page)

    def print_selected(self) -> None:
        """Open the CMS-1500 print dialog for the selected claims."""
        claim_ids = self.page.selected_ids()
        if claim_ids:
            self.dialog = open_print_dialog(self.context, claim_ids, self.page)

    def get_responses(self) -> None:
        """Open the dialog that fetches or imports the clearinghouse's 999 and 277CA files."""
        self.dialog = open_responses_dialog(self.context, self.page)

    # Assign, follow-up and notes

    def assign_selected(self) -> None:
        """Ask who works the selected claims, then assign them."""
        claim_ids = self.page.selected_ids()
        if not claim_ids:
            return
        actor = self.context.actor

        def load(session: Session, _progress: Progress) -> list[tuple[uuid.UUID, str]]:
            return claim_worklist.assignable_users(session, actor)

        def ask_user(users: list[tuple[uuid.UUID, str]]) -> None:
            dialog = AssignDialog(len(claim_ids), users, self.page)
            dialog.accepted.connect(lambda: self._assign(claim_ids, dialog.user_id()))
            self._open(dialog)

        run_for(self.page, self.context, load, ask_user, self.page.show_error, read_only=True)

    def _assign(self, claim_ids: list[uuid.UUID], user_id: uuid.UUID | None) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            changes = claim_worklist.assign_claims(session, actor, claim_ids, user_id)
            done = "Assigned" if user_id is not None else "Unassigned"
            return ActionResult(changes, f"{done} {plural(len(claim_ids), 'claim')}.")

        self.run("Assigning claims", work)

    def follow_up_selected(self) -> None:
        """Ask for a follow-up date and note, then set them on the selected claims."""
        rows = self.page.selected_rows()
        if not rows:
            return
        claim_ids = [row.claim_id for row in rows]
        current = rows[0].follow_up_on if len(rows) == 1 else None

        def load(session: Session, _progress: Progress) -> date:
            return practice_today(session)

        def ask_date(today: date) -> None:
            dialog = FollowUpDialog(len(claim_ids), current, today, self.page)
            dialog.accepted.connect(
                lambda: self._follow_up(claim_ids, dialog.on(), dialog.note_text())
            )
            self._open(dialog)

        run_for(self.page, self.context, load, ask_date, self.page.show_error, read_only=True)

    def _follow_up(self, claim_ids: list[uuid.UUID], on: date | None, note: str) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            changes = [
                claim_worklist.set_follow_up(session, actor, claim_id, on, note)
                for claim_id in claim_ids
            ]
            when = f"for {on:%m/%d/%Y}" if on is not None else "cleared"
            summary = f"Follow-up {when} on {plural(len(claim_ids), 'claim')}."
            return ActionResult(merged(*changes), summary)

        self.run("Saving the follow-up", work)

    def note_selected(self) -> None:
        """Ask for a note, then add it to each selected claim's history."""
        claim_ids = self.page.selected_ids()
        if not claim_ids:
            return
        dialog = NoteDialog(len(claim_ids), self.page)
        dialog.accepted.connect(lambda: self._note(claim_ids, dialog.note_text()))
        self._open(dialog)

    def _note(self, claim_ids: list[uuid.UUID], note: str) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            changes = [
                claim_worklist.add_claim_note(session, actor, claim_id, note)
                for claim_id in claim_ids
            ]
            return ActionResult(
                merged(*changes), f"Note added to {plural(len(claim_ids), 'claim')}."
            )

        self.run("Adding the note", work)

    def payer_number_current(self) -> None:
        """Ask for the payer's claim number of the claim in the detail pane and store it."""
        view = self.page.current_detail()
        if view is None:
            return
        dialog = PayerClaimNumberDialog(view.claim_number, view.payer_claim_number, self.page)
        claim_id = view.claim_id
        dialog.accepted.connect(lambda: self._payer_number(claim_id, dialog.number_text()))
        self._open(dialog)

    def _payer_number(self, claim_id: uuid.UUID, number: str) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            changes = claim_worklist.set_payer_claim_number(session, actor, claim_id, number)
            return ActionResult(changes, "Payer's claim number saved.")

        self.run("Saving the payer's claim number", work)

    # Corrections of the claim in the detail pane

    def replace_current(self) -> None:
        """Ask, then send a replacement (frequency 7) of the claim in the detail pane."""
        view = self.page.current_detail()
        if view is None:
            return
        question = (
            f"Replace claim {view.claim_number}? A new claim with frequency code 7 and "
            f"the payer's claim number {view.payer_claim_number or '(none yet)'} is built "
            "from the current charges and replaces this one at the payer."
        )
        self._confirm_correction(
            ("Replace claim", question, "Replace"),
            claim_build.replace_claim,
            view.claim_id,
            "Replacement claim built.",
        )

    def void_current(self) -> None:
        """Ask, then send a void (frequency 8) of the claim in the detail pane."""
        view = self.page.current_detail()
        if view is None:
            return
        question = (
            f"Void claim {view.claim_number}? A void claim (frequency code 8) asks "
            f"{view.payer_name} to cancel it. This cannot be undone; a new claim would "
            "have to be sent instead."
        )
        self._confirm_correction(
            ("Void claim", question, "Void claim"),
            claim_build.void_claim,
            view.claim_id,
            "Void claim built.",
        )

    def resubmit_current(self) -> None:
        """Ask which lines to send again, then put them on a new claim."""
        view = self.page.current_detail()
        if view is None:
            return
        dialog = ResubmitLinesDialog(view.claim_number, view.lines, self.page)
        claim_id = view.claim_id

        def resubmit(line_ids: Sequence[uuid.UUID]) -> None:
            def work(session: Session, actor: Actor, _claim_id: uuid.UUID) -> uuid.UUID:
                return claim_build.resubmit_lines(session, actor, claim_id, line_ids)

            self._correct(work, claim_id, "New claim built for the chosen lines.")

        dialog.accepted.connect(lambda: resubmit(dialog.chosen_line_ids()))
        self._open(dialog)

    def rebuild_current(self) -> None:
        """Rebuild the claim in the detail pane from its encounter's current charges."""
        view = self.page.current_detail()
        if view is not None:
            self._correct(
                claim_build.rebuild_claim, view.claim_id, "Claim rebuilt from the current charges."
            )

    def _confirm_correction(
        self,
        question: tuple[str, str, str],
        correction: Correction,
        claim_id: uuid.UUID,
        done: str,
    ) -> None:
        """Ask (title, text, yes-button text) first, since these cannot be taken back."""
        title, text, yes_text = question
        ask(self.page, title, text, yes_text, lambda: self._correct(correction, claim_id, done))

    def _correct(self, correction: Correction, claim_id: uuid.UUID, done: str) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ActionResult:
            new_id = correction(session, actor, claim_id)
            # The correction writes only claims, and the scrub's Changes name CLAIMS too.
            return scrub_new_claim(session, actor, new_id, done)

        self.run("Correcting the claim", work)

    # Paper EOBs and the next payer

    def post_eob_current(self) -> None:
        """Open the Post EOB dialog, starting with the claim in the detail pane, if any."""
        view = self.page.current_detail()
        claim_id = view.claim_id if view is not None else None
        actor = self.context.actor

        def load(
            session: Session, _progress: Progress
        ) -> tuple[list[tuple[uuid.UUID, str]], EobClaim | None, date]:
            payers = load_payers(session, actor)
            first = eob_entry.eob_claim(session, actor, claim_id) if claim_id else None
            return payers, first, practice_today(session)

        def open_dialog(loaded: tuple[list[tuple[uuid.UUID, str]], EobClaim | None, date]) -> None:
            payers, first, today = loaded
            dialog = EobDialog(self.context, payers, first, today, self.page)
            dialog.accepted.connect(lambda: self._eob_posted(dialog))
            self._open(dialog)

        run_for(self.page, self.context, load, open_dialog, self.page.show_error)

    def _eob_posted(self, dialog: EobDialog) -> None:
        self.page.select_after_refresh([claim.claim_id for claim in dialog.claims])
        self.page.show_status(dialog.summary())

    def bill_next_current(self) -> None:
        """Build the claim to the next payer of the claim in the detail pane, then scrub it."""
        view = self.page.current_detail()
        if view is None:
            return
        actor, claim_id = self.context.actor, view.claim_id

        def work(session: Session, _progress: Progress) -> ActionResult:
            new_id = claim_cob.build_secondary_claim(session, actor, claim_id)
            if new_id is None:
                return ActionResult(
                    Changes.of(ChangeKind.CLAIMS),
                    "The payer forwarded the claim to the next payer itself (crossover), so "
                    "no claim was built; wait for that payer's remittance.",
                    (claim_id,),
                )
            return scrub_new_claim(session, actor, new_id, "Claim to the next payer built.")

        self.run("Billing the next payer", work)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.activateWindow()
