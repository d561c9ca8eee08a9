"""Publishing immutable checklist versions and reading them back.

A version is identified by (template key, version number) and sealed by the SHA-256 of its
canonical JSON. Publishing the same content again changes nothing; different content under an
existing version number is refused, because inspections already scored against it must keep their
meaning. Publish a new version number instead.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import anyio.to_thread

from checklists.canonical import canonical_json, content_sha256
from checklists.format import ChecklistTemplate
from checklists.schemas import (
    ChecklistTemplateOut,
    ChecklistVersionOut,
    ChecklistVersionSummary,
    PublishOut,
)
from checklists.tables import ChecklistVersion
from checklists.validator import ChecklistInvalid, load_template
from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from server.core.scopes import Principal, Role, require_role

SHIPPED_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SUMMARY_COLUMNS = (
    ChecklistVersion.id,
    ChecklistVersion.template_key,
    ChecklistVersion.version,
    ChecklistVersion.title_vi,
    ChecklistVersion.title_en,
    ChecklistVersion.content_sha256,
    ChecklistVersion.published_at,
    ChecklistVersion.published_by,
)


class PublishRefused(Conflict):
    pass


def parse_checklist(text: str, filename: str) -> ChecklistTemplate:
    """Validate a checklist file's text; every problem becomes one entry of a 422 problem."""
    try:
        return load_template(text, filename)
    except ChecklistInvalid as error:
        issues = [issue.model_dump() for issue in error.issues]
        listing = "; ".join(
            f"line {issue['line']}, column {issue['column']}: {issue['path']}: {issue['message']}"
            for issue in issues[:20]
        )
        raise InvalidInput(
            f"The checklist has {len(issues)} error(s): {listing}",
            extra={"issues": issues},
        ) from error


async def publish(template: ChecklistTemplate, *, actor: audit_service.Actor) -> PublishOut:
    content = canonical_json(template)
    digest = content_sha256(template)
    async with db.write_transaction():
        existing = (
            await ChecklistVersion.select(*SUMMARY_COLUMNS)
            .where(
                ChecklistVersion.template_key == template.key,
                ChecklistVersion.version == template.version,
            )
            .first()
        )
        if existing is not None:
            if existing["content_sha256"] == digest:
                return PublishOut(outcome="unchanged", version=ChecklistVersionSummary(**existing))
            raise PublishRefused(
                f"Checklist {template.key} version {template.version} is already published with "
                "different content, and published versions never change. Give the file a new "
                f"version number (e.g. {template.version + 1}) and publish that."
            )
        version_id = uuid4()
        await ChecklistVersion.insert(
            ChecklistVersion(
                id=version_id,
                template_key=template.key,
                version=template.version,
                title_vi=template.title.vi,
                title_en=template.title.en,
                content=json.loads(content),
                content_sha256=digest,
                published_at=datetime.now(UTC),
                published_by=actor.label,
            )
        )
        await audit_service.record(
            actor=actor,
            action="checklist.published",
            object_type="checklist_version",
            object_id=version_id,
            summary={"key": template.key, "version": template.version, "sha256": digest},
        )
        row = (
            await ChecklistVersion.select(*SUMMARY_COLUMNS)
            .where(ChecklistVersion.id == version_id)
            .first()
        )
    assert row is not None
    return PublishOut(outcome="published", version=ChecklistVersionSummary(**row))


async def publish_text(text: str, filename: str, *, principal: Principal) -> PublishOut:
    """Checklist versions have no owning unit: every unit of the tree is inspected against them,
    so only an admin homed at the root of the tree publishes one."""
    require_role(principal, Role.admin)
    if not principal.homed_at_root:
        raise PermissionDenied(
            "Only an admin of the whole unit tree (homed at its root unit) may publish a "
            "checklist version: every unit is inspected against it. Send the file to that admin."
        )
    template = await anyio.to_thread.run_sync(parse_checklist, text, filename)
    return await publish(template, actor=audit_service.actor_of(principal))


async def publish_file(path: str | Path) -> str:
    """CLI: validate and publish one file; returns a one-line outcome for the terminal."""
    path = Path(path)
    try:
        template = parse_checklist(path.read_text(encoding="utf-8"), str(path))
    except InvalidInput as error:
        raise PublishRefused(error.detail) from error
    result = await publish(template, actor=audit_service.Actor(id=None, label="cli"))
    version = result.version
    return (
        f"{path}: {result.outcome} {version.template_key} v{version.version} "
        f"sha256={version.content_sha256}"
    )


async def publish_shipped() -> list[str]:
    """Publish every template shipped with the project (used by `spotcheck demo`)."""
    return [await publish_file(path) for path in sorted(SHIPPED_TEMPLATES_DIR.glob("*.yaml"))]


async def list_templates() -> list[ChecklistTemplateOut]:
    rows = (
        await ChecklistVersion.select(*SUMMARY_COLUMNS)
        .order_by(ChecklistVersion.template_key)
        .order_by(ChecklistVersion.version)
    )
    grouped: dict[str, list[ChecklistVersionSummary]] = {}
    for row in rows:
        grouped.setdefault(row["template_key"], []).append(ChecklistVersionSummary(**row))
    return [
        ChecklistTemplateOut(template_key=key, versions=versions)
        for key, versions in grouped.items()
    ]


async def get_version(version_id: UUID) -> ChecklistVersionOut:
    row = (
        await ChecklistVersion.select()
        .where(ChecklistVersion.id == version_id)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(f"No checklist version {version_id}.")
    return ChecklistVersionOut(**row)


async def get_versions(version_ids: list[UUID]) -> list[ChecklistVersionOut]:
    if not version_ids:
        return []
    rows = (
        await ChecklistVersion.select()
        .where(ChecklistVersion.id.is_in(version_ids))
        .output(load_json=True)
    )
    return [ChecklistVersionOut(**row) for row in rows]


_template_cache: dict[UUID, ChecklistTemplate] = {}


async def load_version_template(version_id: UUID) -> ChecklistTemplate:
    """The parsed template of a published version. Versions are immutable, so caching is safe."""
    if version_id not in _template_cache:
        version = await get_version(version_id)
        _template_cache[version_id] = ChecklistTemplate.model_validate(version.content)
    return _template_cache[version_id]


async def version_exists(version_id: UUID) -> bool:
    return bool(await ChecklistVersion.exists().where(ChecklistVersion.id == version_id))
