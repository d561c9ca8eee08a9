from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath

from checklists import services as checklist_service
from checklists.schemas import (
    ChecklistInvalidProblem,
    ChecklistTemplateOut,
    ChecklistVersionOut,
    PublishOut,
)
from server.core.errors import PROBLEM_MEDIA_TYPE, InvalidInput
from server.core.guards import requires_role
from server.core.openapi import problem_response
from server.core.scopes import Principal, Role

MAX_CHECKLIST_BYTES = 512_000


class ChecklistController(Controller):
    path = "/api/v1/checklists"
    tags = ["checklists"]

    @get("/", operation_id="listChecklists")
    async def list_checklists(self) -> list[ChecklistTemplateOut]:
        """Every checklist template with its published versions."""
        return await checklist_service.list_templates()

    @get("/versions/{version_id:uuid}", operation_id="getChecklistVersion")
    async def get_version(self, version_id: FromPath[UUID]) -> ChecklistVersionOut:
        """One published version with its full canonical content."""
        return await checklist_service.get_version(version_id)

    @post(
        "/",
        operation_id="publishChecklist",
        guards=[requires_role(Role.admin)],
        request_max_body_size=MAX_CHECKLIST_BYTES,
        responses={
            413: problem_response("The file is larger than 512 KB."),
            422: ResponseSpec(
                data_container=ChecklistInvalidProblem,
                generate_examples=False,
                description="The file does not validate: `issues` lists every problem with its "
                "line, column and path",
                media_type=PROBLEM_MEDIA_TYPE,
            ),
        },
    )
    async def publish(
        self, request: Request[Principal, None, Any], principal: NamedDependency[Principal]
    ) -> PublishOut:
        """Publish a checklist YAML file (send the file as the raw body, any text content type).

        Only an admin homed at the root of the unit tree may publish (403 otherwise): checklist
        versions are shared by every unit.

        Every validation error is listed in the 422 problem's `issues` (file, line, column, path,
        message), not only in its `detail` text. Publishing identical content
        again is a no-op ('unchanged'); different content under a published version is refused.
        """
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput("The checklist file must be UTF-8 text.") from error
        return await checklist_service.publish_text(text, "upload.yaml", principal=principal)
