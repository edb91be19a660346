"""Who may do what: the roles, the permissions, and the one matrix that joins them.

Every route declares the permission it needs with `@requires(...)`, or `@public` for the few that
anyone may call; `registry.auth.guard` refuses any request to a route that declares neither.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable


class Role(str, Enum):
    ADMIN = "admin"  # accounts and settings; records no items
    OFFICER = "officer"  # records events
    AUDITOR = "auditor"  # reads everything, verifies, exports
    REGULATOR = "regulator"  # reads items, reports and checkpoints; personal data only when granted


class Permission(str, Enum):
    DASHBOARD = "dashboard.read"
    LEDGER_READ = "ledger.read"
    LEDGER_VERIFY = "ledger.verify"
    LEDGER_EXPORT = "ledger.export"
    ITEMS_READ = "items.read"
    ITEMS_WRITE = "items.write"
    REPORTS_READ = "reports.read"
    REPORTS_ISSUE = "reports.issue"
    SERIALS_CHECK = "serials.check"
    ACCOUNTS_MANAGE = "accounts.manage"
    SECURITY_LOG_READ = "security_log.read"
    OWN_TOKENS = "tokens.own"
    PERSONAL_DATA_READ = "personal_data.read"


_EVERYONE = {Permission.DASHBOARD, Permission.SERIALS_CHECK, Permission.OWN_TOKENS, Permission.LEDGER_READ}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(_EVERYONE | {Permission.ACCOUNTS_MANAGE, Permission.SECURITY_LOG_READ}),
    Role.OFFICER: frozenset(
        _EVERYONE
        | {
            Permission.ITEMS_READ,
            Permission.ITEMS_WRITE,
            Permission.REPORTS_READ,
            Permission.REPORTS_ISSUE,
            Permission.PERSONAL_DATA_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        _EVERYONE
        | {
            Permission.LEDGER_VERIFY,
            Permission.LEDGER_EXPORT,
            Permission.ITEMS_READ,
            Permission.REPORTS_READ,
            Permission.REPORTS_ISSUE,
            Permission.SECURITY_LOG_READ,
            Permission.PERSONAL_DATA_READ,
        }
    ),
    Role.REGULATOR: frozenset(_EVERYONE | {Permission.ITEMS_READ, Permission.REPORTS_READ}),
}
# Granted to a regulator account by an admin (an `account.personal_data_granted` event).
GRANTABLE = frozenset({Permission.PERSONAL_DATA_READ})

PUBLIC = "public"


def permissions_of(role: str, grants: frozenset[str] = frozenset()) -> frozenset[Permission]:
    base = MATRIX[Role(role)]
    return base | frozenset(Permission(g) for g in grants if Permission(g) in GRANTABLE)


def requires(permission: Permission) -> Callable:
    """Declare the permission a view needs."""

    def mark(view: Callable) -> Callable:
        view.required_permission = permission
        return view

    return mark


def public(view: Callable) -> Callable:
    """Declare a view open to anyone, signed in or not."""
    view.required_permission = PUBLIC
    return view


def declared_permission(view: Callable) -> Permission | str | None:
    return getattr(view, "required_permission", None)


def accepts_large_body(config_key: str) -> Callable:
    """Declare that a view takes a body larger than MAX_CONTENT_LENGTH, up to `app.config[config_key]`
    bytes. The guard applies it before anything reads the body (its CSRF check reads a form)."""

    def mark(view: Callable) -> Callable:
        view.body_limit_key = config_key
        return view

    return mark


def declared_body_limit(view: Callable | None) -> str | None:
    return getattr(view, "body_limit_key", None)
