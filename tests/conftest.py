"""Shared fixtures: the cache of validated files never touches the user's home in tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_record_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path_factory.mktemp("reporter-cache")
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(directory))
    return directory
