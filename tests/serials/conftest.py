"""Serial checks touch no database: their web, API and CLI tests run on SQLite alone."""
import pytest


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
