"""The signed-in user as Flask-Login sees it, for a session or an API token."""

from __future__ import annotations

from flask_login import UserMixin

from registry.accounts.models import Account
from registry.auth.permissions import Permission, permissions_of


class CurrentUser(UserMixin):
    def __init__(self, account: Account, *, token_id: str | None = None, session_id: str | None = None):
        self.account_id = account.id
        self.email = account.email
        self.role = account.role
        self.grants = frozenset(account.grants or ())
        self.session_epoch = account.session_epoch
        self.token_id = token_id
        self.session_id = session_id  # a browser session's id (see AccountService.start_session)
        self.permissions = permissions_of(account.role, self.grants)

    def get_id(self) -> str:
        # The epoch changes with the role, the password or deactivation: older sessions stop loading;
        # the session id stops loading when its session ends (sign-out).
        return f"{self.account_id}:{self.session_epoch}:{self.session_id}"

    @property
    def actor(self) -> str:
        """How the ledger names this user as the author of an event."""
        return f"user:{self.email}" + (f" (token {self.token_id})" if self.token_id else "")

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
