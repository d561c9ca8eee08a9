"""The canonical dossier record: what every ledger layout is read into and every rule reads.

**Dates and times.** A ledger gives some moments as a date only ("05/03/2024": form 06 is a
paper book with date columns) and some with a time ("05/03/2024 08:30": the one-stop system's
export). A :class:`Moment` keeps both honestly: ``day`` is always the local calendar date,
``at`` is the aware datetime in the province's zone (Asia/Ho_Chi_Minh by default) only when the
source gave a time. Nothing is invented: a date is not turned into midnight, which would make
"resolved before received" true of a dossier resolved the same day it came in.

Rules compare moments with :meth:`Moment.is_before`: by instant when both sides have a time, by
date otherwise. Deadlines are dates: the appointment slip (form 01) names a return date, and a
result on that date is on time whatever the hour.

**Unknown is not no.** A field the layout does not carry, or a blank cell, is ``None``, and a rule
that needs it does not fire: form 06 has no channel column, so no online rule runs on a form-06
ledger. The apology slips are ``None`` when the layout has no slip column and ``()`` when it has
one and the cell is blank (no slip): form 06 has no slip column, so "late without an apology
slip" cannot be said of a form-06 dossier. A blank or absent list of new return dates is ``()``:
the date in force is then the appointment, the best the ledger knows.

Storing a record (for the next engineer): ``day`` as a DATE column and ``at`` as a nullable
timestamptz in UTC (convert back with the unit's zone); the record's identity within a unit is
``dossier_code``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Final, Literal
from zoneinfo import ZoneInfo

PROVINCE_TIME_ZONE: Final = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class Moment:
    """A local calendar date, with the aware local time when the source gave one."""

    day: date
    at: datetime | None = None

    def __post_init__(self) -> None:
        if self.at is not None:
            if self.at.tzinfo is None:
                raise ValueError("a moment's time must be aware")
            if self.at.date() != self.day:
                raise ValueError("a moment's time must fall on its day (in its own zone)")

    @classmethod
    def of(cls, value: date | datetime, zone: tzinfo = PROVINCE_TIME_ZONE) -> Moment:
        """A moment from a date, or from a datetime (a naive one is read in ``zone``)."""
        if isinstance(value, datetime):
            local = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
            return cls(local.date(), local)
        return cls(value)

    def is_before(self, other: Moment) -> bool:
        """Strictly earlier: by instant when both have a time, by date otherwise."""
        if self.at is not None and other.at is not None:
            return self.at < other.at
        return self.day < other.day


class Channel(enum.StrEnum):
    """How the dossier was submitted (Decree 61/2018 Art. 9: in person, by post, online)."""

    in_person = "in_person"
    online = "online"
    post = "post"


class DossierStatus(enum.StrEnum):
    """The one-stop system's state of a dossier, in the words the rules need."""

    received = "received"  # received, not yet with the handling agency
    processing = "processing"  # with the handling agency
    awaiting_supplement = "awaiting_supplement"  # supplement requested (form 02)
    resolved = "resolved"  # result ready at the one-stop, not yet handed over
    returned = "returned"  # result handed to the applicant
    rejected = "rejected"  # refused (form 03)
    withdrawn = "withdrawn"  # withdrawn or cancelled by the applicant


CLOSED_STATUSES: Final = frozenset(
    {
        DossierStatus.resolved,
        DossierStatus.returned,
        DossierStatus.rejected,
        DossierStatus.withdrawn,
    }
)


@dataclass(frozen=True, slots=True)
class DossierRecord:
    """One dossier as the ledger gives it. Fees are whole VND (the dong has no minor unit)."""

    dossier_code: str
    received: Moment
    appointed_return: Moment
    procedure_code: str | None = None
    procedure_name: str | None = None
    channel: Channel | None = None
    handling_agency: str | None = None
    transferred: Moment | None = None
    resolved: Moment | None = None
    returned: Moment | None = None
    component_files: int | None = None
    result_file_present: bool | None = None
    fee: int | None = None
    paid_online: bool | None = None
    # None: unknown (the layout maps no slip column); (): the ledger shows no slip.
    apology_slips: tuple[Moment, ...] | None = None
    new_appointed_returns: tuple[Moment, ...] = ()
    supplement_requests: int | None = None
    status: DossierStatus | None = None

    @property
    def due(self) -> date:
        """The return date in force: the last rescheduled one (form 04), else the appointment."""
        if self.new_appointed_returns:
            return self.new_appointed_returns[-1].day
        return self.appointed_return.day

    @property
    def is_closed(self) -> bool:
        """Finished one way or another: resolved or returned (by date or status), refused or
        withdrawn."""
        return (
            self.resolved is not None
            or self.returned is not None
            or (self.status is not None and self.status in CLOSED_STATUSES)
        )


FieldKind = Literal["text", "moment", "moments", "count", "flag", "money", "channel", "status"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: FieldKind
    required: bool = False


# Every canonical field, the kind of value it holds and whether a layout must map it. The
# mapping validator and the readers both work from this table, so a new field is added here once.
FIELDS: Final[dict[str, FieldSpec]] = {
    "dossier_code": FieldSpec("text", required=True),
    "received": FieldSpec("moment", required=True),
    "appointed_return": FieldSpec("moment", required=True),
    "procedure_code": FieldSpec("text"),
    "procedure_name": FieldSpec("text"),
    "channel": FieldSpec("channel"),
    "handling_agency": FieldSpec("text"),
    "transferred": FieldSpec("moment"),
    "resolved": FieldSpec("moment"),
    "returned": FieldSpec("moment"),
    "component_files": FieldSpec("count"),
    "result_file_present": FieldSpec("flag"),
    "fee": FieldSpec("money"),
    "paid_online": FieldSpec("flag"),
    "apology_slips": FieldSpec("moments"),
    "new_appointed_returns": FieldSpec("moments"),
    "supplement_requests": FieldSpec("count"),
    "status": FieldSpec("status"),
}
