"""The OpenAPI document is the contract (DESIGN §5): complete, unambiguous, honest about auth."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


async def fetch_schema(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def effective_security(schema: dict[str, Any], operation: dict[str, Any]) -> list[Any]:
    """An operation's own `security` replaces the document's; absent, it inherits it."""
    return list(operation.get("security", schema.get("security", [])))


def by_operation_id(schema: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for _, _, operation in operations(schema):
        if operation.get("operationId") == operation_id:
            return operation
    raise AssertionError(f"no operation {operation_id!r}")


async def test_every_operation_has_an_id_and_a_tag(client: Client) -> None:
    schema = await fetch_schema(client)
    ops = operations(schema)
    declared_tags = {tag["name"] for tag in schema.get("tags", [])}

    assert len(ops) >= 10
    for path, method, operation in ops:
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), f"{where} has no operationId"
        assert operation.get("tags"), f"{where} has no tag"
        assert set(operation["tags"]) <= declared_tags, f"{where} uses an undeclared tag"


async def test_operation_ids_are_unique(client: Client) -> None:
    schema = await fetch_schema(client)

    counts = Counter(operation["operationId"] for _, _, operation in operations(schema))

    assert [name for name, count in counts.items() if count > 1] == []


async def test_a_bearer_scheme_protects_the_api(client: Client) -> None:
    schema = await fetch_schema(client)
    schemes = schema["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"]

    assert bearer, schemes
    assert schemes[bearer[0]]["type"] == "http"
    for operation_id in ("listUnits", "getUser", "logout", "getMe"):
        requirements = effective_security(schema, by_operation_id(schema, operation_id))
        assert any(bearer[0] in requirement for requirement in requirements), operation_id


@pytest.mark.parametrize(
    "operation_id",
    [
        "login",
        "refresh",
        "health",
        "version",
        "verifyDocument",
    ],
)
async def test_public_operations_need_no_token(client: Client, operation_id: str) -> None:
    schema = await fetch_schema(client)

    operation = by_operation_id(schema, operation_id)

    assert effective_security(schema, operation) == []


@pytest.mark.parametrize(
    "operation_id", ["listActions", "listInspections", "listUsers", "listNotifications"]
)
async def test_paged_lists_document_limit_offset_and_the_total_header(
    client: Client, operation_id: str
) -> None:
    schema = await fetch_schema(client)

    operation = by_operation_id(schema, operation_id)

    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["limit"]["schema"]["default"] == 200
    assert parameters["limit"]["schema"]["maximum"] == 500
    assert parameters["offset"]["schema"]["default"] == 0
    ok = operation["responses"]["200"]
    assert "X-Total-Count" in ok["headers"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"
