"""The rules of accounts: creating users, roles, grants, passwords and API tokens.

Every change of who may do what is a ledger event (`account.*`) appended in the same transaction
that updates the tables, so the record of who held which right cannot drift from the rights
enforced. Password hashes never leave the `account` table; a token leaves the registry once, when
it is issued, and is kept only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.accounts.models import Account, AccountSession, ApiToken, SecurityEvent
from registry.auth.permissions import GRANTABLE, Role
from registry.errors import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, DomainError
from registry.ledger.events import NewEvent
from registry.ledger.locking import side_transaction, write_transaction
from registry.ledger.service import LedgerService

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "slt_"  # makes a leaked token recognisable to secret scanners
SEEN_RESOLUTION = timedelta(minutes=1)  # how often a session in use notes its last request
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Verified against when an address is unknown, so a failed login takes as long either way: one per
# hasher's parameters, made once per process (hashing it anew on each attempt would itself be the tell).
_DUMMY_HASHES: dict[tuple, str] = {}


class AccountError(DomainError):
    """A request the account rules refuse."""

    titles = {**DomainError.titles, INVALID: "Invalid account request"}

    def __init__(self, detail: str, *, code: str = "invalid_account", kind: str = INVALID, field: str | None = None):
        super().__init__(detail, code=code, kind=kind, field=field)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise AccountError(f"{email!r} is not an e-mail address", field="email")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")


def generate_password() -> str:
    """A 20-character password from the URL-safe alphabet (about 120 bits)."""
    return secrets.token_urlsafe(15)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class AccountService:
    def __init__(self, session: Session, ledger: LedgerService, hasher: PasswordHasher):
        self.session, self.ledger, self.hasher = session, ledger, hasher

    # -- reading -------------------------------------------------------------------------------
    def get(self, account_id: str) -> Account | None:
        return self.session.get(Account, account_id)

    def by_email(self, email: str) -> Account | None:
        return self.session.scalar(select(Account).where(Account.email == email.strip().lower()))

    def require(self, account_id: str) -> Account:
        account = self.get(account_id)
        if account is None:
            raise AccountError(f"no account {account_id}", code="not_found", kind=NOT_FOUND, field="account")
        return account

    def all(self) -> list[Account]:
        return list(self.session.scalars(select(Account).order_by(Account.email)))

    def tokens_of(self, account_id: str) -> list[ApiToken]:
        return list(
            self.session.scalars(
                select(ApiToken)
                .where(ApiToken.account_id == account_id)
                .order_by(ApiToken.created_at.desc(), ApiToken.name)
            )
        )

    # -- authentication ------------------------------------------------------------------------
    def authenticate(self, email: str, password: str) -> Account | None:
        """The active account with this e-mail and password, or None (in about the same time)."""
        account = self.by_email(email)
        stored = account.password_hash if account is not None else self._dummy()
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or not account.active:
            return None
        return account

    def _dummy(self) -> str:
        key = (self.hasher.time_cost, self.hasher.memory_cost, self.hasher.parallelism, self.hasher.hash_len)
        if key not in _DUMMY_HASHES:
            _DUMMY_HASHES[key] = self.hasher.hash(secrets.token_urlsafe(16))
        return _DUMMY_HASHES[key]

    # -- browser sessions ----------------------------------------------------------------------
    def start_session(self, account_id: str, *, now: datetime) -> str:
        """A new session's id (random, 256 bits) for the cookie; the table keeps its SHA-256."""
        session_id = secrets.token_urlsafe(32)
        with side_transaction(self.session):
            self.session.add(
                AccountSession(id_hash=_sha256(session_id), account_id=account_id, started_at=now, last_seen_at=now)
            )
        return session_id

    def session_account(self, account_id: str, session_id: str, *, now: datetime, idle: timedelta) -> Account | None:
        """The account of a browser session that has neither ended nor sat unused longer than `idle`
        (one query on every request). A session found idle is ended; one in use has its last use
        noted, at most once a minute, so the idle time counts from the last request."""
        found = self.session.execute(
            select(Account, AccountSession)
            .join(AccountSession, AccountSession.account_id == Account.id)
            .where(
                AccountSession.id_hash == _sha256(session_id),
                Account.id == account_id,
                AccountSession.ended_at.is_(None),
            )
        ).first()
        if found is None:
            return None
        account, browser = found
        last = browser.last_seen_at or browser.started_at
        if now - last > idle:
            self.end_session(session_id, now=now)
            return None
        if now - last >= min(SEEN_RESOLUTION, idle / 10):
            with side_transaction(self.session):
                self.session.execute(
                    update(AccountSession).where(AccountSession.id_hash == browser.id_hash).values(last_seen_at=now)
                )
        return account

    def end_session(self, session_id: str, *, now: datetime) -> None:
        with side_transaction(self.session):
            self.session.execute(
                update(AccountSession)
                .where(AccountSession.id_hash == _sha256(session_id), AccountSession.ended_at.is_(None))
                .values(ended_at=now)
            )

    def recent_failures(self, *, email: str, address: str | None, since: datetime) -> tuple[int, int]:
        """Failed sign-ins since `since`: for this e-mail from this address, and from this address
        for any e-mail. Read from the security log, so every worker and host counts the same."""
        address = (address or "")[:64] or None
        same_address = SecurityEvent.address.is_(None) if address is None else SecurityEvent.address == address
        row = self.session.execute(
            select(func.count().filter(SecurityEvent.email == email), func.count()).where(
                same_address, SecurityEvent.at >= since, SecurityEvent.kind == "login_failed"
            )
        ).one()
        return int(row[0]), int(row[1])

    def token_account(self, token: str) -> tuple[Account, str] | None:
        """The account an unrevoked token of an active account acts for, and the token's id."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        row = self.session.execute(
            select(Account, ApiToken.id, ApiToken.revoked_at)
            .join(ApiToken, ApiToken.account_id == Account.id)
            .where(ApiToken.token_hash == token_hash(token))
        ).first()
        if row is None:
            return None
        account, token_id, revoked_at = row
        return (account, token_id) if revoked_at is None and account.active else None

    # -- changes (each one a ledger event) ---------------------------------------------------
    def create(self, *, email: str, role: str, password: str, actor: str, now: datetime) -> Account:
        email = normalise_email(email)
        role = _role(role)
        check_password(password)
        password_hash = self.hasher.hash(password)
        with write_transaction(self.session):
            if self.by_email(email) is not None:
                raise AccountError(
                    f"an account for {email} exists already", code="conflict", kind=CONFLICT, field="email"
                )
            account_id = str(uuid.uuid4())
            result = self._append("account.created", account_id, {"email": email, "role": role}, actor, now)
            account = Account(
                id=account_id,
                email=email,
                role=role,
                grants=[],
                active=True,
                password_hash=password_hash,
                created_at=now,
                created_entry=result.entries[0].index,
                session_epoch=0,
            )
            self.session.add(account)
        return account

    def change_role(self, account_id: str, role: str, *, actor: str, now: datetime) -> Account:
        role = _role(role)
        with write_transaction(self.session):
            account = self.require(account_id)
            if account.role == role:
                return account
            self._append(
                "account.role_changed",
                account.id,
                {"email": account.email, "from": account.role, "to": role},
                actor,
                now,
            )
            account.role = role
            account.session_epoch += 1
        return account

    def set_active(
        self, account_id: str, active: bool, *, actor: str, now: datetime, by_account_id: str | None = None
    ) -> Account:
        """Activate or deactivate an account. An administrator (`by_account_id`) cannot deactivate
        their own: the registry would be left without the account that could undo it."""
        if not active and by_account_id is not None and by_account_id == account_id:
            raise AccountError(
                "you cannot deactivate your own account", code="own_account", kind=FORBIDDEN, field="active"
            )
        with write_transaction(self.session):
            account = self.require(account_id)
            if account.active == active:
                return account
            self._append(
                "account.reactivated" if active else "account.deactivated",
                account.id,
                {"email": account.email},
                actor,
                now,
            )
            account.active = active
            account.session_epoch += 1
        return account

    def set_grant(self, account_id: str, grant: str, granted: bool, *, actor: str, now: datetime) -> Account:
        if grant not in {g.value for g in GRANTABLE}:
            raise AccountError(f"{grant!r} cannot be granted", field="grant")
        with write_transaction(self.session):
            account = self.require(account_id)
            if (grant in account.grants) == granted:
                return account
            self._append(
                "account.grant_added" if granted else "account.grant_removed",
                account.id,
                {"email": account.email, "grant": grant},
                actor,
                now,
            )
            account.grants = (
                sorted(set(account.grants) | {grant}) if granted else [g for g in account.grants if g != grant]
            )
        return account

    def set_password(self, account_id: str, password: str, *, actor: str, now: datetime) -> Account:
        check_password(password)
        password_hash = self.hasher.hash(password)
        with write_transaction(self.session):
            account = self.require(account_id)
            self._append("account.password_changed", account.id, {"email": account.email}, actor, now)
            account.password_hash = password_hash
            account.session_epoch += 1
        return account

    def issue_token(self, account_id: str, name: str, *, actor: str, now: datetime) -> tuple[ApiToken, str]:
        """A new token for the account; the returned secret is shown once and never stored."""
        name = name.strip()
        if not 1 <= len(name) <= 80:
            raise AccountError("a token needs a name of 1 to 80 characters", field="name")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_hash(secret)
        with write_transaction(self.session):
            account = self.require(account_id)
            token_id = str(uuid.uuid4())
            self._append(
                "account.token_issued",
                account.id,
                {"email": account.email, "token_id": token_id, "name": name, "token_sha256": digest.hex()},
                actor,
                now,
            )
            token = ApiToken(
                id=token_id,
                account_id=account.id,
                name=name,
                token_hash=digest,
                hint=secret[: len(TOKEN_PREFIX) + 4],
                created_at=now,
            )
            self.session.add(token)
        return token, secret

    def revoke_token(self, token_id: str, *, actor: str, now: datetime, owner: str | None = None) -> ApiToken:
        """Revoke a token (only one of `owner`'s when given); it stops working at once."""
        with write_transaction(self.session):
            token = self.session.get(ApiToken, token_id)
            if token is None or (owner is not None and token.account_id != owner):
                raise AccountError(f"no token {token_id}", code="not_found", kind=NOT_FOUND, field="token")
            if token.revoked_at is not None:
                return token
            account = self.require(token.account_id)
            self._append(
                "account.token_revoked",
                account.id,
                {"email": account.email, "token_id": token.id, "name": token.name},
                actor,
                now,
            )
            token.revoked_at = now
        return token

    def _append(self, event_type: str, account_id: str, payload: dict, actor: str, now: datetime):
        return self.ledger.append(
            [NewEvent(event_type, {"account_id": account_id, **payload}, item=f"account:{account_id}")],
            actor=actor,
            now=now,
        )

    # -- the security log ----------------------------------------------------------------------
    def log(
        self,
        kind: str,
        *,
        now: datetime,
        email: str | None = None,
        account_id: str | None = None,
        address: str | None = None,
        user_agent: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append to the security log in a transaction of its own (a refused login must be logged
        even though nothing else happens)."""
        with side_transaction(self.session):
            self.session.add(
                SecurityEvent(
                    at=now,
                    kind=kind,
                    email=(email or "")[:254] or None,
                    account_id=account_id,
                    address=(address or "")[:64] or None,
                    user_agent=(user_agent or "")[:256] or None,
                    detail=(detail or "")[:256] or None,
                )
            )

    def security_log(self, limit: int = 200, offset: int = 0) -> list[SecurityEvent]:
        return list(
            self.session.scalars(select(SecurityEvent).order_by(SecurityEvent.id.desc()).offset(offset).limit(limit))
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}", field="role") from None
