"""The shape DESIGN.md mandates: audit/ imports only the standard library and its two crypto/JSON
dependencies, never Flask, SQLAlchemy or registry/, so an auditor can run it alone."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[1] / "audit"
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
        foreign = (imported_top_level_modules(path) - sys.stdlib_module_names - ALLOWED_THIRD_PARTY - {"audit"}
                   - REPORT_VERIFIER.get(path.name, set()))
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
