"""Account tables.

`account` and `api_token` are projections of the `account.*` ledger events, plus the one thing that
never goes on the ledger: the password hash. Tokens are stored as their SHA-256 only (a token is 256
random bits, so the hash reveals nothing and can sit in the event too). `security_log` records logins,
logouts, failed and throttled logins; triggers (see the migrations) refuse UPDATE and DELETE on it,
and the sign-in throttle counts its failures (shared by every worker and host). `account_session`
holds one row per browser sign-in, so signing out ends that session on the server: a copy of the
cookie saved before is worthless afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime


class Account(Base):
    __tablename__ = "account"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    grants: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Raised whenever the password or activity changes: sessions signed with an older value end.
    session_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True, nullable=False)
    hint: Mapped[str] = mapped_column(String(16), nullable=False)  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountSession(Base):
    """A browser session: the cookie carries a random id, the table its SHA-256."""

    __tablename__ = "account_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id"), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the last request of the session, to a minute; the idle timeout counts from it
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityEvent(Base):
    __tablename__ = "security_log"
    __table_args__ = (
        Index("ix_security_log_email_at", "email", "at"),
        Index("ix_security_log_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    account_id: Mapped[str | None] = mapped_column(String(36))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[str | None] = mapped_column(String(256))
