"""The content of the inspection minutes (biên bản), as plain data for the template. Pure: the
service gathers the rows, this module decides what the document says, in Vietnamese or English.

Layout rules (Decree 30/2020, Appendix I; see shared/domain/minutes-layout.md) live in
templates/minutes.html and minutes.css; the wording and numbering live here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from checklists.format import ChecklistTemplate
from server.core import canonical

if TYPE_CHECKING:
    from server.actions.services import ActionBrief
    from server.units.services import UnitFacts

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "motto": "Độc lập - Tự do - Hạnh phúc",
        "doc_type": "BIÊN BẢN",
        "summary": "Kiểm tra đột xuất việc thực hiện kỷ luật, kỷ cương hành chính và cơ chế một cửa tại {unit}",
        "parent_prefix": "ỦY BAN NHÂN DÂN",
        "issuer": "ĐOÀN KIỂM TRA CÔNG VỤ",
        "number": "Số",
        "draft": "DỰ THẢO – CHƯA KÝ",
        "basis": "Căn cứ {text}",
        "opening": "Hôm nay, vào hồi {hour} giờ {minute} phút, ngày {day} tháng {month} năm {year}, tại {unit}, Đoàn kiểm tra tiến hành kiểm tra đột xuất theo {plan}.",
        "composition": "I. THÀNH PHẦN",
        "team": "1. Đoàn kiểm tra:",
        "team_head": "Trưởng đoàn",
        "member": "Thành viên",
        "unit_side": "2. Đơn vị được kiểm tra:",
        "unit_rep": "đại diện đơn vị",
        "scope": "II. NỘI DUNG, PHƯƠNG PHÁP KIỂM TRA",
        "scope_text": "Kiểm tra theo bảng kiểm “{checklist}” (phiên bản {version}): quan sát trực tiếp tại nơi làm việc, đối chiếu hồ sơ, sổ sách và hệ thống một cửa điện tử, phỏng vấn người dân; chụp ảnh làm chứng cứ.",
        "dossier_sample": "Đối chiếu mẫu hồ sơ chọn ngẫu nhiên theo kế hoạch (niêm phong trước, đơn vị không biết trước): đã đối chiếu {checked}/{sampled} hồ sơ giấy với hệ thống một cửa điện tử; {mismatched} hồ sơ không khớp.",
        "presence": "Vị trí bắt đầu kiểm tra cách trụ sở đơn vị {distance} m; thời điểm trên thiết bị lệch {skew} giây so với máy chủ.",
        "results": "III. KẾT QUẢ KIỂM TRA",
        "section_score": "Điểm: {earned}/{possible}",
        "not_scored": "Không chấm điểm",
        "total": "Tổng điểm: {total}/100; xếp loại: {band}.",
        "failed_items": "Tiêu chí chưa đạt: {items} (chi tiết tại mục IV).",
        "critical": "Vi phạm nghiêm trọng: {items}.",
        "no_critical": "Không phát hiện vi phạm nghiêm trọng.",
        "evidence_ref": "chứng cứ",
        "ledger_taken": "theo sổ theo dõi hồ sơ",
        "ledger_override": "sổ theo dõi hồ sơ: {ledger}, kiểm tra thực tế: {answer}",
        "ledger_line": "Số liệu lấy từ sổ theo dõi hồ sơ của đơn vị (từ ngày {period_from} đến ngày {period_to}, {dossiers} hồ sơ): {items}.",
        "ledger_items_taken": "mục {items} theo sổ",
        "ledger_item_override": "mục {item} sổ: {ledger}, kiểm tra thực tế: {answer}",
        "sample_taken": "theo kết quả đối chiếu hồ sơ mẫu",
        "sample_override": "đối chiếu hồ sơ mẫu: {ledger}, kiểm tra thực tế: {answer}",
        "sample_line": "Số liệu lấy theo kết quả đối chiếu hồ sơ mẫu: {items}.",
        "sample_item": "{item} ({checked}/{sampled} hồ sơ mẫu đã đối chiếu)",
        "sample_items_taken": "mục {items} theo kết quả đối chiếu",
        "sample_item_override": "mục {item} đối chiếu: {ledger}, kiểm tra thực tế: {answer}",
        "shortcomings": "IV. TỒN TẠI, HẠN CHẾ",
        "no_shortcomings": "Không có tồn tại, hạn chế.",
        "opinion": "V. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA",
        "opinion_agree": "Đơn vị được kiểm tra thống nhất với kết quả kiểm tra.",
        "opinion_refused": "Đại diện đơn vị ({name}) không ký biên bản. Lý do: {reason}. Người làm chứng: {witness}.",
        "requests": "VI. KIẾN NGHỊ, YÊU CẦU",
        "request_line": "{title} Đơn vị chịu trách nhiệm: {unit}; thời hạn: trước ngày {due}.",
        "no_requests": "Không có yêu cầu khắc phục.",
        "closing": "Buổi kiểm tra kết thúc vào hồi {hour} giờ {minute} phút cùng ngày. Biên bản được lập thành 02 bản có giá trị như nhau, Đoàn kiểm tra giữ 01 bản, đơn vị được kiểm tra giữ 01 bản; đã được đọc lại cho các thành viên cùng nghe và nhất trí ký tên./.",
        "closing_refused": "Buổi kiểm tra kết thúc vào hồi {hour} giờ {minute} phút cùng ngày. Biên bản được lập thành 02 bản có giá trị như nhau, đã được đọc lại cho các thành viên cùng nghe; đại diện đơn vị được kiểm tra từ chối ký như ghi tại mục V./.",
        "sign_unit": "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA",
        "sign_head": "TRƯỞNG ĐOÀN KIỂM TRA",
        "refused_sign": "(Từ chối ký)",
        "not_signed": "(Chưa ký)",
        "recipients": "Nơi nhận:",
        "recipient_parent": "Chủ tịch {parent}",
        "recipient_unit": "{unit}",
        "recipient_archive": "Lưu: VT, Hồ sơ ĐKT.",
        "annex": "Phụ lục",
        "annex_title": "DANH MỤC ẢNH, TÀI LIỆU CHỨNG CỨ",
        "annex_note": "(Kèm theo Biên bản số {number})",
        "annex_none": "Không có chứng cứ kèm theo.",
        "taken": "Thời điểm",
        "location": "Tọa độ",
        "verify": "Mã xác thực (SHA-256) của nội dung biên bản: {sha}. Kiểm tra tính xác thực tại {url}",
        "page_footer": "SHA-256: {short}",
        "pdf_document": "Tài liệu PDF",
    },
    "en": {
        "nation": "SOCIALIST REPUBLIC OF VIETNAM",
        "motto": "Independence - Freedom - Happiness",
        "doc_type": "MINUTES",
        "summary": "Unannounced inspection of administrative discipline and the one-stop mechanism at {unit}",
        "parent_prefix": "PEOPLE'S COMMITTEE OF",
        "issuer": "PUBLIC DUTY INSPECTION TEAM",
        "number": "No.",
        "draft": "DRAFT – NOT SIGNED",
        "basis": "Pursuant to {text}",
        "opening": "Today, at {hour}:{minute} on {day}/{month}/{year}, at {unit}, the inspection team carried out an unannounced inspection under {plan}.",
        "composition": "I. PARTICIPANTS",
        "team": "1. Inspection team:",
        "team_head": "Team head",
        "member": "Member",
        "unit_side": "2. Inspected unit:",
        "unit_rep": "unit representative",
        "scope": "II. SCOPE AND METHOD",
        "scope_text": "Inspection against the checklist “{checklist}” (version {version}): direct observation at the workplace, checking dossiers, logbooks and the electronic one-stop system, interviews with citizens; photographs taken as evidence.",
        "dossier_sample": "Sealed random sample of dossiers (drawn when the plan was sealed, unknown to the unit): {checked} of {sampled} paper files compared with the electronic one-stop system; {mismatched} did not match.",
        "presence": "The inspection started {distance} m from the unit's registered location; the device clock differed from the server by {skew} seconds.",
        "results": "III. RESULTS OF THE INSPECTION",
        "section_score": "Score: {earned}/{possible}",
        "not_scored": "Not scored",
        "total": "Total score: {total}/100; rating: {band}.",
        "failed_items": "Criteria not met: {items} (details in section IV).",
        "critical": "Critical violations: {items}.",
        "no_critical": "No critical violation was found.",
        "evidence_ref": "evidence",
        "ledger_taken": "per the dossier ledger",
        "ledger_override": "dossier ledger: {ledger}, checked on site: {answer}",
        "ledger_line": "Figures from the unit's dossier ledger ({period_from} to {period_to}, {dossiers} dossiers): {items}.",
        "ledger_items_taken": "items {items} as the ledger says",
        "ledger_item_override": "item {item} ledger: {ledger}, checked on site: {answer}",
        "sample_taken": "per the dossier sample's checks",
        "sample_override": "dossier sample's checks: {ledger}, checked on site: {answer}",
        "sample_line": "Figures from the checks of the dossier sample: {items}.",
        "sample_item": "{item} ({checked} of {sampled} sampled dossiers compared)",
        "sample_items_taken": "items {items} as the checks say",
        "sample_item_override": "item {item} checks: {ledger}, checked on site: {answer}",
        "shortcomings": "IV. SHORTCOMINGS",
        "no_shortcomings": "No shortcomings.",
        "opinion": "V. OPINION OF THE INSPECTED UNIT",
        "opinion_agree": "The inspected unit agrees with the results of the inspection.",
        "opinion_refused": "The unit's representative ({name}) refused to sign. Reason: {reason}. Witness: {witness}.",
        "requests": "VI. REQUESTS",
        "request_line": "{title} Responsible unit: {unit}; deadline: {due}.",
        "no_requests": "No corrective action is requested.",
        "closing": "The inspection ended at {hour}:{minute} on the same day. These minutes are made in 2 copies of equal validity, one kept by the team and one by the inspected unit; they were read aloud to all participants, who agreed and signed.",
        "closing_refused": "The inspection ended at {hour}:{minute} on the same day. These minutes are made in 2 copies of equal validity and were read aloud to all participants; the unit's representative refused to sign as recorded in section V.",
        "sign_unit": "FOR THE INSPECTED UNIT",
        "sign_head": "HEAD OF THE INSPECTION TEAM",
        "refused_sign": "(Refused to sign)",
        "not_signed": "(Not signed)",
        "recipients": "Recipients:",
        "recipient_parent": "Chair of the {parent}",
        "recipient_unit": "{unit}",
        "recipient_archive": "Archive: records office, inspection file.",
        "annex": "Annex",
        "annex_title": "LIST OF PHOTOGRAPHS AND EVIDENCE",
        "annex_note": "(Attached to minutes No. {number})",
        "annex_none": "No evidence attached.",
        "taken": "Taken at",
        "location": "Coordinates",
        "verify": "Verification code (SHA-256) of the content of these minutes: {sha}. Verify at {url}",
        "page_footer": "SHA-256: {short}",
        "pdf_document": "PDF document",
    },
}

SEVERITY_WORDS = {
    "vi": {"critical": "nghiêm trọng", "major": "lớn", "minor": "nhỏ"},
    "en": {"critical": "critical", "major": "major", "minor": "minor"},
}

KIND_PREFIXES = ("Xã ", "Phường ", "Thị trấn ", "Huyện ", "Tỉnh ", "Thành phố ", "Thị xã ")


def place_name(unit_name_vi: str) -> str:
    """'Xã Phương Định' → 'Phương Định' for the place-and-date line; '(cũ)' dropped."""
    name = re.sub(r"\s*\(cũ\)\s*$", "", unit_name_vi)
    for prefix in KIND_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def vietnamese_date(day: date, place: str) -> str:
    """'Trực Ninh, ngày 05 tháng 01 năm 2025': days < 10 and months 1–2 zero-padded (Decree 30)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def english_date(day: date, place: str) -> str:
    return f"{place}, {day.strftime('%d %B %Y')}"


def document_number(number: int | None, symbol: str, language: str) -> str:
    label = LABELS[language]["number"]
    return f"{label}: {number:02d}/{symbol}" if number else f"{label}: …/{symbol}"


def due_text(moment: datetime, zone: ZoneInfo, language: str) -> str:
    local = moment.astimezone(zone).date()
    return local.strftime("%d/%m/%Y") if language == "vi" else local.isoformat()


@dataclass
class EvidenceEntry:
    reference: str  # "E1", "E2", …
    sha256: str
    is_image: bool
    taken_at: str | None
    location: str | None


@dataclass
class MinutesContent:
    language: str
    labels: dict[str, str]
    parent_body: str
    issuer: str
    number_line: str
    place_date: str
    summary: str
    bases: list[str]
    opening: str
    team_lines: list[str]
    unit_lines: list[str]
    scope_text: str
    presence_text: str | None
    sections: list[dict[str, Any]]
    total_line: str
    critical_line: str
    shortcomings: list[str]
    opinion: str
    requests: list[str]
    closing: str
    signatures: dict[str, dict[str, Any]]
    recipients: list[str]
    evidence: list[EvidenceEntry]
    is_draft: bool
    dossier_sample_text: str | None = None  # the sealed dossier sample's line, when there is one
    # Which figures came from the unit's dossier ledger (section III); None when none did.
    ledger_line: str | None = None
    # Which figures came from the sealed dossier sample's checks; None when none did.
    sample_line: str | None = None
    content_sha256: str = ""
    verify_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# Lines of the minutes that came after minutes were first signed: left out of the digest when
# empty (ledger figures, the sample's figures, the sealed sample's line).
LINES_ADDED_LATER = ("ledger_line", "sample_line", "dossier_sample_text")


def content_digest(content: MinutesContent) -> str:
    """SHA-256 over what the minutes say (not the PDF bytes, which cannot hold their own hash)."""
    document = {
        key: value
        for key, value in content.__dict__.items()
        if key not in ("content_sha256", "verify_url", "labels", "extra")
    }
    document["evidence"] = [entry.__dict__ for entry in content.evidence]
    for name in LINES_ADDED_LATER:
        # Absent rather than null, so minutes without such a line keep the digest they had
        # before the line existed.
        if document[name] is None:
            del document[name]
    return canonical.canonical_sha256(document, version=canonical.CANONICAL_V4)


def image_sha256s(content: MinutesContent) -> list[str]:
    """The evidence photos the minutes show (signatures and the annex's images): the downscaled
    JPEGs the renderer must be handed for the template's ``evidence:<sha256>`` images."""
    signatures = [block["image"] for block in content.signatures.values() if block.get("image")]
    annex = [entry.sha256 for entry in content.evidence if entry.is_image]
    return sorted(set(signatures) | set(annex))


def build(
    *,
    language: str,
    inspection: dict[str, Any],
    template: ChecklistTemplate,
    unit: UnitFacts,
    issuing_unit: UnitFacts,
    plan_title: str | None,
    team: list[dict[str, Any]],
    actions: list[ActionBrief],
    responsible_units: dict[Any, str],
    evidence_rows: dict[str, dict[str, Any]],
    number: int | None,
    symbol: str,
    issued_on: date,
    base_url: str,
    dossier_sample: tuple[int, int] | None = None,
) -> MinutesContent:
    """The minutes' content. ``dossier_sample`` is (sampled, checked) for an inspection with a
    sealed dossier sample."""
    language = language if language in LABELS else "vi"
    labels = LABELS[language]
    vi = language == "vi"
    zone = ZoneInfo(unit.time_zone)
    started = inspection["start"]["started_at"] or inspection["submitted_at"]
    started_local = started.astimezone(zone) if started else None
    ended = inspection["signed_at"] or inspection["submitted_at"] or started
    ended_local = ended.astimezone(zone) if ended else None
    unit_name = unit.name_vi if vi else unit.name_en
    issuing_name = issuing_unit.name_vi if vi else issuing_unit.name_en
    place = place_name(issuing_unit.name_vi if vi else issuing_unit.name_en)

    evidence_order: list[str] = []

    def reference(sha: str) -> str:
        if sha not in evidence_order:
            evidence_order.append(sha)
        return f"E{evidence_order.index(sha) + 1}"

    answers = {answer["item_key"]: answer for answer in inspection["answers"]}
    # Section III names the items each section failed; section IV states each finding once, with
    # what was observed and the evidence that shows it (the same text twice read as padding).
    failed_by_section: dict[str, list[str]] = {}
    shortcomings = []
    for finding in inspection["findings"]:
        text = (
            finding["description"]
            if vi or not finding["description_en"]
            else finding["description_en"]
        )
        refs = [reference(sha) for sha in finding["evidence"]]
        suffix = f" ({labels['evidence_ref']} {', '.join(refs)})" if refs else ""
        severity = SEVERITY_WORDS[language].get(finding["severity"], finding["severity"])
        item_key = finding.get("item_key")
        lead = f"{item_key}. " if item_key else ""
        ledger = _ledger_phrase(answers.get(item_key) if item_key else None, labels)
        ledger_part = f" ({ledger})" if ledger else ""
        shortcomings.append(f"[{severity}] {lead}{text}{ledger_part}{suffix}")
        if item_key and finding.get("section_key"):
            failed_by_section.setdefault(finding["section_key"], []).append(item_key)
    for answer in answers.values():
        for sha in answer["evidence"]:
            reference(sha)

    score = inspection["score"] or {}
    section_scores = {section["key"]: section for section in score.get("sections", [])}
    sections = []
    for index, section in enumerate(template.sections, start=1):
        result = section_scores.get(section.key)
        if result and result.get("possible"):
            score_text = labels["section_score"].format(
                earned=_number(result["earned"]), possible=_number(result["possible"])
            )
        else:
            score_text = labels["not_scored"]
        failed = failed_by_section.get(section.key, [])
        sections.append(
            {
                "title": f"{index}. {section.title.vi if vi else section.title.en}",
                "score": score_text,
                "failed_items": (
                    labels["failed_items"].format(items=", ".join(failed)) if failed else ""
                ),
            }
        )

    band_key = inspection["rating_band"]
    band_label = next(
        (
            band.label.vi if vi else band.label.en
            for band in template.rating_bands
            if band.key == band_key
        ),
        band_key or "—",
    )
    total = inspection["total_score"]
    critical = score.get("critical_failures", [])

    signatures = {s["signer_role"]: s for s in inspection["signatures"]}
    unit_signature = signatures.get("unit_representative")
    refused = bool(unit_signature and unit_signature["refused"])
    if refused:
        assert unit_signature is not None
        opinion = labels["opinion_refused"].format(
            name=unit_signature["signer_name"],
            reason=unit_signature["refusal_reason"],
            witness=unit_signature["witness_name"],
        )
    else:
        opinion = labels["opinion_agree"]

    team_lines = [
        f"{'Ông/Bà ' if vi else ''}{member['full_name']} – "
        f"{labels['team_head'] if member['is_head'] else labels['member']}"
        for member in team
    ]
    unit_lines = [unit_name]
    if unit_signature:
        unit_lines = [
            f"{'Ông/Bà ' if vi else ''}{unit_signature['signer_name']} – {labels['unit_rep']} {unit_name}"
        ]

    requests = [
        labels["request_line"].format(
            title=(action.title_vi if vi else action.title_en).rstrip(".") + ".",
            unit=responsible_units.get(action.responsible_unit_id, ""),
            due=due_text(action.due_at, zone, language),
        )
        for action in actions
    ]

    bases = _bases(
        template, labels, plan_title, started_local.date() if started_local else issued_on, vi
    )

    evidence = []
    for index, sha in enumerate(evidence_order, start=1):
        row = evidence_rows.get(sha, {})
        taken = row.get("taken_at")
        location = (
            f"{row['latitude']:.5f}, {row['longitude']:.5f}"
            if row.get("latitude") is not None and row.get("longitude") is not None
            else None
        )
        evidence.append(
            EvidenceEntry(
                reference=f"E{index}",
                sha256=sha,
                is_image=str(row.get("media_type", "")).startswith("image/"),
                taken_at=taken.astimezone(zone).strftime("%d/%m/%Y %H:%M") if taken else None,
                location=location,
            )
        )

    start_values = {
        "hour": f"{started_local.hour:02d}" if started_local else "…",
        "minute": f"{started_local.minute:02d}" if started_local else "…",
        "day": f"{started_local.day:02d}" if started_local else "…",
        "month": f"{started_local.month:02d}" if started_local else "…",
        "year": started_local.year if started_local else "…",
    }
    end_values = {
        "hour": f"{ended_local.hour:02d}" if ended_local else "…",
        "minute": f"{ended_local.minute:02d}" if ended_local else "…",
    }
    start = inspection["start"]
    presence = None
    if start["distance_m"] is not None:
        presence = labels["presence"].format(
            distance=_number(start["distance_m"]),
            skew=_number(round(start["clock_skew_seconds"] or 0)),
        )
    parent_body = f"{labels['parent_prefix']} {issuing_name.upper()}"
    content = MinutesContent(
        language=language,
        labels=labels,
        parent_body=re.sub(r"\s*\((CŨ|FORMER)\)", "", parent_body),
        issuer=labels["issuer"],
        number_line=document_number(number, symbol, language),
        place_date=vietnamese_date(issued_on, place) if vi else english_date(issued_on, place),
        summary=labels["summary"].format(unit=unit_name),
        bases=bases,
        opening=labels["opening"].format(
            unit=unit_name,
            plan=plan_title or ("kế hoạch kiểm tra" if vi else "the inspection plan"),
            **start_values,
        ),
        team_lines=team_lines,
        unit_lines=unit_lines,
        scope_text=labels["scope_text"].format(
            checklist=template.title.vi if vi else template.title.en, version=template.version
        ),
        presence_text=presence,
        dossier_sample_text=(
            labels["dossier_sample"].format(
                sampled=dossier_sample[0],
                checked=dossier_sample[1],
                mismatched=sum(
                    1 for finding in inspection["findings"] if finding["source"] == "dossier_sample"
                ),
            )
            if dossier_sample is not None
            else None
        ),
        sections=sections,
        total_line=labels["total"].format(
            total=_number(total) if total is not None else "—", band=band_label
        ),
        critical_line=(
            labels["critical"].format(items=", ".join(critical))
            if critical
            else labels["no_critical"]
        ),
        shortcomings=shortcomings,
        opinion=opinion,
        requests=requests,
        closing=(labels["closing_refused"] if refused else labels["closing"]).format(**end_values),
        signatures={
            "unit": _signature_block(signatures.get("unit_representative"), labels),
            "head": _signature_block(signatures.get("team_head"), labels),
        },
        recipients=[
            labels["recipient_parent"].format(
                parent=parent_body.split(" ", 3)[-1].title() if not vi else issuing_name
            ),
            labels["recipient_unit"].format(unit=unit_name),
            labels["recipient_archive"],
        ],
        evidence=evidence,
        is_draft=inspection["status"] not in ("signed", "closed"),
        ledger_line=_ledger_line(answers, labels),
        sample_line=_sample_line(answers, labels),
    )
    content.content_sha256 = content_digest(content)
    content.verify_url = f"{base_url.rstrip('/')}/verify/{content.content_sha256}"
    return content


MAX_CITED_BASES = 3


def _ledger_value(fields: dict[str, Any] | None) -> str:
    fields = fields or {}
    if fields.get("value") is not None:
        return str(fields["value"])
    return f"{fields.get('numerator', '…')}/{fields.get('denominator', '…')}"


def _from_sample(judgement: dict[str, Any]) -> bool:
    """Whether an answer's judgement is against the sealed sample's checks (else the ledger;
    judgements stored before there was a second source have no ``source``)."""
    return judgement.get("source") == "dossier_sample"


def _ledger_phrase(answer: dict[str, Any] | None, labels: dict[str, str]) -> str | None:
    """How a finding's figure relates to its pre-filled source: "theo sổ theo dõi hồ sơ" (or
    "theo kết quả đối chiếu hồ sơ mẫu"), or the source's figure beside the one checked on site."""
    ledger = (answer or {}).get("ledger")
    if not ledger:
        return None
    prefix = "sample" if _from_sample(ledger) else "ledger"
    if ledger["status"] == "override":
        return labels[f"{prefix}_override"].format(
            ledger=_ledger_value(ledger), answer=_ledger_value(answer and answer["value"])
        )
    return labels[f"{prefix}_taken"]


def _judged_items(
    answers: dict[str, dict[str, Any]], labels: dict[str, str], *, sample: bool
) -> tuple[list[tuple[str, dict[str, Any]]], str] | None:
    """The answers judged against one source, in item order, and the items' phrase."""
    judged = sorted(
        (
            (key, answer)
            for key, answer in answers.items()
            if answer.get("ledger") and _from_sample(answer["ledger"]) == sample
        ),
        key=lambda pair: _item_order(pair[0]),
    )
    if not judged:
        return None
    prefix = "sample" if sample else "ledger"

    def name(key: str, judgement: dict[str, Any]) -> str:
        # Each of the sample's figures rests on its own checked dossiers.
        if not sample:
            return key
        return labels["sample_item"].format(
            item=key, checked=judgement.get("checked"), sampled=judgement.get("sampled")
        )

    taken = [
        name(key, answer["ledger"])
        for key, answer in judged
        if answer["ledger"]["status"] != "override"
    ]
    parts = [labels[f"{prefix}_items_taken"].format(items=", ".join(taken))] if taken else []
    parts += [
        labels[f"{prefix}_item_override"].format(
            item=name(key, answer["ledger"]),
            ledger=_ledger_value(answer["ledger"]),
            answer=_ledger_value(answer["value"]),
        )
        for key, answer in judged
        if answer["ledger"]["status"] == "override"
    ]
    return judged, "; ".join(parts)


def _sample_line(answers: dict[str, dict[str, Any]], labels: dict[str, str]) -> str | None:
    found = _judged_items(answers, labels, sample=True)
    if found is None:
        return None
    _judged, items = found
    return labels["sample_line"].format(items=items)


def _ledger_line(answers: dict[str, dict[str, Any]], labels: dict[str, str]) -> str | None:
    found = _judged_items(answers, labels, sample=False)
    if found is None:
        return None
    judged, items = found
    if not judged:
        return None
    ledger = judged[0][1]["ledger"]
    day_format = "%d/%m/%Y"
    return labels["ledger_line"].format(
        period_from=date.fromisoformat(str(ledger["period_from"])).strftime(day_format),
        period_to=date.fromisoformat(str(ledger["period_to"])).strftime(day_format),
        dossiers=ledger["dossiers"],
        items=items,
    )


def _item_order(key: str) -> tuple[str, int, str]:
    match = re.match(r"([A-Za-z]+)(\d*)(.*)", key)
    if not match:
        return (key, 0, "")
    letters, digits, rest = match.groups()
    return (letters, int(digits or 0), rest)


def _bases(
    template: ChecklistTemplate, labels: dict[str, str], plan_title: str | None, on: date, vi: bool
) -> list[str]:
    """The plan itself, then the legal bases in force that the most checklist items rely on (a
    biên bản cites its authority, not every regulation an item mentions)."""
    uses: dict[str, int] = {}
    for _section, item in template.items():
        for code in item.legal_basis:
            uses[code] = uses.get(code, 0) + 1
    in_force = [basis for basis in template.legal_bases if basis.applies_on(on)]
    ranked = sorted(in_force, key=lambda basis: -uses.get(basis.code, 0))[:MAX_CITED_BASES]
    texts = []
    if plan_title:
        texts.append(
            ("Kế hoạch kiểm tra “{}”" if vi else "the inspection plan “{}”").format(plan_title)
        )
    texts += [basis.title.vi if vi else basis.title.en for basis in ranked]
    lines = [labels["basis"].format(text=text) for text in texts]
    return [line + (";" if index < len(lines) - 1 else ".") for index, line in enumerate(lines)]


def _signature_block(signature: dict[str, Any] | None, labels: dict[str, str]) -> dict[str, Any]:
    if signature is None:
        return {"name": "", "image": None, "note": labels["not_signed"]}
    if signature["refused"]:
        return {"name": signature["signer_name"], "image": None, "note": labels["refused_sign"]}
    return {"name": signature["signer_name"], "image": signature["image_sha256"], "note": None}


def _number(value: float | int) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text
