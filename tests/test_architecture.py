"""The seams, held by reading the code: where queries, rules, HTTP statuses and Flask may appear.

- Views and API modules read through a domain's `reads` (queries.py) and write through its service:
  no `db.session`, `db.engine` or SQL of their own.
- Services, rules, queries and projections know nothing of Flask: no request, no current_user, no app.
- A domain error says what kind of refusal it is; only `registry/errors.py` turns kinds into HTTP
  statuses, so no raise site outside the web layer names a status.
- Every event type has one projection handler, reached through `registry.projections`, which both
  the live append and replay use.
- `audit/` imports only the standard library and its crypto and JSON dependencies, never Flask,
  SQLAlchemy or the registry, so an auditor can run it alone (DESIGN.md).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "registry"
WEB = {"views.py", "api.py"}
# Modules bound to the running app (they read its config, session or request); everything else in a
# domain is plain Python over a SQLAlchemy session.
APP_BOUND = WEB | {"forms.py", "cli.py", "runtime.py", "jobs.py", "verification.py"}
TOP_LEVEL_APP = {
    "__init__.py",
    "extensions.py",
    "errors.py",
    "contract.py",
    "openapi.py",
    "instance.py",
    "jobs.py",
    "views.py",
    "reads.py",
    "listing.py",
    "config.py",
}
FLASK_MODULES = ("flask", "flask_login", "flask_wtf", "werkzeug", "flask_sqlalchemy", "flask_migrate")


def _modules(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_views_and_api_modules_hold_no_queries():
    offenders = []
    for path in _modules(REGISTRY):
        if path.name not in WEB:
            continue
        tree = _tree(path)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("session", "engine")
                and isinstance(node.value, ast.Name)
                and node.value.id == "db"
            ):
                offenders.append(f"{_name(path)}:{node.lineno} db.{node.attr}")
        for module in _imports(tree):
            if module in (
                "registry.extensions.db",
                "sqlalchemy.select",
                "sqlalchemy.text",
                "sqlalchemy.update",
                "sqlalchemy.delete",
                "sqlalchemy.insert",
            ):
                offenders.append(f"{_name(path)} imports {module}")
    assert not offenders, "views and API modules read through a domain's `reads`:\n" + "\n".join(offenders)


def test_domain_logic_knows_nothing_of_flask():
    offenders = []
    for path in _modules(REGISTRY):
        inside_domain = path.parent != REGISTRY
        if (path.name in APP_BOUND if inside_domain else path.name in TOP_LEVEL_APP) or path.parent.name == "auth":
            continue
        for module in _imports(_tree(path)):
            if module.split(".")[0] in FLASK_MODULES:
                offenders.append(f"{_name(path)} imports {module}")
    assert not offenders, "services, rules, queries and projections take plain arguments:\n" + "\n".join(offenders)


def test_only_the_error_module_names_http_statuses():
    """`raise SomethingError(..., status=409)` anywhere is a service choosing HTTP; it says `kind=`."""
    offenders = []
    for path in _modules(REGISTRY):
        if path.name == "errors.py" and path.parent == REGISTRY:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                if any(keyword.arg == "status" for keyword in node.exc.keywords):
                    offenders.append(f"{_name(path)}:{node.lineno}")
    assert not offenders, "a domain error names its kind, not an HTTP status:\n" + "\n".join(offenders)


def test_domain_errors_map_each_kind_once():
    from registry.errors import CONFLICT, FORBIDDEN, INVALID, KIND_STATUS, NOT_FOUND, DomainError

    assert KIND_STATUS == {INVALID: 422, CONFLICT: 409, NOT_FOUND: 404, FORBIDDEN: 403}
    for kind, status in KIND_STATUS.items():
        error = DomainError("refused", code="some_rule", kind=kind, field="f")
        assert (error.status, error.code, error.field) == (status, "some_rule", "f")
    with pytest.raises(KeyError):
        DomainError("refused", code="x", kind="teapot")


def test_one_projection_dispatcher_for_live_writes_and_replay():
    from registry import projections, replay
    from registry.ledger import runtime

    for domain in projections.DOMAINS:
        assert not hasattr(domain, "apply"), f"{domain.__name__} dispatches events itself"
        assert domain.HANDLERS and domain.TABLES
    assert len(projections.HANDLERS) == sum(len(domain.HANDLERS) for domain in projections.DOMAINS)
    # replay and the app's ledger service reach handlers only through the registry
    assert "projections.apply(" in Path(replay.__file__).read_text()
    assert "projections.apply)" in Path(runtime.__file__).read_text()
    for path in _modules(REGISTRY):
        if path.name != "projections.py":
            assert ".HANDLERS" not in path.read_text(), f"{_name(path)} reads a domain's handlers directly"


def test_an_event_type_claimed_twice_is_refused():
    from types import SimpleNamespace

    from registry.projections import _gather

    first = SimpleNamespace(HANDLERS={"item.registered": print}, TABLES=())
    second = SimpleNamespace(HANDLERS={"item.registered": repr}, TABLES=())
    with pytest.raises(RuntimeError, match="item.registered"):
        _gather((first, second))


# -- audit/ alone ------------------------------------------------------------------------------------
AUDIT = ROOT / "audit"
ALLOWED_THIRD_PARTY = {"cryptography", "rfc8785", "orjson"}
# Checking a report's PAdES signature needs a PDF and CMS validator: only the report verifier may use
# pyHanko (and the ASN.1 and certificate-path libraries it is built on), and only inside its functions,
# so the log verifier runs without them.
REPORT_VERIFIER = {"report.py": {"pyhanko", "pyhanko_certvalidator", "asn1crypto"}}


def module_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def imported_top_level_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_audit_imports_only_stdlib_and_its_crypto_dependencies():
    files = sorted(AUDIT.glob("*.py"))
    assert files
    for path in files:
        foreign = (
            imported_top_level_modules(path)
            - sys.stdlib_module_names
            - ALLOWED_THIRD_PARTY
            - {"audit"}
            - REPORT_VERIFIER.get(path.name, set())
        )
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_the_report_verifier_imports_pyhanko_only_when_it_runs():
    for name, allowed in REPORT_VERIFIER.items():
        assert not module_level_imports(AUDIT / name) & allowed


def test_audit_runs_from_a_folder_holding_only_audit(tmp_path):
    import shutil
    import subprocess

    shutil.copytree(AUDIT, tmp_path / "audit", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-m", "audit", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and "verify-proof" in result.stdout
