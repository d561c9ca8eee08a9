"""Message texts show dates and times as the recipient unit reads them, not in UTC."""

from datetime import UTC, datetime

from server.notifications.messages import local_date, local_time, render


def test_a_due_date_late_in_the_utc_day_is_the_next_day_in_vietnam() -> None:
    due = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 03:00 on 1 December in Hà Nội
    assert local_date(due, "Asia/Ho_Chi_Minh") == "01/12/2026"
    assert local_date(due, "UTC") == "30/11/2026"
    assert local_time(due, "Asia/Ho_Chi_Minh") == "03:00 01/12/2026"


def test_templates_render_in_the_unit_language_with_the_event_key() -> None:
    values = {
        "title": "Niêm yết TTHC",
        "unit": "Xã Phương Định",
        "severity": "major",
        "due": "01/12/2026",
        "link": "x",
    }
    vietnamese = render("action.assigned", "vi", values, "action.assigned:1")
    assert vietnamese.subject == "[Spotcheck] Yêu cầu khắc phục mới: Niêm yết TTHC"
    assert "Mức độ: lớn. Hạn: 01/12/2026." in vietnamese.body
    assert "Mã sự kiện: action.assigned:1" in vietnamese.body
