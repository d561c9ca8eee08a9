"""Builders shared by tests: published checklists, plans, photos, sync ops and full answer sets."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image

from checklists import services as checklist_service
from checklists.format import ChecklistTemplate
from checklists.services import SHIPPED_TEMPLATES_DIR


async def publish_shipped_checklist() -> tuple[uuid.UUID, ChecklistTemplate]:
    await checklist_service.publish_file(SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml")
    templates = await checklist_service.list_templates()
    version = templates[0].versions[-1]
    return version.id, await checklist_service.load_version_template(version.id)


def photo_bytes(
    color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def op(op_type: str, **payload: Any) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "type": op_type, "payload": payload}


def now_iso(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).isoformat()


def passing_answer(item: Any) -> dict[str, Any]:
    """An answer that fully meets the item."""
    kind = item.answer_type
    if kind in ("yes_no", "yes_no_na"):
        return {"value": "yes"}
    if kind == "count":
        return {"value": 0}
    if kind == "percent":
        lower_is_better = item.scoring.direction == "lower_is_better"
        return {"numerator": 0 if lower_is_better else 10, "denominator": 10}
    if kind == "choice":
        best = max(item.options, key=lambda option: option.points)
        return {"value": best.key}
    if kind == "date":
        return {"value": date.today().isoformat()}
    if kind == "number":
        return {"value": 1}
    return {"value": "ghi chú"}


def failing_answer(item: Any) -> dict[str, Any]:
    kind = item.answer_type
    if kind in ("yes_no", "yes_no_na"):
        return {"value": "no"}
    if kind == "count":
        return {"value": 99}
    if kind == "percent":
        lower_is_better = item.scoring.direction == "lower_is_better"
        return {"numerator": 10 if lower_is_better else 0, "denominator": 10}
    raise ValueError(f"cannot fail a {kind} item")


def plan_payload(
    *,
    checklist_version_id: uuid.UUID,
    scope_unit_id: uuid.UUID,
    head_id: uuid.UUID,
    targets: list[uuid.UUID] | None = None,
    draw_k: int | None = None,
    visibility: str = "at_creation",
    window_days: tuple[int, int] = (-1, 6),
) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=window_days[0])
    end = datetime.now(UTC) + timedelta(days=window_days[1])
    body: dict[str, Any] = {
        "title": "Kiểm tra đột xuất Bộ phận Một cửa",
        "checklist_version_id": str(checklist_version_id),
        "scope_unit_id": str(scope_unit_id),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "assignment_visibility": visibility,
        "teams": [{"head_id": str(head_id), "member_ids": []}],
    }
    if targets is not None:
        body["targets"] = [{"unit_id": str(unit_id)} for unit_id in targets]
    if draw_k is not None:
        body["draw"] = {"k": draw_k}
    return body
