"""Message templates in Vietnamese and English (pure). The recipient unit's language decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "action.assigned": {
        "vi": (
            "[Spotcheck] Yêu cầu khắc phục mới: {title}",
            "Đơn vị {unit} được giao khắc phục: {title}.\nMức độ: {severity}. Hạn: {due}.\n"
            "Xem và xác nhận: {link}",
        ),
        "en": (
            "[Spotcheck] New corrective action: {title}",
            "{unit} is responsible for fixing: {title}.\nSeverity: {severity}. Due: {due}.\n"
            "Review and acknowledge: {link}",
        ),
    },
    "action.due_soon": {
        "vi": (
            "[Spotcheck] Sắp đến hạn khắc phục: {title}",
            'Yêu cầu khắc phục "{title}" của {unit} đến hạn vào {due}.\n{link}',
        ),
        "en": (
            "[Spotcheck] Corrective action due soon: {title}",
            'The corrective action "{title}" of {unit} is due on {due}.\n{link}',
        ),
    },
    "action.overdue": {
        "vi": (
            "[Spotcheck] QUÁ HẠN khắc phục: {title}",
            'Yêu cầu khắc phục "{title}" của {unit} đã quá hạn từ {due} ({days} ngày).\n{link}',
        ),
        "en": (
            "[Spotcheck] OVERDUE corrective action: {title}",
            'The corrective action "{title}" of {unit} has been overdue since {due} '
            "({days} days).\n{link}",
        ),
    },
    "action.returned": {
        "vi": (
            "[Spotcheck] Kết quả khắc phục bị trả lại: {title}",
            'Kết quả khắc phục "{title}" chưa được chấp nhận. Lý do: {comment}\n{link}',
        ),
        "en": (
            "[Spotcheck] Corrective action returned: {title}",
            'The fix for "{title}" was not accepted. Reason: {comment}\n{link}',
        ),
    },
    "action.verified": {
        "vi": (
            "[Spotcheck] Đã xác nhận khắc phục: {title}",
            'Kết quả khắc phục "{title}" của {unit} đã được xác nhận.\n{link}',
        ),
        "en": (
            "[Spotcheck] Corrective action verified: {title}",
            'The fix for "{title}" by {unit} has been verified.\n{link}',
        ),
    },
    "inspection.started": {
        "vi": (
            "[Spotcheck] Đoàn kiểm tra bắt đầu làm việc tại {unit}",
            "Đoàn kiểm tra công vụ đã bắt đầu kiểm tra tại {unit} lúc {time}.\n{link}",
        ),
        "en": (
            "[Spotcheck] An inspection has started at {unit}",
            "An inspection team started an inspection at {unit} at {time}.\n{link}",
        ),
    },
    "inspection.minutes_ready": {
        "vi": (
            "[Spotcheck] Biên bản kiểm tra tại {unit} đã sẵn sàng",
            "Biên bản kiểm tra tại {unit} đã được ký.\n{link}",
        ),
        "en": (
            "[Spotcheck] Minutes of the inspection at {unit} are ready",
            "The minutes of the inspection at {unit} have been signed.\n{link}",
        ),
    },
    "digest.daily": {
        "vi": (
            "[Spotcheck] Tổng hợp ngày {date}",
            "Yêu cầu khắc phục đang mở: {open}; quá hạn: {overdue}; chờ xác nhận: {submitted}.\n"
            "{link}",
        ),
        "en": (
            "[Spotcheck] Daily digest {date}",
            "Open corrective actions: {open}; overdue: {overdue}; awaiting verification: "
            "{submitted}.\n{link}",
        ),
    },
    "audit.anchor": {
        "vi": (
            "[Spotcheck] Neo chuỗi nhật ký {date}",
            "Đầu chuỗi nhật ký kiểm toán: {head} ({rows} sự kiện).",
        ),
        "en": (
            "[Spotcheck] Audit chain anchor {date}",
            "Audit log chain head: {head} ({rows} events).",
        ),
    },
    "test": {
        "vi": (
            "[Spotcheck] Tin nhắn thử",
            "Đây là tin nhắn thử do {sender} gửi tới kênh thông báo của {unit}. "
            "Nhận được tin này nghĩa là kênh hoạt động; không cần làm gì thêm.\n{link}",
        ),
        "en": (
            "[Spotcheck] Test message",
            "This is a test message sent by {sender} to the notification channel of {unit}. "
            "If you can read it, the channel works; nothing else to do.\n{link}",
        ),
    },
    "plan.committed": {
        "vi": (
            "[Spotcheck] Cam kết kế hoạch kiểm tra {plan}",
            "Kế hoạch {plan} đã được niêm phong. Mã cam kết (SHA-256): {commitment}",
        ),
        "en": (
            "[Spotcheck] Inspection plan commitment {plan}",
            "Plan {plan} has been sealed. Commitment (SHA-256): {commitment}",
        ),
    },
}

SEVERITY_WORDS = {
    "vi": {"critical": "nghiêm trọng", "major": "lớn", "minor": "nhỏ"},
    "en": {"critical": "critical", "major": "major", "minor": "minor"},
}


def local_date(moment: datetime, time_zone: str) -> str:
    """A date as the recipient reads it: in the unit's time zone, dd/mm/yyyy."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%d/%m/%Y")


def local_time(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%H:%M %d/%m/%Y")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def render(event_type: str, language: str, values: dict[str, Any], event_key: str) -> Rendered:
    language = language if language in ("vi", "en") else "vi"
    subject, body = TEMPLATES[event_type][language]
    values = dict(values)
    if language == "en":
        # Producers pass ``title_en`` / ``unit_en`` next to the Vietnamese names; use them here.
        values.update(
            {key[:-3]: value for key, value in values.items() if key.endswith("_en") and value}
        )
    if "severity" in values:
        values["severity"] = SEVERITY_WORDS[language].get(values["severity"], values["severity"])
    footer = f"\n\n({'Mã sự kiện' if language == 'vi' else 'Event key'}: {event_key})"
    return Rendered(subject=subject.format(**values), body=body.format(**values) + footer)
