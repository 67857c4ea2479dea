"""Shared pytest setup for bale's Python tests.

- Hypothesis profiles: "dev" (the default: quick) and "ci" (more examples,
  no deadline, since sanitizer and valgrind runs are slow).  scripts/test
  selects "ci" through HYPOTHESIS_PROFILE.
- ``shared_data``: the path of a file in ../shared/data (the data sets the
  benchmarks use), or a skip with a reason when that folder is absent, as on
  a fresh clone.  Override the folder with BALE_SHARED_DATA.
- ``memory_clean``: checks that a test leaves bale's accounted live bytes
  where it found them.
"""
from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is optional for the plain tests
    settings = None

if settings is not None:
    settings.register_profile("dev", max_examples=50, deadline=None)
    settings.register_profile(
        "ci",
        max_examples=100,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    """The folder of shared data sets, or None when it is absent."""
    env = os.environ.get("BALE_SHARED_DATA")
    candidates = [Path(env)] if env else [REPO.parent / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path
    return None


@pytest.fixture
def shared_data():
    """Returns a function name -> Path of a file in the shared data folder;
    skips the test when the folder or the file is absent."""

    def get(name: str) -> Path:
        folder = shared_data_dir()
        if folder is None:
            pytest.skip("needs ../shared/data (absent here; set BALE_SHARED_DATA)")
        path = folder / name
        if not path.exists():
            pytest.skip(f"needs {path} (absent here)")
        return path

    return get


@pytest.fixture
def memory_clean():
    """Asserts that bale holds no more accounted bytes after the test than
    before it (after a garbage collection)."""
    import bale

    gc.collect()
    before = bale.memory()["live"]
    yield
    gc.collect()
    after = bale.memory()["live"]
    assert after <= before, f"bale holds {after - before} more bytes after the test"
