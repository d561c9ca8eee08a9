"""The minutes PDF of an inspection: drafts on the fly, signed minutes rendered once, numbered,
stored with their hashes and served byte-identical ever after; and public verification."""

from __future__ import annotations

import base64
import hashlib
import io
import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from pydantic import BaseModel

from checklists import services as checklist_service
from reports import minutes, rendering
from reports.tables import MinutesDocument, MinutesNumber
from server.actions import services as action_service
from server.core import db, storage
from server.core.errors import NotFound
from server.core.scopes import Principal
from server.core.settings import Settings
from server.dossiers import samples as sample_service
from server.evidence import services as evidence_service
from server.inspections import services as inspection_service
from server.inspections.events import InspectionSigned
from server.plans import services as plan_service
from server.units import services as unit_service
from server.users import services as user_service

SYMBOL = "BB-ĐKT"
SIGNED = ("signed", "closed")
NUMBER_LOCK = "spotcheck.minutes_number"


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=1)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


async def _allocate_number(inspection_id: UUID, issuing_unit_id: UUID, issued_on: date) -> int:
    """The next number of the issuing body's year; runs inside the caller's write transaction."""
    existing = (
        await MinutesNumber.select(MinutesNumber.number)
        .where(MinutesNumber.inspection_id == inspection_id)
        .first()
    )
    if existing:
        return int(existing["number"])
    await db.lock_for_append(NUMBER_LOCK)
    rows = await MinutesNumber.select(MinutesNumber.number).where(
        MinutesNumber.issuing_unit_id == issuing_unit_id, MinutesNumber.year == issued_on.year
    )
    number = max((row["number"] for row in rows), default=0) + 1
    await MinutesNumber.insert(
        MinutesNumber(
            id=uuid4(),
            inspection_id=inspection_id,
            issuing_unit_id=issuing_unit_id,
            year=issued_on.year,
            number=number,
            symbol=SYMBOL,
            issued_on=issued_on,
            created_at=datetime.now(UTC),
        )
    )
    return number


async def _issuing_unit_id(inspection: dict[str, Any]) -> UUID:
    plan = await plan_service.brief(inspection.get("plan_id"))
    return plan.scope_unit_id if plan else UUID(str(inspection["unit_id"]))


async def on_inspection_signed(event: InspectionSigned) -> None:
    """Numbers are issued when the minutes are signed (in that transaction), so they follow the
    order of signing, not of the first download (Decree 30, Art. 15: per body, per year)."""
    inspection, now = event.inspection, event.now
    unit = await unit_service.get_unit_unscoped(inspection["unit_id"])
    zone = ZoneInfo(unit.time_zone) if unit else UTC
    await _allocate_number(
        inspection["id"], await _issuing_unit_id(inspection), now.astimezone(zone).date()
    )


async def _number_for(inspection: dict[str, Any], issuing_unit_id: UUID, issued_on: date) -> int:
    """The number given at signing (or, for minutes signed before numbering existed, now)."""
    async with db.write_transaction():
        return await _allocate_number(inspection["id"], issuing_unit_id, issued_on)


async def _content(
    inspection: dict[str, Any], *, language: str, settings: Settings
) -> minutes.MinutesContent:
    template = await checklist_service.load_version_template(inspection["checklist_version_id"])
    unit = await unit_service.get_unit_unscoped(inspection["unit"]["id"])
    assert unit is not None
    plan = await plan_service.brief(inspection["plan_id"])
    issuing_unit = (
        await unit_service.get_unit_unscoped(plan.scope_unit_id) if plan else None
    ) or unit
    names = await user_service.full_names([member["user_id"] for member in inspection["team"]])
    team = [
        {"full_name": names.get(member["user_id"], ""), "is_head": member["is_head"]}
        for member in sorted(inspection["team"], key=lambda member: not member["is_head"])
    ]
    actions = await action_service.actions_for_inspection(inspection["id"])
    responsible = await unit_service.names(
        list({action.responsible_unit_id for action in actions}), language=language
    )
    shas = sorted(
        {sha for answer in inspection["answers"] for sha in answer["evidence"]}
        | {sha for finding in inspection["findings"] for sha in finding["evidence"]}
    )
    evidence_rows = await evidence_service.metadata(shas)
    zone = ZoneInfo(unit.time_zone)
    signed_at = inspection["signed_at"] or inspection["submitted_at"] or datetime.now(UTC)
    issued_on = signed_at.astimezone(zone).date()
    number = None
    if inspection["status"] in SIGNED:
        number = await _number_for(inspection, issuing_unit.id, issued_on)
    return minutes.build(
        language=language,
        inspection=inspection,
        template=template,
        unit=unit,
        issuing_unit=issuing_unit,
        plan_title=plan.title if plan else None,
        team=team,
        actions=actions,
        responsible_units=responsible,
        evidence_rows=evidence_rows,
        number=number,
        symbol=SYMBOL,
        issued_on=issued_on,
        base_url=settings.public_base_url,
        dossier_sample=await sample_service.sample_progress(inspection["id"]),
    )


def _html(content: minutes.MinutesContent) -> str:
    return (
        rendering.templates()
        .get_template("minutes.html")
        .render(c=content, qr=qr_data_uri(content.verify_url))
    )


class RenderedMinutes(BaseModel):
    pdf: bytes
    filename: str
    render_seconds: float | None
    stored: bool


async def minutes_pdf(
    *, inspection_id: UUID, principal: Principal, settings: Settings, language: str = "vi"
) -> RenderedMinutes:
    language = language if language in ("vi", "en") else "vi"
    detail = await inspection_service.get_inspection(
        inspection_id=inspection_id, principal=principal
    )
    inspection = detail.model_dump()
    signed = detail.status.value in SIGNED
    if signed:
        stored = await _stored(inspection_id, language)
        if stored is not None:
            return RenderedMinutes(
                pdf=await _read(stored["file_path"], settings),
                filename=_filename(detail.unit.code, language),
                render_seconds=None,
                stored=True,
            )
    content = await _content(inspection, language=language, settings=settings)
    started = time.perf_counter()
    # Read here, by the API process, and handed to the render process with the HTML.
    images = await evidence_service.derivatives_for_print(
        minutes.image_sha256s(content), settings=settings
    )
    pdf = await rendering.render_pdf_async(_html(content), images=images, stylesheet="minutes.css")
    elapsed = time.perf_counter() - started
    if signed:
        pdf = await _store(inspection_id, language, content.content_sha256, pdf, settings)
    return RenderedMinutes(
        pdf=pdf,
        filename=_filename(detail.unit.code, language),
        render_seconds=round(elapsed, 3),
        stored=signed,
    )


def _filename(unit_code: str, language: str) -> str:
    return f"bien-ban-{unit_code}{'' if language == 'vi' else '-en'}.pdf"


async def _stored(inspection_id: UUID, language: str) -> dict[str, Any] | None:
    return (
        await MinutesDocument.select()
        .where(MinutesDocument.inspection_id == inspection_id, MinutesDocument.language == language)
        .first()
    )


async def _read(key: str, settings: Settings) -> bytes:
    return await storage.for_settings(settings).get(key)


async def _store(
    inspection_id: UUID, language: str, content_sha: str, pdf: bytes, settings: Settings
) -> bytes:
    """Keep the first rendering of signed minutes; a concurrent second one yields to it."""
    pdf_sha = hashlib.sha256(pdf).hexdigest()
    relative = storage.content_key("minutes", pdf_sha, ".pdf")
    # Stored before the row is written: a row always names a stored file.
    await storage.for_settings(settings).put(relative, pdf, sha256=pdf_sha)
    try:
        async with db.write_transaction():
            await MinutesDocument.insert(
                MinutesDocument(
                    id=uuid4(),
                    inspection_id=inspection_id,
                    language=language,
                    content_sha256=content_sha,
                    pdf_sha256=pdf_sha,
                    file_path=relative,
                    size_bytes=len(pdf),
                    created_at=datetime.now(UTC),
                )
            )
    except Exception as error:
        if not db.is_unique_violation(error):
            raise
        winner = await _stored(inspection_id, language)
        assert winner is not None
        return await _read(winner["file_path"], settings)
    return pdf


class VerificationOut(BaseModel):
    document: str
    number: str
    date: str
    unit: str
    status: str


async def verify_document(sha256: str) -> VerificationOut:
    """Public: what a printed hash (or the PDF file's hash) belongs to, and nothing more."""
    sha256 = sha256.lower()
    document = (
        await MinutesDocument.select()
        .where((MinutesDocument.content_sha256 == sha256) | (MinutesDocument.pdf_sha256 == sha256))
        .first()
    )
    if document is None:
        raise NotFound("No document with this SHA-256 was issued by this server.")
    number = (
        await MinutesNumber.select()
        .where(MinutesNumber.inspection_id == document["inspection_id"])
        .first()
    )
    facts = await inspection_service.inspection_facts(document["inspection_id"])
    assert number is not None and facts is not None
    unit = await unit_service.get_unit_unscoped(facts.unit_id)
    return VerificationOut(
        document="Biên bản kiểm tra" if document["language"] == "vi" else "Inspection minutes",
        number=f"{number['number']:02d}/{number['symbol']}",
        date=number["issued_on"].isoformat(),
        unit=unit.name_vi if unit else "",
        status=facts.status,
    )
