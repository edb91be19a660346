"""Reads for pages and API operations: a domain's query functions bound to the request's session.

Views and API modules never touch `db.session`: every query lives in a domain's `queries.py` (or
another read module the domain names) and takes the session as its first argument. A domain's
runtime offers `reads = Reads(queries, ...)`, so `reads.timeline(item_id)` runs
`queries.timeline(db.session(), item_id)`. `tests/test_architecture.py` holds every view to it.
"""

from __future__ import annotations

import inspect
from functools import partial
from types import ModuleType
from typing import Any, Callable

from registry.extensions import db


class Reads:
    def __init__(self, *modules: ModuleType):
        self._modules = modules

    def get(self, model: type, key: Any) -> Any:
        """One row by primary key, or None."""
        return db.session.get(model, key)

    def bind(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """A read function from elsewhere (a hook another domain registered) with the session bound."""
        return partial(function, db.session())

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if not name.startswith("_"):
            for module in self._modules:
                function = getattr(module, name, None)
                if inspect.isfunction(function) and function.__module__ == module.__name__:
                    return partial(function, db.session())
        raise AttributeError(f"no read {name!r} in {', '.join(m.__name__ for m in self._modules)}")
