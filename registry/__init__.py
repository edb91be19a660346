"""The Serial Ledger Flask application: `create_app` is the only place an app is built."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from registry.config import PROJECT_ROOT, instance_path_from_env, normalise_database_url, settings_from_env

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    # Flask is imported here so that the parallel verifier's worker, which needs only the
    # database layer, starts without it.
    from flask import Flask

    instance = Path((test_config or {}).get("REGISTRY_INSTANCE") or instance_path_from_env())
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.update(settings_from_env(instance))
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _load_secret_key(app)

    from registry import errors, openapi, views
    from registry import instance as instance_setup
    from registry.accounts import api as accounts_api
    from registry.accounts import cli as accounts_cli
    from registry.accounts import views as accounts_views
    from registry.auth import guard
    from registry.auth import views as auth_views
    from registry.custody import api as custody_api
    from registry.custody import cli as custody_cli
    from registry.custody import views as custody_views
    from registry.db import configure_engine
    from registry.extensions import bootstrap, db, migrate
    from registry.inventory import views as inventory_views
    from registry.ledger import api as ledger_api
    from registry.ledger import cli as ledger_cli
    from registry.ledger import views as ledger_views
    from registry.recalls import api as recalls_api
    from registry.recalls import views as recalls_views
    from registry.reports import api as reports_api
    from registry.reports import cli as reports_cli
    from registry.reports import views as reports_views
    from registry.serials import api as serials_api
    from registry.serials import cli as serials_cli
    from registry.serials import views as serials_views
    from registry.supply import api as supply_api
    from registry.supply import views as supply_views

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)

    bootstrap.init_app(app)
    guard.init_app(app)
    errors.init_app(app)
    auth_views.init_app(app)
    accounts_views.init_app(app)
    accounts_api.init_app(app)
    accounts_cli.init_app(app)
    instance_setup.init_app(app)
    views.init_app(app)
    ledger_api.init_app(app)
    ledger_views.init_app(app)
    ledger_cli.init_app(app)
    serials_api.init_app(app)
    serials_views.init_app(app)
    serials_cli.init_app(app)
    custody_api.init_app(app)
    custody_cli.init_app(app)
    custody_views.init_app(app)
    supply_api.init_app(app)
    recalls_api.init_app(app)
    supply_views.init_app(app)
    recalls_views.init_app(app)
    inventory_views.init_app(app)
    reports_api.init_app(app)
    reports_views.init_app(app)
    reports_cli.init_app(app)
    openapi.init_app(app)
    return app


def _load_secret_key(app: Flask) -> None:
    """Sessions are signed with a key kept in the instance folder; `init` creates it."""
    if app.config.get("SECRET_KEY"):
        return
    path = Path(app.config["SECRET_KEY_FILE"])
    if path.exists():
        app.config["SECRET_KEY"] = path.read_text().strip()
