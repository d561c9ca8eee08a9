"""The OpenAPI document tells clients every error an operation can answer, as problem+json, and
states the input rules the server enforces (server/core/openapi.py). The live check against the real
server is tests/server/test_schemathesis.py; these read the document alone, fast."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.test_openapi import by_operation_id, effective_security, fetch_schema, operations

PROBLEM = "application/problem+json"


def problem_ref(response: dict[str, Any]) -> str:
    return str(response["content"][PROBLEM]["schema"]["$ref"])


async def test_every_error_an_operation_documents_is_a_problem(client: httpx.AsyncClient) -> None:
    schema = await fetch_schema(client)

    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (operation["operationId"], status) == ("health", "503"):
                continue
            where = f"{method.upper()} {path} {status}"
            assert list(response.get("content", {})) == [PROBLEM], where
            assert problem_ref(response).startswith("#/components/schemas/"), where
            assert response["description"], where


async def test_every_operation_documents_server_errors(client: httpx.AsyncClient) -> None:
    schema = await fetch_schema(client)

    for path, method, operation in operations(schema):
        assert {"500", "503"} <= set(operation["responses"]), f"{method.upper()} {path}"


async def test_operations_behind_a_token_document_401_and_403_and_public_ones_do_not(
    client: httpx.AsyncClient,
) -> None:
    schema = await fetch_schema(client)

    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        if effective_security(schema, operation):
            assert {"401", "403"} <= statuses, where
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], where
        elif operation["operationId"] not in ("login", "refresh"):
            assert not {"401", "403"} & statuses, where


async def test_operations_with_an_id_in_the_path_document_404(client: httpx.AsyncClient) -> None:
    schema = await fetch_schema(client)

    for path, method, operation in operations(schema):
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in operation["responses"], f"{method.upper()} {path}"


async def test_a_400_is_documented_only_where_there_is_a_body_to_be_malformed(
    client: httpx.AsyncClient,
) -> None:
    schema = await fetch_schema(client)

    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content or "multipart/form-data" in content:
            # A form can be malformed too (Litestar answers "Invalid multipart/form-data").
            assert {"400", "413", "422"} <= set(operation["responses"]), where
        else:
            assert "400" not in operation["responses"], where


async def test_login_documents_wrong_credentials_and_the_lockout_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    schema = await fetch_schema(client)

    responses = by_operation_id(schema, "login")["responses"]

    assert {"401", "422", "429"} <= set(responses)
    assert "Retry-After" in responses["429"]["headers"]


async def test_the_problem_schema_has_the_rfc_9457_members(client: httpx.AsyncClient) -> None:
    schema = await fetch_schema(client)

    problem = schema["components"]["schemas"]["ProblemDetails"]

    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
    assert problem.get("additionalProperties", True) is not False  # kinds add their own members


async def test_input_schemas_say_what_the_server_refuses(client: httpx.AsyncClient) -> None:
    schemas = (await fetch_schema(client))["components"]["schemas"]

    # Unknown fields are refused (extra="forbid").
    assert schemas["LoginIn"]["additionalProperties"] is False
    # Constraints on list items (Litestar drops them) and on the length of an optional list.
    assert schemas["AddendumIn"]["properties"]["evidence"]["items"]["pattern"] == "^[0-9a-f]{64}$"
    targets = schemas["UserPatch"]["properties"]["notification_targets"]["oneOf"]
    assert [variant.get("maxItems") for variant in targets if variant["type"] == "array"] == [10]
    # Text that is stripped before its length is checked must hold a non-blank character.
    assert schemas["CommentIn"]["properties"]["text"]["pattern"] == r"\S"
