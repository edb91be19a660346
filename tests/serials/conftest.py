"""Serial checks touch no database: their web, API and CLI tests run on SQLite alone."""

import pytest


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


@pytest.fixture
def api(api_as):
    """An integration's client: an officer's API token in `Authorization: Bearer`."""
    return api_as("officer")
