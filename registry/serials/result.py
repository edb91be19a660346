"""The result every scheme returns, and what a scheme declares about itself.

A result is a verdict on one identifier: `valid` (no errors), `normalized` (the search form; positions
in problems count characters of it, from 1), `errors` and `warnings` (each a `Problem` with a stable
snake_case `code`), and `info` (decoded facts). The caller keeps the serial as marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


class SerialsError(ValueError):
    """A request the validator cannot answer: an unknown scheme or option. `field` names the input."""

    def __init__(self, message: str, *, field: str, code: str):
        super().__init__(message)
        self.field = field
        self.code = code


class Problem:
    __slots__ = ("code", "message", "position")

    def __init__(self, code: str, message: str, position: int | None = None):
        self.code, self.message, self.position = code, message, position

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "position": self.position}

    def __repr__(self) -> str:
        at = f" at {self.position}" if self.position is not None else ""
        return f"<Problem {self.code}{at}: {self.message}>"


class Result:
    __slots__ = ("scheme", "normalized", "errors", "warnings", "info")

    def __init__(
        self,
        scheme: str,
        normalized: str,
        errors: list[Problem] | None = None,
        warnings: list[Problem] | None = None,
        info: dict | None = None,
    ):
        self.scheme = scheme
        self.normalized = normalized
        self.errors = errors if errors is not None else []
        self.warnings = warnings if warnings is not None else []
        self.info = info if info is not None else {}

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.errors]

    def to_dict(self) -> dict:
        return {
            "scheme": self.scheme,
            "valid": self.valid,
            "normalized": self.normalized,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
            "info": self.info,
        }

    def __repr__(self) -> str:
        return f"<Result {self.scheme} {self.normalized!r} valid={self.valid} errors={self.codes}>"


@dataclass(frozen=True)
class Option:
    """An option a scheme accepts: `choices` for an enumeration, else free text checked by `pattern`."""

    name: str
    help: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "help": self.help,
            "default": self.default,
            "choices": list(self.choices),
            "pattern": self.pattern,
        }


@dataclass(frozen=True)
class Scheme:
    """A scheme: its name, what it is for, its options, and every code its problems can carry."""

    name: str
    label: str
    description: str
    check: Callable[..., Result]
    errors: dict[str, str]
    warnings: dict[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    example: str = ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "example": self.example,
            "options": [o.to_dict() for o in self.options],
            "errors": dict(self.errors),
            "warnings": dict(self.warnings),
        }
