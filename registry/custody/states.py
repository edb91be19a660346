"""Custody as a state machine: for each item kind, which event may follow which state, and where each
event leads. The service checks every new event and every correction against it; the projection
folds an item's effective records through it to find the item's status and holder; the README's
table is rendered from it (`markdown_table`).

Pure: no database. A state is the item's status, with `disposed` split by who received the item,
since a firearm disposed of to a non-licensee has left the licensee's custody and comes back only by
a new acquisition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

KINDS = ("firearm", "vehicle", "goods")
STATES = (
    "registered",
    "in_custody",
    "quarantined",
    "disposed_to_licensee",
    "disposed_to_non_licensee",
    "stolen",
    "lost",
    "destroyed",
    "exported",
)
EVENTS = (
    "acquired",
    "disposed",
    "transferred",
    "stolen",
    "lost",
    "recovered",
    "released",
    "destroyed",
    "exported",
    "quarantined",
)
STATUS_EVENTS = ("stolen", "lost", "recovered", "released", "destroyed", "exported", "quarantined")
STATE_LABELS = {
    "registered": "registered, never acquired",
    "in_custody": "in custody",
    "quarantined": "quarantined",
    "disposed_to_licensee": "disposed of to a licensee",
    "disposed_to_non_licensee": "disposed of to a non-licensee",
    "stolen": "stolen",
    "lost": "lost",
    "destroyed": "destroyed",
    "exported": "exported",
}

_HELD = {"disposed", "stolen", "lost", "destroyed", "exported", "quarantined"}
_COMMON = {
    "registered": {"acquired", "stolen", "lost", "destroyed"},
    "in_custody": _HELD | {"transferred"},
    "quarantined": {"disposed", "released", "stolen", "lost", "destroyed", "exported"},
    "disposed_to_licensee": {"acquired"},
    "disposed_to_non_licensee": {"acquired"},
    "stolen": {"recovered"},
    "lost": {"recovered"},
    "destroyed": set(),
    "exported": {"acquired"},
}
# Which events may follow each state, per kind. A firearm changes hands only by a disposition and the
# receiving licensee's acquisition (27 CFR 478.125(e)), so it is never "transferred"; a vehicle or other
# goods may change owner after it left our custody, and the registry follows it.
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "firearm": {state: frozenset(events - {"transferred"}) for state, events in _COMMON.items()},
    "vehicle": {
        state: frozenset(events | ({"transferred"} if state.startswith("disposed") else set()))
        for state, events in _COMMON.items()
    },
}
ALLOWED["goods"] = ALLOWED["vehicle"]


class Refusal(Exception):
    """An event the rules refuse in the state it meets: a stable `code`, a message, and the field of
    the request at fault (if one is)."""

    def __init__(self, code: str, message: str, field: str | None = None, conflict: bool = True):
        super().__init__(message)
        self.code, self.message, self.field, self.conflict = code, message, field, conflict


@dataclass(frozen=True)
class Custody:
    """Where an item stands: its status (as the item table stores it), holder, whether and when it
    was last acquired, and the date of its latest event."""

    status: str
    holder_party_id: str | None
    holder_kind: str | None
    acquired: bool
    acquired_on: date | None  # the latest acquisition's date
    last_date: date

    @property
    def state(self) -> str:
        if self.status == "disposed":
            return "disposed_to_licensee" if self.holder_kind == "licensee" else "disposed_to_non_licensee"
        return self.status


@dataclass(frozen=True)
class Step:
    """One custody event as the rules read it (its effective values, corrections folded in)."""

    event: str  # one of EVENTS
    on: date
    party_id: str | None = None  # acquired: the recipient; disposed: the transferee; transferred: the new holder
    party_kind: str | None = None
    form_4473: str | None = None  # disposed only


def registered(on: date) -> Custody:
    return Custody(
        status="registered", holder_party_id=None, holder_kind=None, acquired=False, acquired_on=None, last_date=on
    )


def check(kind: str, custody: Custody, step: Step) -> None:
    """Raise Refusal when the rules forbid `step` in `custody` for an item of `kind`."""
    state = custody.state
    if step.event not in ALLOWED[kind][state]:
        raise _refusal(kind, state, step.event)
    if step.on < custody.last_date:
        raise Refusal(
            "date_before_previous_event",
            f"the date {step.on} precedes the item's previous event ({custody.last_date})",
            "date",
            conflict=False,
        )
    # A maker acquiring its own production names itself as the source (27 CFR 478.123): no rule
    # keeps the source and the recipient apart.
    if step.event == "acquired":
        if kind == "firearm" and step.party_kind != "licensee":
            raise Refusal(
                "recipient_not_licensee",
                "a firearm is acquired into a licensee's record: the recipient must be a licensee",
                "recipient_party_id",
                conflict=False,
            )
    if step.event in ("disposed", "transferred") and step.party_id == custody.holder_party_id:
        raise Refusal(
            "same_party",
            "that party holds the item already",
            "transferee_party_id" if step.event == "disposed" else "to_party_id",
            conflict=False,
        )
    if step.event == "disposed" and kind == "firearm" and step.party_kind == "person" and not step.form_4473:
        raise Refusal(
            "missing_field",
            "a disposition to a private person needs the Form 4473 transaction number",
            "form_4473",
            conflict=False,
        )


# Custody meets genealogy. A component installed in an assembly goes where the assembly goes, so the
# two records must not part: an assembly may not leave its holder (sold, exported, stolen, lost,
# destroyed) while a component in it is still held on its own record, or the book would keep a
# firearm that left inside a case; and nothing is recorded of a component inside an assembly that
# has left, since the component is wherever the assembly is. While the assembly is held, its
# components' own events go first (a rifle's suppressor is disposed of, then the rifle).
HELD = ("in_custody", "quarantined")
LEAVING = {  # the events that take an item from its holder, and what the record of each is called
    "disposed": "disposition",
    "transferred": "transfer",
    "exported": "export",
    "stolen": "theft",
    "lost": "loss",
    "destroyed": "destruction",
}
GONE_LABELS = {
    "disposed": "disposed of",
    "exported": "exported",
    "stolen": "stolen",
    "lost": "lost",
    "destroyed": "destroyed",
}


def check_assembly_held(serial: str, assembly: Custody) -> None:
    """Refuse an event of a component inside assembly `serial`, which stood as `assembly` at the end
    of the event's day: an assembly that left took the component with it."""
    if assembly.status in GONE_LABELS:
        raise Refusal(
            "assembly_left_custody",
            f"the item is installed in {serial}, which was {GONE_LABELS[assembly.status]}, and went with "
            f"it: nothing is recorded of it on its own until it is removed from {serial} or {serial} is "
            "held again",
        )


def check_component_left(step: Step, serial: str, component: Custody) -> None:
    """Refuse an assembly's `step` when component `serial`, inside it that day, stood as `component`
    at the day's end: one still held on its own record would stay in the book."""
    if step.event in LEAVING and component.status in HELD:  # `component` stood so at the day's end
        raise Refusal(
            "component_in_custody",
            f"{serial} is installed in this item and still held on its own record: record its own "
            f"{LEAVING[step.event]} first, or its removal, so the record shows where it went",
        )


SALES = ("disposed", "transferred", "exported")


def sells(custody: Custody, step: Step) -> bool:
    """Whether `step` is a sale, transfer or export by the item's holder."""
    return step.event in SALES and custody.status in HELD


def check_recall(unit: tuple[str, str] | None) -> None:
    """Refuse a sale (`sells`) of an item that is an unremedied unit of an open recall campaign
    (`unit`: the campaign's number and the unit's state): 49 CFR 573.11 lets a dealer deliver a
    recalled vehicle or item of equipment only once remedied, and 15 U.S.C. 2068(a)(2) forbids
    selling a recalled consumer product."""
    if unit is not None:
        raise Refusal(
            "recall_unremedied",
            f"the item is a unit of open recall campaign {unit[0]} ({unit[1]}): it leaves its holder only "
            "once remedied, or back to the party it was acquired from",
        )


def advance(custody: Custody, step: Step) -> Custody:
    """Where `step` leads from `custody` (no checks: replay follows what the ledger says)."""
    if step.event == "acquired":
        return replace(
            custody,
            status="in_custody",
            holder_party_id=step.party_id,
            holder_kind=step.party_kind,
            acquired=True,
            acquired_on=step.on,
            last_date=step.on,
        )
    if step.event == "disposed":
        return replace(
            custody, status="disposed", holder_party_id=step.party_id, holder_kind=step.party_kind, last_date=step.on
        )
    if step.event == "transferred":
        return replace(custody, holder_party_id=step.party_id, holder_kind=step.party_kind, last_date=step.on)
    status = {"recovered": "in_custody" if custody.acquired else "registered", "released": "in_custody"}.get(
        step.event, step.event
    )
    return replace(custody, status=status, last_date=step.on)


def _refusal(kind: str, state: str, event: str) -> Refusal:
    label = STATE_LABELS[state]
    if state == "registered" and event in ("disposed", "transferred"):
        return Refusal("not_acquired", "the item was never acquired: record its acquisition first")
    if event == "acquired" and state in ("in_custody", "quarantined"):
        return Refusal("already_held", "the item is held already: dispose of it before acquiring it again")
    if kind == "firearm" and event == "transferred":
        return Refusal(
            "firearm_not_transferable",
            "a firearm changes hands by a disposition (and the receiving licensee's acquisition), never by a transfer",
        )
    if state == "disposed_to_non_licensee" and event in ("disposed", "transferred"):
        return Refusal(
            "item_disposed",
            "the item was disposed of to a non-licensee and has left custody: it comes back only by a new acquisition",
        )
    if state.startswith("disposed") and event in ("disposed", "transferred"):
        return Refusal("item_disposed", "the item was disposed of: it comes back only by a new acquisition")
    if state in ("stolen", "lost", "destroyed", "exported") and event not in STATUS_EVENTS:
        return Refusal(f"item_{state}", f"the item is {label}")
    allowed = sorted(ALLOWED[kind][state])
    return Refusal(
        "invalid_transition",
        f"an item that is {label} cannot be {event}"
        + (f" (it may be {', '.join(allowed)})" if allowed else " (nothing may follow)"),
        "status",
    )


def markdown_table(kind: str) -> str:
    """The table of `kind` as the README shows it: a row per state, a column per event."""
    lines = ["| state | " + " | ".join(EVENTS) + " |", "|---|" + "---|" * len(EVENTS)]
    for state in STATES:
        marks = ["yes" if event in ALLOWED[kind][state] else "" for event in EVENTS]
        lines.append(f"| {STATE_LABELS[state]} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


README_MARKERS = (
    "<!-- custody states: made by `python -m registry.custody.states README.md` -->",
    "<!-- end of custody states -->",
)


def readme_section() -> str:
    """The README's state tables, between their markers."""
    parts = [README_MARKERS[0]]
    for kinds in (("firearm",), ("vehicle", "goods")):
        parts += [
            "",
            f"**{' and '.join(k + 's' if k != 'goods' else k for k in kinds).capitalize()}** "
            "(a row per state; `yes` where the event may follow):",
            "",
            markdown_table(kinds[0]),
        ]
    return "\n".join(parts + ["", README_MARKERS[1]])


def _write_readme(path: str) -> None:
    from pathlib import Path

    text = Path(path).read_text()
    start, end = text.index(README_MARKERS[0]), text.index(README_MARKERS[1]) + len(README_MARKERS[1])
    Path(path).write_text(text[:start] + readme_section() + text[end:])


if __name__ == "__main__":
    import sys

    _write_readme(sys.argv[1] if len(sys.argv) > 1 else "README.md")
