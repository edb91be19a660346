"""Pure recall rules: the unit state machine and the basis of a campaign."""

from __future__ import annotations

from registry.errors import CONFLICT, INVALID, DomainError

UNIT_STATES = ("identified", "notified", "remedied", "unreachable", "destroyed")
TRANSITIONS = {
    "identified": ("notified", "remedied", "unreachable", "destroyed"),
    "notified": ("remedied", "unreachable", "destroyed"),
    "unreachable": ("notified", "remedied", "destroyed"),
    "remedied": (),
    "destroyed": (),
}
COMPLETE = ("remedied", "destroyed")  # a unit in these states needs nothing more
BASIS_TYPES = ("lots", "part", "serials")


class RecallError(DomainError):
    """A request the recall rules refuse."""

    titles = {**DomainError.titles, INVALID: "Refused by a recall rule", CONFLICT: "Conflict with the campaign's state"}


def check_transition(current: str, target: str) -> None:
    if target is None or target == "":
        raise RecallError("the unit's new state is required", code="missing_field", field="state")
    if target not in UNIT_STATES:
        raise RecallError(f"state must be one of {', '.join(UNIT_STATES)}", code="invalid_state", field="state")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "nothing (it is final)"
        raise RecallError(
            f"a unit that is {current} can become {allowed}, not {target}",
            code="invalid_transition",
            kind=CONFLICT,
            field="state",
        )
