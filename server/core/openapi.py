"""What the OpenAPI document says each operation can answer (DESIGN §5: the schema is the contract).

Every error is an RFC 9457 problem (``application/problem+json``, schema ``ProblemDetails``). The
statuses that follow from the shape of a route are documented here, once, worked out from each
handler when the app registers it:

- every operation: 500 (unexpected) and 503 (the database is briefly unreachable);
- an operation that needs a token (its path is not in the app's public paths, the same list the
  auth middleware uses): 401, and 403 (a route guard or its service may refuse: the rules about
  places in the tree live in the services);
- an operation with path parameters, or with an id (UUID) among its inputs: 404;
- an operation with any input: 422 (the framework's validation errors are mapped to 422);
- an operation with a JSON body: 400 (malformed JSON) and 413 (larger than the server accepts).

Statuses that depend on what a route does (409, 413 and 415 on uploads, 429, a non-problem 503)
are declared on its decorator with :func:`problem_response`; a decorator's entry wins over the
computed one.

What Litestar 2 leaves out of or gets wrong in the document is put right here too, so that a
schema-valid request is one the server accepts: ``additionalProperties: false`` for models with
``extra="forbid"``, the constraints of list items, the length of an optional list, a non-blank
pattern for text stripped before its length is checked, and no generic JSON 400 where there is no
body to be malformed (its validation errors are answered 422).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, get_args, get_origin
from uuid import UUID

from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIHeader, Operation, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import PathParameter
from litestar.plugins import ReceiveRoutePlugin
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition
from pydantic import BaseModel

from server.core.errors import PROBLEM_MEDIA_TYPE, ProblemDetails

# Handler parameters that are not client input (Litestar's reserved names; dependencies are
# recognised separately).
_RESERVED_KWARGS = frozenset(
    {"request", "socket", "state", "scope", "headers", "cookies", "query", "body"}
)
_BODY_KWARG = "data"


SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
Sha256Path = Annotated[
    str,
    PathParameter(
        # Documented, not enforced here: the handler checks it and says what is wrong.
        schema_extra={"pattern": SHA256_PATTERN},
        description="A SHA-256 as 64 hexadecimal characters",
    ),
]
"""A path parameter naming a file or document by its SHA-256 (evidence, minutes)."""


def problem_response(description: str) -> ResponseSpec:
    """A problem+json response for a decorator's ``responses={status: ...}``."""
    return ResponseSpec(
        data_container=ProblemDetails,
        generate_examples=False,
        description=description,
        media_type=PROBLEM_MEDIA_TYPE,
    )


SERVER_ERROR = "An error on the server's side (logged): reload to see what was saved, then retry."
UNAVAILABLE = "The database is briefly unreachable: try again after `Retry-After` seconds."
NOT_AUTHENTICATED = (
    "No valid access token (missing, expired or revoked, or the account was deactivated): "
    "log in again or refresh the token."
)
FORBIDDEN = "Your role may not do this."
NOT_FOUND = "Nothing with that id (or name) in your part of the unit tree."
INVALID_INPUT = (
    "The input breaks a rule: `detail` says which, and `invalid_params` lists the refused fields."
)
MALFORMED = "The body is not well-formed JSON."
TOO_LARGE = "The body is larger than the server accepts."

_RESPONSE_HEADERS = {
    "401": {
        "WWW-Authenticate": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING), description='`Bearer realm="spotcheck"`'
        )
    },
    "429": {
        "Retry-After": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.INTEGER),
            description="Seconds to wait before trying again",
        )
    },
    "503": {
        "Retry-After": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.INTEGER),
            description="Seconds to wait before trying again",
        )
    },
}


@dataclass(frozen=True)
class HandlerShape:
    """What the documented statuses of an operation follow from."""

    needs_token: bool
    has_path_parameters: bool
    has_input: bool
    has_json_body: bool
    refers_to_ids: bool

    def problems(self) -> dict[int, str]:
        statuses = {500: SERVER_ERROR, 503: UNAVAILABLE}
        if self.needs_token:
            statuses |= {401: NOT_AUTHENTICATED, 403: FORBIDDEN}
        if self.has_path_parameters or self.refers_to_ids:
            statuses[404] = NOT_FOUND
        if self.has_input:
            statuses[422] = INVALID_INPUT
        if self.has_json_body:
            statuses |= {400: MALFORMED, 413: TOO_LARGE}
        return statuses


def handler_shape(
    route: HTTPRoute, handler: HTTPRouteHandler, *, public_paths: Sequence[str]
) -> HandlerShape:
    dependencies = set(handler.resolve_dependencies())
    inputs = {
        name: field
        for name, field in handler.parsed_fn_signature.parameters.items()
        if name not in dependencies and name not in _RESERVED_KWARGS
    }
    path_parameters = route.path_parameters
    # A typed path parameter ({id:uuid}) that does not parse matches no route (404); only a
    # plain string one reaches the handler, whose rules may refuse it (422).
    validated = [name for name in inputs if name not in path_parameters] + [
        name for name, parameter in path_parameters.items() if parameter.type is str
    ]
    return HandlerShape(
        needs_token=not any(re.search(pattern, route.path) for pattern in public_paths),
        has_path_parameters=bool(path_parameters),
        has_input=bool(validated),
        has_json_body=_BODY_KWARG in inputs,
        refers_to_ids=any(_mentions_uuid(field.annotation) for field in inputs.values()),
    )


def _mentions_uuid(annotation: Any, seen: set[int] | None = None) -> bool:
    """Whether a type is, or contains (in a union, a list or a model's fields), a UUID."""
    seen = set() if seen is None else seen
    if id(annotation) in seen:
        return False
    seen.add(id(annotation))
    if annotation is UUID:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(
            _mentions_uuid(field.annotation, seen) for field in annotation.model_fields.values()
        )
    if get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        return any(_mentions_uuid(argument, seen) for argument in get_args(annotation))
    return False


_DOCUMENTED_OPERATIONS: dict[type[Operation], type[Operation]] = {}


def _documented_operation(base: type[Operation]) -> type[Operation]:
    """``base`` (Operation, or e.g. PublicOperation) that tidies its responses once built: the
    handler's ``operation_class`` is the one hook Litestar gives into a finished operation."""
    if base not in _DOCUMENTED_OPERATIONS:

        @dataclass
        class DocumentedOperation(base):  # type: ignore[valid-type,misc]
            documents_problems: ClassVar[bool] = True

            def __post_init__(self) -> None:
                parent_post_init = getattr(super(), "__post_init__", None)
                if parent_post_init is not None:
                    parent_post_init()
                _tidy_responses(self)

        DocumentedOperation.__name__ = f"Documented{base.__name__}"
        DocumentedOperation.__qualname__ = DocumentedOperation.__name__
        _DOCUMENTED_OPERATIONS[base] = DocumentedOperation
    return _DOCUMENTED_OPERATIONS[base]


def _tidy_responses(operation: Operation) -> None:
    """Drop the framework's generic JSON 400 where there is no body to be malformed (its
    validation errors are answered 422), add the headers of a 401 and a 429, sort by status."""
    responses = dict(operation.responses or {})
    if operation.request_body is None and _is_framework_bad_request(responses.get("400")):
        responses.pop("400")
    for status, headers in _RESPONSE_HEADERS.items():
        response = responses.get(status)
        if response is not None and not isinstance(response, Reference):
            response.headers = {**headers, **(response.headers or {})}
    operation.responses = dict(sorted(responses.items()))


def _is_framework_bad_request(response: Any) -> bool:
    """Litestar's own 400 for validation errors (JSON, not a problem), which we answer as 422."""
    if response is None or isinstance(response, Reference):
        return False
    return PROBLEM_MEDIA_TYPE not in (response.content or {})


class ProblemResponses(ReceiveRoutePlugin):
    """Adds the problems of :class:`HandlerShape` to each handler as the app registers it."""

    def __init__(self, *, public_paths: Sequence[str]) -> None:
        self.public_paths = list(public_paths)

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            shape = handler_shape(route, handler, public_paths=self.public_paths)
            declared = dict(handler.responses or {})
            computed = {
                status: problem_response(description)
                for status, description in shape.problems().items()
            }
            handler.responses = {**computed, **declared}
            if not getattr(handler.operation_class, "documents_problems", False):
                handler.operation_class = _documented_operation(handler.operation_class)


class StrictPydanticSchemaPlugin(PydanticSchemaPlugin):
    """Litestar's Pydantic schemas, plus what the server enforces and Litestar leaves out:
    ``additionalProperties: false`` for models that forbid extra fields, the constraints of list
    items (``list[Sha256]``), and, for text that is stripped before its minimum length is
    checked, a pattern that asks for a non-blank character."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        model = field_definition.annotation
        if getattr(model, "model_config", {}).get("extra") == "forbid":
            schema.additional_properties = False
        for name, field in model.model_fields.items():
            prop = (schema.properties or {}).get(field.alias or name)
            if isinstance(prop, Schema):
                _complete_string_constraints(prop, field.annotation, field.metadata)
        return schema


def _complete_string_constraints(prop: Schema, annotation: Any, metadata: Sequence[Any]) -> None:
    _move_length_to_optional_array(prop)
    for variant in [prop, *(prop.one_of or [])]:
        if not isinstance(variant, Schema):
            continue
        if variant.type == OpenAPIType.STRING:
            _apply_string_metadata(variant, [*metadata, *_annotated_metadata(annotation)])
        elif variant.type == OpenAPIType.ARRAY and isinstance(variant.items, Schema):
            item = _sequence_item(annotation)
            if item is not None and variant.items.type == OpenAPIType.STRING:
                _apply_string_metadata(variant.items, _annotated_metadata(item))


def _move_length_to_optional_array(prop: Schema) -> None:
    """Litestar puts the length of an optional list (``list[X] | None``, ``max_length=10``) on the
    ``oneOf`` as ``maxLength``, which constrains only strings; it belongs to the array."""
    arrays = [v for v in prop.one_of or [] if isinstance(v, Schema) and v.type == OpenAPIType.ARRAY]
    if len(arrays) != 1:
        return
    if prop.max_length is not None:
        arrays[0].max_items, prop.max_length = prop.max_length, None
    if prop.min_length is not None:
        arrays[0].min_items, prop.min_length = prop.min_length, None


def _sequence_item(annotation: Any) -> Any:
    for candidate in [annotation, *get_args(annotation)]:
        if get_origin(candidate) in (list, tuple, set, frozenset) and get_args(candidate):
            return get_args(candidate)[0]
    return None


def _annotated_metadata(annotation: Any) -> list[Any]:
    """The metadata of ``Annotated[str, ...]``, also inside ``X | None``."""
    for candidate in [annotation, *get_args(annotation)]:
        if get_origin(candidate) is Annotated:
            found: list[Any] = []
            for item in get_args(candidate)[1:]:
                found += [item, *getattr(item, "metadata", [])]
            return found
    return []


def _apply_string_metadata(schema: Schema, metadata: Sequence[Any]) -> None:
    strip = False
    for item in metadata:
        if (pattern := getattr(item, "pattern", None)) and schema.pattern is None:
            schema.pattern = str(pattern)
        if (minimum := getattr(item, "min_length", None)) is not None and schema.min_length is None:
            schema.min_length = minimum
        if (maximum := getattr(item, "max_length", None)) is not None and schema.max_length is None:
            schema.max_length = maximum
        strip = strip or bool(getattr(item, "strip_whitespace", False))
    if strip and (schema.min_length or 0) >= 1 and schema.pattern is None:
        schema.pattern = r"\S"


def openapi_plugins(*, public_paths: Iterable[str]) -> list[Any]:
    """The plugins that make the document say what the server really answers."""
    return [
        ProblemResponses(public_paths=list(public_paths)),
        StrictPydanticSchemaPlugin(),
    ]
