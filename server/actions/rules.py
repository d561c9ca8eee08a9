"""The corrective-action state machine and who may make each move (pure; DESIGN §2.5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActionStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    submitted = "submitted"
    returned = "returned"
    verified = "verified"


class Mover(StrEnum):
    """Who is asking, relative to this action."""

    responsible_head = "responsible_head"  # unit head of the responsible unit
    # An inspector of the inspection, or a leader or admin homed strictly above the responsible
    # unit; never someone of the responsible unit itself.
    verifier = "verifier"
    # A leader, admin or inspector homed at the responsible unit or below it, who would otherwise
    # verify: nobody verifies their own unit's fix.
    own_unit = "own_unit"
    other = "other"


@dataclass(frozen=True)
class Move:
    source: ActionStatus
    target: ActionStatus
    by: Mover
    needs_report_and_evidence: bool = False
    needs_comment: bool = False


MOVES = [
    Move(ActionStatus.open, ActionStatus.acknowledged, Mover.responsible_head),
    Move(ActionStatus.acknowledged, ActionStatus.in_progress, Mover.responsible_head),
    Move(
        ActionStatus.in_progress,
        ActionStatus.submitted,
        Mover.responsible_head,
        needs_report_and_evidence=True,
    ),
    Move(ActionStatus.submitted, ActionStatus.verified, Mover.verifier),
    Move(ActionStatus.submitted, ActionStatus.returned, Mover.verifier, needs_comment=True),
    Move(ActionStatus.returned, ActionStatus.in_progress, Mover.responsible_head),
]


class MoveRefused(ValueError):
    pass


def find_move(source: ActionStatus, target: ActionStatus, mover: Mover) -> Move:
    candidates = [move for move in MOVES if move.source == source and move.target == target]
    if not candidates:
        allowed = ", ".join(move.target.value for move in MOVES if move.source == source) or "none"
        raise MoveRefused(
            f"An action that is {source.value} cannot become {target.value} "
            f"(possible next states: {allowed})."
        )
    move = candidates[0]
    if move.by != mover:
        who = {
            Mover.responsible_head: "the head of the responsible unit",
            Mover.verifier: "an inspector of this inspection or a leader above the unit",
            Mover.own_unit: "nobody",
            Mover.other: "nobody",
        }[move.by]
        refusal = f"Only {who} may move an action from {source.value} to {target.value}."
        if mover == Mover.own_unit and move.by == Mover.verifier:
            refusal += (
                " You work in the responsible unit (or below it), and nobody verifies their own "
                "unit's fix: a leader above the unit must do it."
            )
        raise MoveRefused(refusal)
    return move
