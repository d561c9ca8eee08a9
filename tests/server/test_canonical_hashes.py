"""Every hash the system has already stored stays byte-identical.

Checklist content hashes, the audit chain and its head MAC, plan commitments, the phone's sync
payload hashes and the minutes' content hashes are all written to the database (or printed on
paper) and checked again later. The digests below were computed with the code as it was before
the canonical-JSON functions were merged into ``server.core.canonical``; they must never change.
If one of these tests fails, a stored hash no longer verifies: add a new canonical version
instead of changing an old one.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from checklists.canonical import canonical_json as checklist_canonical_json
from checklists.canonical import content_sha256
from checklists.validator import load_template
from mobile_api.schemas import OpType, SyncOp
from mobile_api.services import payload_hash
from reports.minutes import EvidenceEntry, MinutesContent, content_digest
from server.core import canonical
from server.core.audit.chain import GENESIS_HASH, event_hash, head_mac
from server.plans.draw import canonical_json as plan_canonical_json
from server.plans.draw import commitment

ICT = timezone(timedelta(hours=7))

TEMPLATE_YAML = """\
key: xa-phuong-dinh
version: 3
title: {vi: "Kiểm tra kỷ luật, kỷ cương hành chính", en: Administrative discipline check}
legal_bases:
  - code: ct-26-2016
    title: {vi: Chỉ thị 26/CT-TTg, en: Directive 26/CT-TTg}
    applies_to: 2025-06-30
rating_bands:
  - key: good
    label: {vi: Tốt, en: Good}
    min_score: 80
  - key: failed
    label: {vi: Không đạt, en: Not achieved}
    min_score: 0
total_points: 10
sections:
  - key: A
    title: {vi: Kỷ luật, en: Discipline}
    points: 6
    items:
      - key: A1
        answer_type: yes_no
        text: {vi: Cán bộ có mặt đúng giờ, en: Staff present on time}
        points: 2
        severity: critical
        category: discipline
        legal_basis: [ct-26-2016]
      - key: A2
        answer_type: count
        text: {vi: Số lượt vi phạm, en: Violations}
        points: 4
        severity: major
        category: discipline
        scoring: {full_at: 0, zero_at: 3}
        evidence: {photo: on_fail, min_photos: 1, max_photos: 3}
  - key: B
    title: {vi: Công khai thủ tục, en: Transparency}
    points: 4
    items:
      - key: B1
        answer_type: percent
        text: {vi: Niêm yết thủ tục hành chính, en: Procedures posted}
        points: 3.5
        severity: minor
        category: transparency
        scoring: {target: 100, floor: 50}
      - key: B2
        answer_type: yes_no
        text: {vi: Có hòm thư góp ý, en: Suggestion box}
        points: 0.5
        severity: minor
        category: transparency
"""

USER_ID = uuid.UUID("7f3c2a10-5b1e-4c8d-9a2f-0e6b4d1c3a57")
UNIT_ID = uuid.UUID("c0ffee00-1234-4abc-8def-0123456789ab")
INSPECTION_ID = uuid.UUID("0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b")

# A summary with everything an audit row may carry: Vietnamese text, nesting, lists, floats,
# None, booleans and escapes that JSON must write (quotes, backslash, newline, tab).
AUDIT_SUMMARY: dict[str, Any] = {
    "name_vi": "Ủy ban nhân dân xã Phương Định",
    "changes": {
        "address": ["Thôn Hạ, xã Phương Định", "Số 12 đường Trần Hưng Đạo"],
        "lat": 20.414372,
        "lng": 106.163124,
        "risk": 0.1,
        "active": True,
        "parent_id": None,
    },
    "note": 'Ghi chú "đặc biệt"\\ dòng 1\ndòng 2\t✓',
    "counts": [0, 1, 2, 3.0, -7, 1e21, 1.5e-7],
}


def test_checklist_content_hash_is_frozen() -> None:
    template = load_template(TEMPLATE_YAML)
    canonical = checklist_canonical_json(template)
    assert canonical.startswith(b'{"action_due_days":')
    assert "Cán bộ có mặt đúng giờ".encode() in canonical
    assert content_sha256(template) == (
        "0eb12742e3cd46d6bee708a55f4377ec261ef6766c0e1916a17ed39061bfbc74"
    )


def test_audit_event_hashes_are_frozen() -> None:
    first = event_hash(
        prev_hash=GENESIS_HASH,
        seq=1,
        occurred_at=datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
        actor_id=str(USER_ID),
        actor_label="kiemtra1 (Nguyễn Văn An, thanh tra viên)",
        action="unit.updated",
        object_type="unit",
        object_id=str(UNIT_ID),
        summary=AUDIT_SUMMARY,
    )
    assert first == "a246f43fb0c1a74ff99ba9c805dad7010e512a91c95f6ddc8db5df842fe6a350"
    # A local time is written as the same instant in UTC; a None actor and a list summary.
    second = event_hash(
        prev_hash=first,
        seq=2,
        occurred_at=datetime(2026, 3, 1, 15, 31, tzinfo=ICT),
        actor_id=None,
        actor_label="hệ thống",
        action="plan.published",
        object_type="plan",
        object_id="kế-hoạch-2026-Q1",
        summary=[{"k": 3, "đơn_vị": ["A", "B"]}, None, "xong"],
    )
    assert second == "be8c1a6f3e7ab2e8cb8af25f4e75512c0840af1ff20e3f99abc9c343398c7313"


def test_audit_head_mac_is_frozen() -> None:
    key = bytes(range(32))
    assert head_mac(key, seq=42, hash="ab" * 32, discrepancy="") == (
        "33b0000821f9366c8219dca13bc359b888115291b94d19d1c2a980ec6a631a82"
    )
    assert head_mac(key, seq=7, hash="0" * 64, discrepancy='dòng seq=5 không khớp: "đã sửa"') == (
        "a9484d20a527b3c6273ffe5faf8335d0a1e5139ecfe3ea7c0705078b80130834"
    )


PLAN_DOCUMENT: dict[str, Any] = {
    "plan_id": uuid.UUID("5a1d0c3e-9f8b-4a7c-b6d5-e4f3a2b1c0d9"),
    "title": "Kế hoạch kiểm tra công vụ đột xuất quý I/2026",
    "period": {"from": date(2026, 1, 1), "to": date(2026, 3, 31)},
    "published_at": datetime(2026, 1, 5, 9, 0, 0, 250000, tzinfo=ICT),
    "k": 3,
    "candidates": [
        {
            "unit_id": UNIT_ID,
            "name": "UBND xã Phương Định",
            "weight": Decimal("2.50"),
            "risk": 0.35,
            "last_inspected_on": None,
        },
        {
            "unit_id": uuid.UUID("00000000-0000-4000-8000-000000000001"),
            "name": "Bộ phận một cửa huyện Trực Ninh",
            "weight": Decimal("1E+1"),
            "risk": 1.0,
            "last_inspected_on": date(2025, 11, 20),
        },
    ],
    "excluded": (),
    "flags": {"công_khai": True, "ghi_chú": "đã duyệt"},
}
PLAN_NONCE = "9c1f" * 16


def test_plan_commitment_is_frozen() -> None:
    assert commitment(PLAN_DOCUMENT, PLAN_NONCE) == (
        "50a416485ac2fd6eb5f05a71bb025e4afef70070f8153d222a212b51f06caf10"
    )
    text = plan_canonical_json(PLAN_DOCUMENT).decode("utf-8")
    assert '"published_at":"2026-01-05T02:00:00.250000Z"' in text
    assert '"weight":"2.50"' in text and '"weight":"1E+1"' in text


def test_sync_payload_hashes_are_frozen() -> None:
    answer = SyncOp(
        op_id=uuid.UUID("11111111-2222-4333-8444-555555555555"),
        type=OpType.answer,
        payload={
            "inspection_id": str(INSPECTION_ID),
            "item_key": "A2",
            "value": 2,
            "note": "Hai cán bộ đến muộn 15 phút, đã lập biên bản",
            "evidence": ["ab" * 32, "cd" * 32],
            "answered_at": "2026-03-01T08:31:00.000Z",
            "gps": {"lat": 20.414372, "lng": 106.163124, "accuracy_m": 12.5},
            "refused": False,
            "extra": None,
        },
    )
    assert payload_hash(answer) == (
        "0174e1cc2182f419cabb0d155258e2dce3609a49e8e3db7ba9ee19dc7c8f6fe7"
    )
    # The op_id is not part of the hash: a replay under another id has the same payload hash.
    replay = answer.model_copy(update={"op_id": uuid.UUID(int=1)})
    assert payload_hash(replay) == payload_hash(answer)
    # Values that are not plain JSON (only Python callers can pass them) are written as str().
    transition = SyncOp(
        op_id=uuid.UUID(int=2),
        type=OpType.action_transition,
        payload={
            "action_id": UNIT_ID,
            "to": "đã_khắc_phục",
            "at": datetime(2026, 3, 2, 10, 0, tzinfo=ICT),
            "cost": Decimal("1500000.00"),
            "due_on": date(2026, 4, 1),
        },
    )
    assert payload_hash(transition) == (
        "fc1c9fa1df476dd6e832a8cbaa04e631d46969d6427fed88fbc9a93550aeb3ca"
    )


def _minutes(**changes: Any) -> MinutesContent:
    content = MinutesContent(
        language="vi",
        labels={"doc_type": "BIÊN BẢN"},  # not hashed
        parent_body="ỦY BAN NHÂN DÂN HUYỆN TRỰC NINH",
        issuer="ĐOÀN KIỂM TRA CÔNG VỤ",
        number_line="Số: 07/BB-ĐKT",
        place_date="Phương Định, ngày 01 tháng 3 năm 2026",
        summary="Kiểm tra đột xuất việc thực hiện kỷ luật, kỷ cương hành chính tại UBND xã",
        bases=["Căn cứ Chỉ thị 26/CT-TTg ngày 05/9/2016", "Căn cứ Quyết định số 12/QĐ-UBND"],
        opening="Hồi 08 giờ 30 phút, ngày 01/3/2026, tại trụ sở UBND xã Phương Định",
        team_lines=["Ông Nguyễn Văn An – Trưởng đoàn", "Bà Trần Thị Bình – Thành viên"],
        unit_lines=["Ông Lê Văn Cường – Chủ tịch UBND xã"],
        scope_text="Việc chấp hành giờ giấc làm việc; công khai thủ tục hành chính",
        presence_text=None,
        sections=[
            {
                "key": "A",
                "title": "Kỷ luật",
                "score": 66.67,
                "items": [
                    {"key": "A1", "outcome": "pass", "earned": 2.0, "note": None},
                    {
                        "key": "A2",
                        "outcome": "fail",
                        "earned": 0,
                        "due_at": datetime(2026, 3, 16, 17, 0, tzinfo=ICT),
                        "due_on": date(2026, 3, 16),
                        "id": UNIT_ID,
                    },
                ],
            }
        ],
        total_line="Tổng điểm: 71,43/100 – Không đạt",
        critical_line="Không có tiêu chí điểm liệt",
        shortcomings=["Hai cán bộ đến muộn 15 phút"],
        opinion="Đơn vị thống nhất với kết quả kiểm tra",
        requests=["Chấn chỉnh giờ giấc làm việc trước ngày 16/3/2026"],
        closing="Biên bản kết thúc lúc 11 giờ 00 phút cùng ngày",
        signatures={
            "leader": {"name": "Nguyễn Văn An", "image": "ab" * 32, "note": None},
            "unit": {"name": "Lê Văn Cường", "image": None, "note": "Từ chối ký"},
        },
        recipients=["Như trên", "Lưu: VT"],
        evidence=[
            EvidenceEntry("E1", "cd" * 32, True, "2026-03-01 08:41", "20.41437, 106.16312"),
            EvidenceEntry("E2", "ef" * 32, False, None, None),
        ],
        is_draft=False,
    )
    for key, value in changes.items():
        setattr(content, key, value)
    return content


def test_minutes_content_hash_is_frozen() -> None:
    assert content_digest(_minutes()) == (
        "1d73d059059aade1b2e1e693c9d992dbd3600c7c2a7ec84a3ba8558fcf0b7031"
    )
    # What is printed around the hash (labels, the hash itself, the verify URL) is not hashed.
    decorated = _minutes(
        labels={"doc_type": "MINUTES"},
        content_sha256="f" * 64,
        verify_url="https://spotcheck.example/verify/x",
        extra={"x": 1},
    )
    assert content_digest(decorated) == content_digest(_minutes())
    assert content_digest(_minutes(language="en", is_draft=True)) == (
        "de5f09fc9ed952a83da47eef56b932cd839f16f5924b38e2bbce13e4a102c3f1"
    )


# --- The kernel's rules, one version at a time ---------------------------------------------------

VERSIONS = (
    canonical.CANONICAL_V1,
    canonical.CANONICAL_V2,
    canonical.CANONICAL_V3,
    canonical.CANONICAL_V4,
)


def test_every_version_sorts_keys_and_writes_real_characters() -> None:
    value = {"tên": "Phương Định", "a": [1, 2.5, None, True]}
    for version in VERSIONS:
        text = canonical.canonical_json(value, version=version).decode("utf-8")
        assert text.index('"a"') < text.index('"tên"')
        assert "Phương Định" in text
    assert len({version.tag for version in VERSIONS}) == len(VERSIONS)


def test_versions_differ_only_where_they_say() -> None:
    plain = {"b": [1, {"c": None}], "a": "x"}
    compact = b'{"a":"x","b":[1,{"c":null}]}'
    for version in (canonical.CANONICAL_V1, canonical.CANONICAL_V2, canonical.CANONICAL_V3):
        assert canonical.canonical_json(plain, version=version) == compact
    assert canonical.canonical_json(plain, version=canonical.CANONICAL_V4) == (
        b'{"a": "x", "b": [1, {"c": null}]}'
    )
    moment = {"at": datetime(2026, 3, 1, 15, 0, tzinfo=ICT)}
    assert canonical.canonical_json(moment, version=canonical.CANONICAL_V2) == (
        b'{"at":"2026-03-01T08:00:00Z"}'
    )
    assert canonical.canonical_json(moment, version=canonical.CANONICAL_V3) == (
        b'{"at":"2026-03-01 15:00:00+07:00"}'
    )
    with pytest.raises(TypeError):
        canonical.canonical_json(moment, version=canonical.CANONICAL_V1)


def test_nan_is_written_by_the_old_versions_and_refused_by_v2() -> None:
    for version in (canonical.CANONICAL_V1, canonical.CANONICAL_V3, canonical.CANONICAL_V4):
        assert b"NaN" in canonical.canonical_json({"x": float("nan")}, version=version)
    with pytest.raises(ValueError):
        canonical.canonical_json({"x": float("nan")}, version=canonical.CANONICAL_V2)
    with pytest.raises(ValueError):
        canonical.canonical_json({"at": datetime(2026, 3, 1)}, version=canonical.CANONICAL_V2)


def test_the_prefix_chains_a_hash_to_what_came_before() -> None:
    value = {"seq": 1}
    chained = canonical.canonical_sha256(value, version=canonical.CANONICAL_V1, prefix=b"ab")
    assert chained == hashlib.sha256(b'ab{"seq":1}').hexdigest()
    assert chained != canonical.canonical_sha256(value, version=canonical.CANONICAL_V1)
