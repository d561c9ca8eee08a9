"""The demo unit tree and demo users that `make run` loads. Safe to run again: it only adds what is
missing. District level is kept as a legacy kind, since it was abolished on 2025-07-01."""

from __future__ import annotations

from dataclasses import dataclass

from server.core.audit import services as audit_service
from server.core.scopes import Role
from server.units import services as unit_service
from server.units.schemas import UnitIn, UnitKind
from server.users import services as user_service

# (code, parent code, kind, name vi, name en, latitude, longitude); coordinates are approximate.
DEMO_UNITS: list[tuple[str, str | None, UnitKind, str, str, float, float]] = [
    ("NB", None, UnitKind.province, "Tỉnh Ninh Bình", "Ninh Binh Province", 20.2506, 105.9745),
    (
        "NB-SNV",
        "NB",
        UnitKind.department,
        "Sở Nội vụ",
        "Department of Home Affairs",
        20.2540,
        105.9750,
    ),
    (
        "TN",
        "NB",
        UnitKind.district,
        "Huyện Trực Ninh (cũ)",
        "Truc Ninh District (former)",
        20.2533,
        106.2186,
    ),
    ("TN-CT", "TN", UnitKind.town, "Thị trấn Cát Thành", "Cat Thanh Town", 20.2529, 106.2181),
    ("TN-PD", "TN", UnitKind.commune, "Xã Phương Định", "Phuong Dinh Commune", 20.2702, 106.2409),
    ("TN-VH", "TN", UnitKind.commune, "Xã Việt Hùng", "Viet Hung Commune", 20.2818, 106.2102),
    ("TN-TD", "TN", UnitKind.commune, "Xã Trung Đông", "Trung Dong Commune", 20.2391, 106.2552),
    ("TN-TM", "TN", UnitKind.commune, "Xã Trực Mỹ", "Truc My Commune", 20.2205, 106.2433),
    ("TN-TDA", "TN", UnitKind.commune, "Xã Trực Đạo", "Truc Dao Commune", 20.2617, 106.1975),
    ("TN-TT", "TN", UnitKind.commune, "Xã Trực Tuấn", "Truc Tuan Commune", 20.2480, 106.1902),
    (
        "NT",
        "NB",
        UnitKind.district,
        "Huyện Nam Trực (cũ)",
        "Nam Truc District (former)",
        20.3350,
        106.1750,
    ),
    ("NT-NG", "NT", UnitKind.town, "Thị trấn Nam Giang", "Nam Giang Town", 20.3352, 106.1748),
    ("NT-NTH", "NT", UnitKind.commune, "Xã Nam Thanh", "Nam Thanh Commune", 20.3298, 106.1911),
    ("NT-NH", "NT", UnitKind.commune, "Xã Nam Hồng", "Nam Hong Commune", 20.3105, 106.2203),
    ("NT-NA", "NT", UnitKind.commune, "Xã Nghĩa An", "Nghia An Commune", 20.3421, 106.1412),
    ("NT-ND", "NT", UnitKind.commune, "Xã Nam Điền", "Nam Dien Commune", 20.3012, 106.2004),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    unit_code: str
    password: str


DEMO_USERS = [
    DemoUser("admin", "Quản trị hệ thống", Role.admin, "NB", "admin-demo-2026"),
    DemoUser(
        "lanhdao.tinh", "Nguyễn Văn Lãnh (lãnh đạo tỉnh)", Role.leader, "NB", "leader-demo-2026"
    ),
    DemoUser(
        "lanhdao.trucninh",
        "Trần Thị Hà (lãnh đạo Trực Ninh)",
        Role.leader,
        "TN",
        "leader-demo-2026",
    ),
    DemoUser(
        "kiemtra1", "Lê Minh Tuấn (kiểm tra viên)", Role.inspector, "NB-SNV", "inspector-demo-2026"
    ),
    DemoUser(
        "kiemtra2",
        "Phạm Thu Trang (kiểm tra viên)",
        Role.inspector,
        "NB-SNV",
        "inspector-demo-2026",
    ),
    DemoUser(
        "truong.phuongdinh",
        "Vũ Đức Phương (Chủ tịch UBND xã Phương Định)",
        Role.unit_head,
        "TN-PD",
        "unithead-demo-2026",
    ),
    DemoUser(
        "truong.viethung",
        "Đỗ Thị Hồng (Chủ tịch UBND xã Việt Hùng)",
        Role.unit_head,
        "TN-VH",
        "unithead-demo-2026",
    ),
    DemoUser(
        "truong.catthanh",
        "Hoàng Văn Thành (Chủ tịch UBND thị trấn Cát Thành)",
        Role.unit_head,
        "TN-CT",
        "unithead-demo-2026",
    ),
]

DEMO_ACTOR = audit_service.Actor(id=None, label="demo loader")


async def load_demo() -> dict[str, int]:
    unit_ids = {}
    for code, parent, kind, name_vi, name_en, lat, lon in DEMO_UNITS:
        unit_ids[code] = await unit_service.ensure_unit(
            UnitIn(
                code=code,
                name_vi=name_vi,
                name_en=name_en,
                kind=kind,
                latitude=lat,
                longitude=lon,
                geofence_radius_m=300,
            ),
            parent_code=parent,
            actor=DEMO_ACTOR,
        )
    created = 0
    for user in DEMO_USERS:
        _, was_created = await user_service.ensure_user(
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            home_unit_id=unit_ids[user.unit_code],
            password=user.password,
            actor=DEMO_ACTOR,
        )
        created += was_created
    return {"units": len(unit_ids), "users_created": created}
