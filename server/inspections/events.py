"""An inspection's lifecycle events, typed, and who is told of them.

Other packages react to these inside the same transaction (corrective actions on submit,
notifications on start, the minutes' number on signing) without this package importing them:
they subscribe once, in the app factory's table of subscriptions, and mypy checks that each
handler takes the event it subscribes to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from server.core.scopes import Principal


@dataclass(frozen=True)
class InspectionStarted:
    inspection: dict[str, Any]  # the inspection's row as stored, just after the change
    principal: Principal
    now: datetime


@dataclass(frozen=True)
class InspectionSubmitted:
    inspection: dict[str, Any]
    findings: list[dict[str, Any]]  # every finding of the inspection, failed items and manual ones
    due_days_policy: dict[str, int]  # days to fix per severity, from the checklist
    principal: Principal
    now: datetime


@dataclass(frozen=True)
class InspectionSigned:
    inspection: dict[str, Any]
    principal: Principal
    now: datetime


LifecycleEvent = InspectionStarted | InspectionSubmitted | InspectionSigned
Event = TypeVar("Event", InspectionStarted, InspectionSubmitted, InspectionSigned)

_handlers: dict[type, list[Callable[[Any], Awaitable[None]]]] = {}


def subscribe(event_type: type[Event], handler: Callable[[Event], Awaitable[None]]) -> None:
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


async def publish(event: LifecycleEvent) -> None:
    """Tell every subscriber, in the order they subscribed, inside the caller's transaction."""
    for handler in _handlers.get(type(event), []):
        await handler(event)
