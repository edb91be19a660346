"""Configuration from the environment, so two instances can live side by side.

`REGISTRY_INSTANCE` is the instance folder (database, keys, secrets); `DATABASE_URL` chooses the
engine (SQLite in the instance folder when unset, PostgreSQL in production).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILE = "registry.sqlite3"


def instance_path_from_env() -> Path:
    return Path(os.environ.get("REGISTRY_INSTANCE") or PROJECT_ROOT / "instance").resolve()


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver (`postgres://`, `postgresql://`)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def settings_from_env(instance: Path) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / SQLITE_FILE}"
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # Connections are pinged when they come back from the pool after sitting idle (`registry.db`).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        "LEDGER_KEY_FILE": str(instance / "ledger.key"),
        "LEDGER_ORIGIN": os.environ.get("LEDGER_ORIGIN", ""),
        # The C2SP tlog-policy naming the witnesses that cosign checkpoints (none when the file is absent).
        "LEDGER_POLICY": os.environ.get("LEDGER_POLICY") or str(instance / "witness.policy"),
        "SECRET_KEY_FILE": str(instance / "secret_key"),
        # The key of the keyed hashes that recognise a private person registered twice (vault only).
        "PERSON_MATCH_KEY_FILE": str(instance / "person-match.key"),
        # PDF report signing: a PKCS#12 (its password from REPORT_SIGNING_PASSWORD, or the one `init`
        # keeps beside a development certificate it made); the organisation named in that certificate.
        "REPORT_SIGNING_P12": os.environ.get("REPORT_SIGNING_P12") or str(instance / "report-signing.p12"),
        "REPORT_ORGANISATION": os.environ.get("REPORT_ORGANISATION", "Serial Ledger instance"),
        # A timestamp authority (RFC 3161) makes report signatures PAdES B-T; issued PDFs are kept in
        # REPORTS_DIR; a long report is laid out in parts of REPORT_PART_ROWS rows by REPORT_WORKERS processes.
        "REPORT_TSA_URL": os.environ.get("REPORT_TSA_URL", ""),
        # Where readers reach this registry: the development signing certificate names the CRL it
        # publishes under this URL (certificates/devpki.py).
        "PUBLIC_URL": os.environ.get("REGISTRY_PUBLIC_URL", "http://127.0.0.1:5000"),
        # The trust roots a report's signature is checked against (PEM, one or more certificates).
        "REPORT_TRUST_PEM": os.environ.get("REPORT_TRUST_PEM") or str(instance / "report-ca.pem"),
        "REPORTS_DIR": os.environ.get("REPORTS_DIR") or str(instance / "reports"),
        "REPORT_WORKERS": int(os.environ.get("REPORT_WORKERS", "2")),
        "REPORT_PART_ROWS": int(os.environ.get("REPORT_PART_ROWS", "600")),
        # Without REDIS_URL, background jobs (reports, imports) run on this many threads of each web
        # process; the others wait, queued (registry/jobs.py).
        "JOB_THREADS": int(os.environ.get("JOB_THREADS", "2")),
        "REPORT_UPLOAD_LIMIT": 256 * 1024 * 1024,  # a PDF sent to be verified (other requests: 16 MiB)
        "LEDGER_PAGE_SIZE": 50,
        "JSON_SORT_KEYS": False,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("REGISTRY_INSECURE_COOKIES") != "1",
        "SESSION_COOKIE_NAME": "serial_ledger_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(os.environ.get("REGISTRY_SESSION_IDLE_MINUTES", "30"))),
        "SESSION_REFRESH_EACH_REQUEST": True,  # the lifetime counts from the last request: an idle timeout
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in registry.auth for every unsafe request not made with a token
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BOOTSTRAP_SERVE_LOCAL": True,
        # The sign-in throttle (registry.auth.views): failures within the window per e-mail and
        # address, and per address for any e-mails.
        "LOGIN_FAILURE_WINDOW": 60,
        "LOGIN_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_FAILURES_PER_ADDRESS": 20,
        # Personal data of private persons: kept this many days after their last record (other goods),
        # and firearm sources and transferees for as long as the licence exists (until LICENCE_ENDED_ON).
        "PERSONAL_DATA_RETENTION_DAYS": int(os.environ.get("PERSONAL_DATA_RETENTION_DAYS", "365")),
        "LICENCE_ENDED_ON": os.environ.get("LICENCE_ENDED_ON", ""),
    }
