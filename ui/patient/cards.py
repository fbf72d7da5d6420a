"""Pictures of an insurance card: attach a file or drop one, see a thumbnail, view it large."""

import logging
import mimetypes
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.patient_forms import CardImage
from ui.admin.common import format_size
from ui.patient.feedback import problem_label

log = logging.getLogger(__name__)

# The service rejects larger files too; checking first avoids reading a huge file into memory.
MAX_CARD_BYTES = 10 * 1024 * 1024
THUMBNAIL_WIDTH = 200
THUMBNAIL_HEIGHT = 126  # the 85.6 by 54 mm shape of an ID-1 card
VIEWER_WIDTH = 900
VIEWER_HEIGHT = 600
FILE_FILTER = "Card images (*.png *.jpg *.jpeg *.pdf);;All files (*)"
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)


def media_type_of(content: bytes, name: str) -> str:
    """Return the media type the content's first bytes show, else the one its name suggests.

    A file whose bytes match no accepted type keeps the name's type, so the service's
    check reports the mismatch to the user.
    """
    for signature, media_type in SIGNATURES:
        if content.startswith(signature):
            return media_type
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


class CardThumbnail(QLabel):
    """The small picture; a click or Enter on the slot's View button opens it large."""

    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class CardSlot(QFrame):
    """One side of a card: a new picture to store on save, or the stored one to look at."""

    edited = Signal()

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.setObjectName("cardSlot")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAcceptDrops(True)
        self.setAccessibleName(f"Card {side}")
        self.image: CardImage | None = None  # a new picture, stored on save
        self.stored: CardImage | None = None  # the picture on file, shown only
        self.thumbnail = CardThumbnail()
        self.thumbnail.setFixedSize(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setObjectName("subtleText")
        self.thumbnail.setWordWrap(True)
        self.thumbnail.setAccessibleName(f"Card {side} picture")
        self.thumbnail.clicked.connect(self.view)

        self.attach = QPushButton("Attach…")
        self.attach.setAutoDefault(True)
        self.attach.setAccessibleName(f"Attach a picture of the card {side}")
        self.attach.clicked.connect(self.choose_file)
        self.view_button = QPushButton("View")
        self.view_button.setAutoDefault(True)
        self.view_button.setAccessibleName(f"View the card {side} large")
        self.view_button.clicked.connect(self.view)
        self.problem = problem_label(f"Card {side}")

        buttons = QHBoxLayout()
        buttons.addWidget(self.attach)
        buttons.addWidget(self.view_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Card {side}"))
        layout.addWidget(self.thumbnail)
        layout.addLayout(buttons)
        layout.addWidget(self.problem)
        self._refresh()

    def shown_image(self) -> CardImage | None:
        """Return the new picture if any, else the stored one."""
        return self.image or self.stored

    def set_stored(self, image: CardImage | None) -> None:
        """Show the picture on file (it is not stored again on save)."""
        self.stored = image
        self._refresh()

    def choose_file(self) -> None:
        """Ask for a picture file and attach it."""
        name, _filter = QFileDialog.getOpenFileName(
            self, f"Picture of the card {self.side}", "", FILE_FILTER
        )
        if name:
            self.attach_file(Path(name))

    def attach_file(self, path: Path) -> None:
        """Read `path` and attach it as the new picture, or show why it cannot be."""
        try:
            size = path.stat().st_size
            if size > MAX_CARD_BYTES:
                self._say(
                    f"{path.name} is {format_size(size)}; a card picture can be at most "
                    f"{format_size(MAX_CARD_BYTES)}. Scan it at a lower resolution."
                )
                return
            content = path.read_bytes()
        except OSError as exc:
            self._say(f"{path.name} could not be read ({exc.strerror}); choose another file.")
            return
        self.image = CardImage(content=content, media_type=media_type_of(content, path.name))
        log.info("card %s picture attached: %d bytes", self.side, len(content))
        self.problem.setVisible(False)
        self._refresh()
        self.edited.emit()

    def _say(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(True)

    def _refresh(self) -> None:
        image = self.shown_image()
        self.view_button.setEnabled(image is not None)
        if image is None:
            self.thumbnail.setPixmap(QPixmap())
            self.thumbnail.setText("No picture. Attach a file or drop one here.")
            return
        pixmap = QPixmap()
        if image.media_type.startswith("image/") and pixmap.loadFromData(image.content):
            self.thumbnail.setPixmap(
                pixmap.scaled(
                    THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )  # fmt: skip
            return
        self.thumbnail.setPixmap(QPixmap())
        self.thumbnail.setText(f"{image.media_type}\n{format_size(len(image.content))}")

    def view(self) -> QDialog | None:
        """Open the picture large in a window of its own."""
        image = self.shown_image()
        if image is None:
            return None
        dialog = CardViewer(f"Card {self.side}", image, self)
        dialog.open()
        return dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            self.attach_file(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()


class CardViewer(QDialog):
    """A card picture at a readable size; PDF files are listed by type and size only."""

    def __init__(self, title: str, image: CardImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardViewer")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName(title)

        pixmap = QPixmap()
        if image.media_type.startswith("image/") and pixmap.loadFromData(image.content):
            if pixmap.width() > VIEWER_WIDTH or pixmap.height() > VIEWER_HEIGHT:
                pixmap = pixmap.scaled(
                    VIEWER_WIDTH, VIEWER_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )  # fmt: skip
            self.picture.setPixmap(pixmap)
        else:
            # NOTE: PDF pages are not rendered here, so a PDF card shows as a line of text.
            self.picture.setText(
                f"{image.media_type}, {format_size(len(image.content))}. This file type "
                "cannot be shown here."
            )

        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        self.resize(VIEWER_WIDTH + 40, VIEWER_HEIGHT + 80)
