"""Two years of a province's inspections, as rows, from a seed: the pure half of the scale
generator (`python -m bench scale`, bench/scale.py writes the rows).

No I/O here: every id comes from the seeded random generator and every time from the simulated
calendar, so one seed and one end date give the same rows on any machine and either engine. What
the server would compute is computed by the server's own pure code: scores, bands and findings by
`checklists.scoring.score`, plan commitments by `server.plans.draw.commitment`, the checklist's
hash by `checklists.canonical`.

The one place that turns a visit's answers into what the server stores for a scored inspection
(the inspection row with its score JSON, the answers, the findings) is
:func:`scored_inspection_rows`; a table derived from the score (e.g. per-section scores) belongs
there too.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from checklists import findings as finding_wording
from checklists import scoring
from checklists.format import (
    AnswerType,
    ChecklistTemplate,
    CountItem,
    Direction,
    EvidenceRule,
    PercentItem,
    Severity,
)
from server.actions.rules import ActionStatus
from server.core.geo import distance_m
from server.inspections.services import ANSWERS_RECORDED
from server.plans import draw

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "bench-scale-2026"  # every generated user's; the reports bench logs in with it
GENERATOR = "scale generator"  # the audit actor of what an administrator would have set up
SYSTEM = "system"  # the audit actor of what the server does by itself (audit_service.SYSTEM)
COMMUNES_PER_DISTRICT = 13
INSPECTIONS_PER_INSPECTOR = 8  # communes per inspector: sets the size of the inspection corps

SYLLABLES = (
    "An Bình Hòa Phú Tân Thành Trung Đông Tây Nam Bắc Hưng Long Phước Thạnh Mỹ Quang Xuân Hải "
    "Sơn Lộc Nghĩa Thịnh Vĩnh Yên Cát Đại Hồng Lâm Minh Phong Khánh Gia Hiệp Lạc Thuận Định Tiến"
).split()
SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Hồ Ngô Dương".split()
GIVEN = "Lan Hùng Hoa Bình Tuấn Hà Dũng Mai Thảo Quân Hương Sơn Linh Nam Trang Phương".split()
NOTES_FAILED = (
    "Quan sát trực tiếp tại Bộ phận Một cửa",
    "CBCC không có mặt tại vị trí, không báo cáo lý do",
    "Chưa niêm yết đầy đủ theo quy định",
    "Hồ sơ trễ hạn chưa có văn bản xin lỗi",
    "Thiết bị hỏng, chưa sửa chữa",
)
REPORTS = (
    "Đã chấn chỉnh, tổ chức họp rút kinh nghiệm; gửi kèm ảnh chụp sau khắc phục.",
    "Đã bổ sung niêm yết, cập nhật danh mục thủ tục; ảnh kèm theo.",
    "Đã sửa chữa thiết bị và phân công lại lịch trực.",
)
RETURN_COMMENTS = (
    "Chưa đủ minh chứng, đề nghị bổ sung ảnh chụp tại quầy.",
    "Khắc phục chưa triệt để, kiểm tra lại danh sách trực.",
)


# --- Ids and times -------------------------------------------------------------------------------


def new_id(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def local(day: date, hour: float) -> datetime:
    """`hour` o'clock (fractional) on `day` in the province's time zone, as aware UTC."""
    return (datetime.combine(day, time.min, ZONE) + timedelta(hours=hour)).astimezone(UTC)


def ascii_name(text: str) -> str:
    """'Xã Phú Đông' -> 'Xa Phu Dong' (English names and user names need no diacritics)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


# --- The rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRecord:
    """An audit event as the server would record it, at the moment it happened."""

    occurred_at: datetime
    actor_id: UUID | None
    actor_label: str
    action: str
    object_type: str
    object_id: UUID | str
    summary: dict[str, Any]


@dataclass
class Rows:
    """Rows to write, by table name (column name -> value, every column given), and the audit
    events of what they record."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[AuditRecord] = field(default_factory=list)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)

    def event(
        self,
        when: datetime,
        actor: User | None,
        action: str,
        object_type: str,
        object_id: UUID | str,
        summary: dict[str, Any] | None = None,
        *,
        system: bool = False,
        **fields: Any,
    ) -> None:
        """An event by `actor`; by the generator (standing for an administrator's set-up) when
        there is none, or by the server itself with `system`."""
        self.events.append(
            AuditRecord(
                occurred_at=when,
                actor_id=actor.id if actor else None,
                actor_label=actor.label if actor else SYSTEM if system else GENERATOR,
                action=action,
                object_type=object_type,
                object_id=object_id,
                summary={**(summary or {}), **fields},
            )
        )

    def extend(self, other: Rows) -> None:
        for table, rows in other.tables.items():
            self.tables.setdefault(table, []).extend(rows)
        self.events.extend(other.events)

    def count(self, table: str) -> int:
        return len(self.tables.get(table, []))


# --- The province: units and users ---------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: UUID
    code: str
    kind: str
    name_vi: str
    path: str
    parent_id: UUID | None
    latitude: float
    longitude: float
    # How often this unit fails an item (communes only): from 4 % to 25 %, 10.5 % on average.
    fail_rate: float = 0.0


@dataclass(frozen=True)
class User:
    id: UUID
    username: str
    full_name: str
    role: str
    home_unit_id: UUID

    @property
    def label(self) -> str:  # as Principal.label makes it
        return f"{self.username} ({self.role})"


@dataclass
class Province:
    units: list[Unit]
    users: list[User]
    province: Unit
    inspection_office: Unit  # where inspectors are homed (never a target)
    districts: list[Unit]
    communes_of: dict[UUID, list[Unit]]
    leader_of: dict[UUID, User]  # district id (and the province's) -> leader
    head_of: dict[UUID, User]  # commune id -> unit head
    inspectors: list[User]
    admin: User

    @property
    def communes(self) -> list[Unit]:
        return [commune for district in self.districts for commune in self.communes_of[district.id]]


def build_province(rng: random.Random, units: int) -> Province:
    """A province of `units` units: the province, an inspection office (from 5 units up),
    districts of about COMMUNES_PER_DISTRICT communes, and the users who work there."""
    if units < 3:
        raise ValueError("a province needs at least 3 units (province, district, commune)")
    has_office = units >= 5
    district_count = max(1, round((units - 1 - has_office) / (COMMUNES_PER_DISTRICT + 1)))
    commune_count = units - 1 - has_office - district_count
    names = _names(rng)
    root_id = new_id(rng)
    province = Unit(
        root_id, "TINH", "province", "Tỉnh Bình Sơn", f"/{root_id}/", None, 20.25, 106.0
    )
    all_units = [province]
    office = province
    if has_office:
        office_id = new_id(rng)
        office = Unit(
            office_id,
            "TINH-SNV",
            "department",
            "Sở Nội vụ",
            f"{province.path}{office_id}/",
            root_id,
            20.26,
            106.01,
        )
        all_units.append(office)
    districts: list[Unit] = []
    communes_of: dict[UUID, list[Unit]] = {}
    for index in range(district_count):
        unit_id = new_id(rng)
        district = Unit(
            unit_id,
            f"H{index + 1:02d}",
            "district",
            f"Huyện {next(names)} (cũ)",
            f"{province.path}{unit_id}/",
            root_id,
            20.0 + rng.random() * 0.6,
            105.7 + rng.random() * 0.6,
        )
        districts.append(district)
        communes_of[unit_id] = []
    all_units += districts
    for index in range(commune_count):
        district = districts[index % district_count]
        unit_id = new_id(rng)
        town = index % 9 == 0
        commune = Unit(
            unit_id,
            f"{district.code}-X{len(communes_of[district.id]) + 1:02d}",
            "town" if town else "commune",
            f"{'Thị trấn' if town else 'Xã'} {next(names)}",
            f"{district.path}{unit_id}/",
            district.id,
            district.latitude + rng.uniform(-0.08, 0.08),
            district.longitude + rng.uniform(-0.08, 0.08),
            # Most units fail few items, a tail fails many: the ranking has a spread.
            fail_rate=0.04 + 0.21 * rng.betavariate(2.0, 4.5),
        )
        communes_of[district.id].append(commune)
        all_units.append(commune)

    people = _people(rng)
    admin = User(new_id(rng), "admin", "Quản trị hệ thống", "admin", root_id)
    leader = User(new_id(rng), "lanhdao.tinh", next(people), "leader", root_id)
    leader_of = {root_id: leader}
    users = [admin, leader]
    for district in districts:
        user = User(
            new_id(rng), f"lanhdao.{district.code.lower()}", next(people), "leader", district.id
        )
        leader_of[district.id] = user
        users.append(user)
    head_of = {}
    for commune in (c for d in districts for c in communes_of[d.id]):
        user = User(
            new_id(rng), f"truong.{commune.code.lower()}", next(people), "unit_head", commune.id
        )
        head_of[commune.id] = user
        users.append(user)
    inspectors = [
        User(new_id(rng), f"kiemtra{index + 1:02d}", next(people), "inspector", office.id)
        for index in range(max(2, math.ceil(commune_count / INSPECTIONS_PER_INSPECTOR)))
    ]
    users += inspectors
    return Province(
        units=all_units,
        users=users,
        province=province,
        inspection_office=office,
        districts=districts,
        communes_of=communes_of,
        leader_of=leader_of,
        head_of=head_of,
        inspectors=inspectors,
        admin=admin,
    )


def _names(rng: random.Random) -> Iterator[str]:
    pairs = [f"{a} {b}" for a in SYLLABLES for b in SYLLABLES if a != b]
    rng.shuffle(pairs)
    yield from pairs
    for index in range(10**6):  # more units than pairs: numbered
        yield f"{pairs[index % len(pairs)]} {index // len(pairs) + 2}"


def _people(rng: random.Random) -> Iterator[str]:
    while True:
        yield f"{rng.choice(SURNAMES)} {rng.choice(('Văn', 'Thị', 'Minh', 'Đức'))} {rng.choice(GIVEN)}"


def setup_rows(
    province: Province,
    *,
    password_hash: str,
    checklist: dict[str, Any],
    at: datetime,
) -> Rows:
    """Units, users and the checklist version, as set up at the start of the history."""
    rows = Rows()
    for unit in province.units:
        rows.add(
            "unit",
            {
                "id": unit.id,
                "code": unit.code,
                "name_vi": unit.name_vi,
                "name_en": ascii_name(unit.name_vi),
                "kind": unit.kind,
                "parent_id": unit.parent_id,
                "path": unit.path,
                "depth": unit.path.count("/") - 2,
                "latitude": round(unit.latitude, 6),
                "longitude": round(unit.longitude, 6),
                "geofence_radius_m": 300,
                "time_zone": str(ZONE),
                "language": "vi",
                "active": True,
                "notification_targets": [],
                "created_at": at,
                "updated_at": at,
            },
        )
        parent = next((u.code for u in province.units if u.id == unit.parent_id), None)
        rows.event(at, None, "unit.created", "unit", unit.id, code=unit.code, parent_code=parent)
    for user in province.users:
        rows.add(
            "app_user",
            {
                "id": user.id,
                "username": user.username,
                "full_name": user.full_name,
                "email": None,
                "role": user.role,
                "home_unit_id": user.home_unit_id,
                "password_hash": password_hash,
                "language": "vi",
                "active": True,
                "notification_targets": [],
                "created_at": at,
                "updated_at": at,
            },
        )
        rows.event(
            at,
            None,
            "user.created",
            "user",
            user.id,
            username=user.username,
            role=user.role,
            home_unit_id=str(user.home_unit_id),
        )
    rows.add("checklist_version", {**checklist, "published_at": at, "published_by": GENERATOR})
    rows.event(
        at,
        None,
        "checklist.published",
        "checklist_version",
        checklist["id"],
        key=checklist["template_key"],
        version=checklist["version"],
        sha256=checklist["content_sha256"],
    )
    return rows


# --- Plans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One planned visit: which commune, which day, which team."""

    inspection_id: UUID
    plan_id: UUID
    unit: Unit
    day: date
    team: list[User]  # head first
    window_start: datetime
    window_end: datetime
    planned_at: datetime


def plan_rows(
    rng: random.Random,
    province: Province,
    district: Unit,
    communes: list[Unit],
    *,
    first_day: date,
    days: int,
    version_id: UUID,
    until: datetime,
) -> tuple[Rows, list[Visit]]:
    """A listed plan of one district's leader visiting `communes` between `first_day` and
    `days` later (one visit each, on a working day), sealed with its commitment like
    `plans.services.create_plan` does."""
    rows = Rows()
    leader = province.leader_of[district.id]
    plan_id = new_id(rng)
    nonce = f"{rng.getrandbits(256):064x}"
    planned_at = local(first_day - timedelta(days=3), 15 + rng.random() * 2)
    window_start = local(first_day, 0)
    window_end = local(first_day + timedelta(days=days - 1), 23.99)
    head = rng.choice(province.inspectors)
    others = [each for each in province.inspectors if each is not head]
    team = [head, rng.choice(others)] if others else [head]
    visits = []
    for commune in communes:
        day = first_day + timedelta(days=rng.randrange(days))
        while day.weekday() >= 5:  # visits are on working days
            day -= timedelta(days=1)
        day = max(day, first_day)
        visits.append(
            Visit(new_id(rng), plan_id, commune, day, team, window_start, window_end, planned_at)
        )
    document = {
        "document_version": 1,
        "plan_id": str(plan_id),
        "title": f"Kiểm tra đột xuất Bộ phận Một cửa – {district.name_vi} – {first_day:%d/%m/%Y}",
        "checklist_version_id": str(version_id),
        "scope_unit_id": str(district.id),
        "window": {"start": _iso(window_start), "end": _iso(window_end)},
        "assignment_visibility": "on_visit_day",
        "teams": [{"head_id": str(team[0].id), "member_ids": [str(u.id) for u in team[1:]]}],
        "selection": "listed",
        "targets": [
            {"unit_id": str(v.unit.id), "visit_date": v.day.isoformat(), "team": 0} for v in visits
        ],
        "draw": None,
        "created_by": str(leader.id),
        "created_at": _iso(planned_at),
    }
    commitment = draw.commitment(document, nonce)
    # The leader reveals the nonce a few days after the window (and its grace period) has ended.
    revealed_at = window_end + timedelta(days=3, hours=rng.uniform(0, 8))
    rows.add(
        "inspection_plan",
        {
            "id": plan_id,
            "title": document["title"],
            "created_by": leader.id,
            "scope_unit_id": district.id,
            "scope_unit_path": district.path,
            "checklist_version_id": version_id,
            "window_start": window_start,
            "window_end": window_end,
            "selection": "listed",
            "draw_k": None,
            "assignment_visibility": "on_visit_day",
            "document": document,
            "commitment": commitment,
            "nonce": nonce,
            "revealed_at": revealed_at if revealed_at <= until else None,
            "created_at": planned_at,
        },
    )
    rows.event(
        planned_at,
        leader,
        "plan.created",
        "plan",
        plan_id,
        commitment=commitment,
        selection="listed",
    )
    if revealed_at <= until:
        rows.event(revealed_at, leader, "plan.revealed", "plan", plan_id, nonce=nonce)
    return rows, visits


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- A visit: answers, score, findings, signatures -----------------------------------------------


@dataclass(frozen=True)
class Answered:
    """One answer as the phone sent it."""

    item_key: str
    value: Any
    numerator: int | None
    denominator: int | None
    note: str | None
    evidence: list[str]
    device_time: datetime
    received_at: datetime


def answer_visit(
    rng: random.Random,
    template: ChecklistTemplate,
    *,
    fail_rate: float,
    started_at: datetime,
    photos: list[str],
    visit_day: date,
) -> list[Answered]:
    """The answers an inspector gives at a unit that fails a share `fail_rate` of the items
    (critical ones much more rarely), with the photos and notes the template's evidence rules
    ask for; one every minute or two from `started_at`."""
    answers = []
    moment = started_at
    for _section, item in template.items():
        if item.answer_type in (AnswerType.SIGNATURE, AnswerType.PHOTO):
            continue
        moment += timedelta(seconds=rng.randint(40, 150), microseconds=rng.randrange(10**6))
        rate = fail_rate * (0.15 if getattr(item, "severity", None) == Severity.CRITICAL else 1.0)
        fails = rng.random() < rate
        value: Any = None
        numerator = denominator = None
        if item.answer_type == AnswerType.YES_NO_NA and not fails and rng.random() < 0.12:
            value = "na"
        elif item.answer_type in (AnswerType.YES_NO, AnswerType.YES_NO_NA):
            value = "no" if fails else "yes"
        elif isinstance(item, CountItem):
            value = rng.randint(1, item.scoring.zero_at + 1) if fails else item.scoring.full_at
        elif isinstance(item, PercentItem):
            denominator = rng.randint(8, 40)
            numerator = _percent_numerator(rng, item, denominator, fails)
        elif item.answer_type == AnswerType.DATE:
            value = (visit_day - timedelta(days=rng.randint(1, 90))).isoformat()
        else:
            value = rng.randint(0, 5)
        photo_needed = item.evidence.photo == EvidenceRule.ALWAYS or (
            fails and item.evidence.photo == EvidenceRule.ON_FAIL
        )
        count = max(1, item.evidence.min_photos) if photo_needed else 0
        answers.append(
            Answered(
                item_key=item.key,
                value=value,
                numerator=numerator,
                denominator=denominator,
                note=rng.choice(NOTES_FAILED) if fails else None,
                evidence=rng.sample(photos, count) if count <= len(photos) else photos[:count],
                device_time=moment,
                received_at=moment + timedelta(seconds=rng.uniform(0.2, 4)),
            )
        )
    return answers


def _percent_numerator(rng: random.Random, item: PercentItem, denominator: int, fails: bool) -> int:
    target = item.scoring.target / 100
    if item.scoring.direction == Direction.LOWER_IS_BETTER:
        fully_met = math.floor(target * denominator)
        return rng.randint(fully_met + 1, denominator) if fails else 0
    fully_met = math.ceil(target * denominator)
    return rng.randint(0, max(0, fully_met - 1)) if fails else denominator


def scoring_answer(answer: Answered) -> scoring.Answer:
    """What the server scores a stored answer as (inspections.services._answers_for_scoring)."""
    return scoring.Answer(
        value=answer.value,
        numerator=answer.numerator,
        denominator=answer.denominator,
        photo_count=len(answer.evidence),
        note=answer.note,
    )


@dataclass
class ScoredInspection:
    rows: Rows
    result: scoring.ScoreResult
    findings: list[dict[str, Any]]
    signed_at: datetime


def scored_inspection_rows(
    rng: random.Random,
    template: ChecklistTemplate,
    visit: Visit,
    answers: list[Answered],
    *,
    version_id: UUID,
    started_at: datetime,
    start_latitude: float,
    start_longitude: float,
    signature_images: list[str],
    unit_representative: str,
) -> ScoredInspection:
    """Everything the server stores for one visit carried out to signed minutes: the inspection
    row (its `score`, `total_score` and `rating_band` from the real scoring function, as
    `inspections.services.submit` stores them), its team, answers, findings and signatures, and
    the audit events of each step. Answers to items the checklist hides are left out, as the phone
    never shows them. Raises when the answers would not have been accepted on submit."""
    rows = Rows()
    head = visit.team[0]
    result = scoring.score(
        template, {a.item_key: scoring_answer(a) for a in answers}, inspected_on=visit.day
    )
    if result.missing_required or result.evidence_violations:
        raise ValueError(
            f"generated answers would be refused on submit: {result.missing_required} "
            f"{result.evidence_violations}"
        )
    hidden = {item.key for item in result.items if item.outcome == scoring.Outcome.HIDDEN}
    answers = [answer for answer in answers if answer.item_key not in hidden]
    submitted_at = answers[-1].received_at + timedelta(minutes=rng.uniform(5, 20))
    head_signed = submitted_at + timedelta(minutes=rng.uniform(3, 10))
    signed_at = head_signed + timedelta(minutes=rng.uniform(1, 6))

    rows.event(
        started_at,
        head,
        "inspection.started",
        "inspection",
        visit.inspection_id,
        distance_m=_distance(visit.unit, start_latitude, start_longitude),
        clock_skew_seconds=0.0,
        flags=[],
    )
    for answer in answers:
        op_id = new_id(rng)
        rows.add(
            "inspection_answer",
            {
                "id": new_id(rng),
                "inspection_id": visit.inspection_id,
                "item_key": answer.item_key,
                "value": {
                    "value": answer.value,
                    "numerator": answer.numerator,
                    "denominator": answer.denominator,
                },
                "note": answer.note,
                "evidence": answer.evidence,
                "device_time": answer.device_time,
                "ordering_time": answer.device_time,
                "received_at": answer.received_at,
                "author_id": head.id,
                "op_id": op_id,
                "source": None,
                "ledger": None,
            },
        )
        # One answer per sync batch here: the event lists that one answer.
        rows.event(
            answer.received_at,
            head,
            ANSWERS_RECORDED,
            "inspection",
            visit.inspection_id,
            answers=[{"item_key": answer.item_key, "op_id": str(op_id)}],
        )
    by_key = {answer.item_key: answer for answer in answers}
    findings = []
    # Worded as inspections.services.submit words them (the item's finding text, the note).
    scoring_answers = {answer.item_key: scoring_answer(answer) for answer in answers}
    described = {
        finding.item_key: finding_wording.description(
            template.item(finding.item_key), scoring_answers.get(finding.item_key)
        )
        for finding in result.findings
    }
    for finding in result.findings:
        row = {
            "id": new_id(rng),
            "inspection_id": visit.inspection_id,
            "unit_id": visit.unit.id,
            "source": "checklist",
            "item_key": finding.item_key,
            "section_key": finding.section_key,
            "category": finding.category.value,
            "severity": finding.severity.value,
            "description": described[finding.item_key].vi,
            "description_en": described[finding.item_key].en,
            "default_action": finding.default_action.model_dump()
            if finding.default_action
            else None,
            "due_days": finding.due_days,
            "legal_basis": finding.legal_basis,
            "evidence": by_key[finding.item_key].evidence if finding.item_key in by_key else [],
            "staff_name": None,
            "created_by": head.id,
            "created_at": submitted_at,
        }
        rows.add("finding", row)
        findings.append(row)
    rows.event(
        submitted_at,
        head,
        "inspection.submitted",
        "inspection",
        visit.inspection_id,
        total=result.total,
        band=result.band,
        findings=len(result.findings),
    )
    for role, name, when, image in (
        ("team_head", head.full_name, head_signed, signature_images[0]),
        ("unit_representative", unit_representative, signed_at, signature_images[-1]),
    ):
        rows.add(
            "inspection_signature",
            {
                "id": new_id(rng),
                "inspection_id": visit.inspection_id,
                "signer_role": role,
                "signer_name": name,
                "image_sha256": image,
                "refused": False,
                "refusal_reason": None,
                "witness_name": None,
                "signed_at": when,
                "device_time": when,
                "recorded_by": head.id,
            },
        )
        rows.event(
            when,
            head,
            "inspection.signed" if role == "unit_representative" else "inspection.signature_added",
            "inspection",
            visit.inspection_id,
            signer_role=role,
            refused=False,
        )
    for member in visit.team:
        rows.add(
            "inspection_member",
            {
                "id": new_id(rng),
                "inspection_id": visit.inspection_id,
                "user_id": member.id,
                "is_head": member is head,
            },
        )
    rows.add(
        "inspection",
        {
            "id": visit.inspection_id,
            "plan_id": visit.plan_id,
            "unit_id": visit.unit.id,
            "unit_path": visit.unit.path,
            "checklist_version_id": version_id,
            "status": "signed",  # closed by close_inspection once its actions are verified
            "visit_date": visit.day,
            "window_start": visit.window_start,
            "window_end": visit.window_end,
            "team_head_id": head.id,
            "visible_to_team_from": local(visit.day, 0),
            "follow_up_of": None,
            "started_at": started_at,
            "start_device_time": started_at,
            "start_latitude": start_latitude,
            "start_longitude": start_longitude,
            "start_accuracy_m": 12.0,
            "start_distance_m": _distance(visit.unit, start_latitude, start_longitude),
            "clock_skew_seconds": 0.0,
            "flags": [],
            "submitted_at": submitted_at,
            "score": result.model_dump(mode="json"),
            "total_score": result.total,
            "rating_band": result.band,
            "signed_at": signed_at,
            "closed_at": None,
            "cancelled_at": None,
            "created_at": visit.planned_at,
            "updated_at": signed_at,
        },
    )
    # Its sections as rows, as inspections.services._record_score stores them with the score.
    for position, section in enumerate(result.sections):
        rows.add(
            "inspection_section_score",
            {
                "id": new_id(rng),
                "inspection_id": visit.inspection_id,
                "section_key": section.key,
                "position": position,
                "score": section.score,
                "earned": section.earned,
                "possible": section.possible,
            },
        )
    return ScoredInspection(rows=rows, result=result, findings=findings, signed_at=signed_at)


def _distance(unit: Unit, latitude: float, longitude: float) -> float:
    return round(distance_m(latitude, longitude, unit.latitude, unit.longitude), 1)


# --- Corrective actions --------------------------------------------------------------------------


def action_rows(
    rng: random.Random,
    scored: ScoredInspection,
    visit: Visit,
    *,
    head_of_unit: User,
    default_due_days: dict[str, int],
    photos: list[str],
    until: datetime,
) -> tuple[Rows, datetime | None]:
    """A corrective action for each finding (as `actions.services.on_inspection_submitted`
    makes them), each carried along the product's states as far as it got by `until`: most are
    acknowledged, fixed, submitted and verified, some returned once, a few left stalled (and so
    overdue). Returns the rows and when the last action was verified if all were (the moment the
    inspection closes), else None."""
    rows = Rows()
    inspector = visit.team[0]
    created = scored.signed_at - timedelta(minutes=1)
    # With nothing to fix, the inspection closes as it is signed (on_inspection_signed).
    all_verified_at: datetime | None = scored.signed_at if not scored.findings else None
    verified_times = []
    for finding in scored.findings:
        action_id = new_id(rng)
        days = finding["due_days"] or default_due_days[finding["severity"]]
        due_at = created + timedelta(days=days)
        default_action = finding["default_action"] or {}
        title_vi = default_action.get("vi") or f"Khắc phục: {finding['description']}"
        title_en = default_action.get("en") or f"Fix: {finding['description_en']}"
        moves = _lifecycle(rng, created, due_at, until)
        status = ActionStatus.open
        history = [
            _history_row(rng, action_id, "created", None, ActionStatus.open, inspector, created)
        ]
        report: str | None = None
        evidence: list[str] = []
        verified_at = None
        for target, when in moves:
            mover = inspector if target in (ActionStatus.verified, ActionStatus.returned) else None
            actor = mover or head_of_unit
            comment = None
            moved_evidence: list[str] = []
            if target == ActionStatus.submitted:
                report = rng.choice(REPORTS)
                evidence = moved_evidence = rng.sample(photos, min(2, len(photos)))
                comment = report
            elif target == ActionStatus.returned:
                comment = rng.choice(RETURN_COMMENTS)
            history.append(
                _history_row(
                    rng,
                    action_id,
                    "transition",
                    status,
                    target,
                    actor,
                    when,
                    comment=comment,
                    evidence=moved_evidence,
                )
            )
            rows.event(
                when,
                actor,
                "action.transition",
                "corrective_action",
                action_id,
                {"from": status.value, "to": target.value},
            )
            status = target
            if target == ActionStatus.verified:
                verified_at = when
        rows.add(
            "corrective_action",
            {
                "id": action_id,
                "finding_id": finding["id"],
                "inspection_id": visit.inspection_id,
                "inspected_unit_id": visit.unit.id,
                "inspected_unit_path": visit.unit.path,
                "responsible_unit_id": visit.unit.id,
                "responsible_unit_path": visit.unit.path,
                "severity": finding["severity"],
                "category": finding["category"],
                "title_vi": title_vi,
                "title_en": title_en,
                "status": status.value,
                "due_at": due_at,
                "report": report,
                "evidence": evidence,
                "version": 1 + len(moves),
                "follow_up_inspection_id": None,
                "created_at": created,
                "updated_at": moves[-1][1] if moves else created,
                "verified_at": verified_at,
            },
        )
        for row in history:
            rows.add("corrective_action_event", row)
        verified_times.append(verified_at)
    if verified_times and all(verified_times):
        all_verified_at = max(t for t in verified_times if t is not None)
    return rows, all_verified_at


def _lifecycle(
    rng: random.Random, created: datetime, due_at: datetime, until: datetime
) -> list[tuple[ActionStatus, datetime]]:
    """The moves an action made, as far as `until`."""
    window = (due_at - created).total_seconds()
    stalls_after = rng.choices([0, 1, 2, 99], weights=[2, 2, 3, 93])[0]
    moves = []
    when = created + timedelta(hours=rng.uniform(2, 60))
    moves.append((ActionStatus.acknowledged, when))
    when += timedelta(hours=rng.uniform(1, 72))
    moves.append((ActionStatus.in_progress, when))
    # Most fixes are reported within the time given; some late.
    when = created + timedelta(seconds=window * rng.uniform(0.35, 1.25))
    when = max(when, moves[-1][1] + timedelta(hours=1))
    moves.append((ActionStatus.submitted, when))
    if rng.random() < 0.12:
        when += timedelta(hours=rng.uniform(12, 96))
        moves.append((ActionStatus.returned, when))
        when += timedelta(hours=rng.uniform(4, 48))
        moves.append((ActionStatus.in_progress, when))
        when += timedelta(hours=rng.uniform(24, 240))
        moves.append((ActionStatus.submitted, when))
    when += timedelta(hours=rng.uniform(6, 120))
    moves.append((ActionStatus.verified, when))
    moves = moves[:stalls_after] if stalls_after < 99 else moves
    return [(status, at) for status, at in moves if at <= until]


def _history_row(
    rng: random.Random,
    action_id: UUID,
    kind: str,
    from_status: ActionStatus | None,
    to_status: ActionStatus | None,
    actor: User,
    at: datetime,
    *,
    comment: str | None = None,
    evidence: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(rng),
        "action_id": action_id,
        "kind": kind,
        "from_status": from_status.value if from_status else None,
        "to_status": to_status.value if to_status else None,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "comment": comment,
        "evidence": evidence or [],
        "at": at,
    }


def close_inspection(rows: Rows, inspection_id: UUID, closed_at: datetime) -> None:
    """All actions verified (or none to make): the inspection is closed, as `mark_closed` does."""
    (inspection,) = (row for row in rows.tables["inspection"] if row["id"] == inspection_id)
    inspection.update(status="closed", closed_at=closed_at, updated_at=closed_at)
    rows.event(
        closed_at,
        None,
        "inspection.closed",
        "inspection",
        inspection_id,
        system=True,
        reason="all corrective actions verified",
    )


# --- Rounds of plans -----------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What every round needs: the province, the checklist, the evidence pool, the end."""

    province: Province
    template: ChecklistTemplate
    version_id: UUID
    photos: list[str]
    signatures: list[str]
    until: datetime
    seed: int


@dataclass(frozen=True)
class Round:
    """One round of plans: each district's leader plans a visit to `targets[district]` of its
    communes between `first_day` and `days` later. `progress` (0 to 1) is how far into the
    history it is: units improve a little over the years."""

    number: int
    first_day: date
    days: int
    progress: float
    targets: dict[UUID, int]


def rounds(province: Province, *, inspections: int, first_day: date, days: int) -> list[Round]:
    """Rounds that visit every commune once each until `inspections` visits are planned, spread
    evenly over `days`."""
    communes = len(province.communes)
    count = math.ceil(inspections / communes)
    length = days / count
    left = inspections
    planned = []
    for number in range(count):
        start = first_day + timedelta(days=math.floor(number * length))
        end = first_day + timedelta(days=math.floor((number + 1) * length))
        targets = {}
        for district in province.districts:
            take = min(left, len(province.communes_of[district.id]))
            if take:
                targets[district.id] = take
                left -= take
        planned.append(
            Round(
                number=number,
                first_day=start,
                days=max(1, (end - start).days),
                progress=number / max(1, count - 1),
                targets=targets,
            )
        )
    return planned


def starts_after(planned: Round) -> datetime:
    """No event of this round or a later one happens before this moment (its plans are made
    three days before the window opens, from 15:00 on)."""
    return local(planned.first_day - timedelta(days=3), 15.0)


def round_rows(context: History, planned: Round) -> Rows:
    """Every row and event of one round, from a random generator of its own (so rounds can be
    built in any order, or side by side, and still give the same rows)."""
    rng = random.Random(f"{context.seed}/round/{planned.number}")
    rows = Rows()
    for district in context.province.districts:
        take = planned.targets.get(district.id, 0)
        if not take:
            continue
        plan, visits = plan_rows(
            rng,
            context.province,
            district,
            context.province.communes_of[district.id][:take],
            first_day=planned.first_day,
            days=planned.days,
            version_id=context.version_id,
            until=context.until,
        )
        rows.extend(plan)
        for visit in visits:
            rows.extend(carry_out(rng, context, visit, planned.progress))
    return rows


def carry_out(rng: random.Random, context: History, visit: Visit, progress: float) -> Rows:
    """One visit: started on site in the morning, answered, scored, signed, and its corrective
    actions as far as they got by the end of the history."""
    started_at = local(visit.day, 7.75 + rng.random() * 3)
    answers = answer_visit(
        rng,
        context.template,
        fail_rate=visit.unit.fail_rate * (1.2 - 0.4 * progress),
        started_at=started_at,
        photos=context.photos,
        visit_day=visit.day,
    )
    head_of_unit = context.province.head_of[visit.unit.id]
    scored = scored_inspection_rows(
        rng,
        context.template,
        visit,
        answers,
        version_id=context.version_id,
        started_at=started_at,
        start_latitude=round(visit.unit.latitude + rng.uniform(-0.0004, 0.0004), 6),
        start_longitude=round(visit.unit.longitude + rng.uniform(-0.0004, 0.0004), 6),
        signature_images=[context.signatures[0], rng.choice(context.signatures)],
        unit_representative=head_of_unit.full_name,
    )
    actions, closed_at = action_rows(
        rng,
        scored,
        visit,
        head_of_unit=head_of_unit,
        default_due_days=context.template.action_due_days.model_dump(),
        photos=context.photos,
        until=context.until,
    )
    rows = scored.rows
    rows.extend(actions)
    if closed_at is not None:
        close_inspection(rows, visit.inspection_id, closed_at)
    return rows
