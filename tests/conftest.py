"""Shared fixtures: paths to the repository, the demo cohort and the third-party recordings."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return REPO / "data" / "raw" / "demo"


@pytest.fixture(scope="session")
def santuz_dir() -> Path:
    path = SHARED / "santuz2020"
    if not (path / "raw_emg_ID0012_TW_01.csv").is_file():
        pytest.skip(f"third-party recording not available at {path}")
    return path
