"""The practice, its service locations and rooms, providers and payers."""

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, SyncedMixin


class Practice(SyncedMixin, Base):
    """The billing entity: one row per database."""

    __tablename__ = "practice"

    legal_name: Mapped[str] = mapped_column(String(60))
    billing_npi: Mapped[str] = mapped_column(String(10), comment="type 2 NPI, 10 digits")
    ein: Mapped[str] = mapped_column(String(10), comment="federal tax id as NN-NNNNNNN")
    taxonomy_code: Mapped[str] = mapped_column(String(10))
    address_line1: Mapped[str] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(10), comment="ZIP+4 as NNNNN-NNNN")
    phone: Mapped[str] = mapped_column(String(20))
    time_zone: Mapped[str] = mapped_column(String(64), comment="IANA name such as America/Chicago")


class Location(SyncedMixin, Base):
    """A service location (office) where appointments happen."""

    __tablename__ = "location"

    name: Mapped[str] = mapped_column(String(60))
    address_line1: Mapped[str] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    place_of_service: Mapped[str] = mapped_column(String(2), default="11", comment="CMS POS code")

    rooms: Mapped[list["Room"]] = relationship(back_populates="location", order_by="Room.name")


class Room(SyncedMixin, Base):
    """An exam room or other bookable space at a location."""

    __tablename__ = "room"

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))

    location: Mapped[Location] = relationship(back_populates="rooms")


class Provider(SyncedMixin, Base):
    """A rendering provider: a person with an individual (type 1) NPI."""

    __tablename__ = "provider"

    first_name: Mapped[str] = mapped_column(String(35))
    last_name: Mapped[str] = mapped_column(String(60))
    credentials: Mapped[str | None] = mapped_column(String(20), comment="such as MD, DO, NP, PA-C")
    npi: Mapped[str] = mapped_column(String(10))
    taxonomy_code: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    @property
    def display_name(self) -> str:
        """Name as shown on screens, such as "Ana Lopez, MD"."""
        suffix = f", {self.credentials}" if self.credentials else ""
        return f"{self.first_name} {self.last_name}{suffix}"


class Payer(SyncedMixin, Base):
    """An insurance company or other third party that pays claims."""

    __tablename__ = "payer"

    name: Mapped[str] = mapped_column(String(60))
    payer_code: Mapped[str] = mapped_column(
        String(80), comment="electronic payer id used on claims"
    )
    address_line1: Mapped[str | None] = mapped_column(String(55))
    address_line2: Mapped[str | None] = mapped_column(String(55))
    city: Mapped[str | None] = mapped_column(String(30))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    claim_filing_indicator: Mapped[str] = mapped_column(
        String(2), comment="X12 SBR09 code such as CI (commercial), MB (Medicare Part B), MC"
    )
    timely_filing_days: Mapped[int] = mapped_column(default=365)
    clearinghouse_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clearinghouse.id"), comment="where this payer's claims are sent"
    )
    payer_kind: Mapped[str] = mapped_column(
        String(20),
        default="commercial",
        server_default="commercial",
        comment="commercial, medicare, medicaid, workers_comp, auto, liability, "
        "public_health, grant, employer, attorney or other",
    )
    era_posting_mode: Mapped[str] = mapped_column(
        String(10),
        default="matched",
        server_default="matched",
        comment="auto, matched (post matched claims, review the rest) or review",
    )
