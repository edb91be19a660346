"""The shape DESIGN.md mandates: audit/ imports only the standard library and its two crypto/JSON
dependencies, never Flask, SQLAlchemy or registry/, so an auditor can run it alone."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[1] / "audit"
ALLOWED_THIRD_PARTY = {"cryptography", "rfc8785", "orjson"}


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
        foreign = imported_top_level_modules(path) - sys.stdlib_module_names - ALLOWED_THIRD_PARTY - {"audit"}
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_audit_runs_from_a_folder_holding_only_audit(tmp_path):
    import shutil
    import subprocess
    shutil.copytree(AUDIT, tmp_path / "audit", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-m", "audit", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and "verify-proof" in result.stdout
