"""Pure recall rules: the unit state machine and the basis of a campaign."""
from __future__ import annotations

from registry.errors import RegistryError

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


class RecallError(RegistryError):
    """A request the recall rules refuse: 409 when it conflicts with the campaign's state, 422 otherwise."""

    def __init__(self, detail: str, *, code: str, status: int = 422, field: str | None = None):
        super().__init__(detail, field=field)
        self.code, self.status = code, status
        self.title = "Conflict with the campaign's state" if status == 409 else "Refused by a recall rule"


def check_transition(current: str, target: str) -> None:
    if target not in UNIT_STATES:
        raise RecallError(f"state must be one of {', '.join(UNIT_STATES)}", code="invalid_state", field="state")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "nothing (it is final)"
        raise RecallError(f"a unit that is {current} can become {allowed}, not {target}", code="invalid_transition",
                          status=409, field="state")
