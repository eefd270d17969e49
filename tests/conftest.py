"""Shared fixtures. Prefect runs against a throw-away home so tests never touch a developer's server."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"

_PREFECT_HOME = tempfile.mkdtemp(prefix="newsdigest-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
from newsdigest import prefect_env  # noqa: E402

prefect_env.configure()


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (~17 s): keep flow tests few."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def write_sources(path: Path, folder: Path, name: str = "local") -> Path:
    path.write_text(f'[[sources]]\nname = "{name}"\nkind = "folder"\npath = "{folder}"\n', encoding="utf-8")
    return path


@pytest.fixture
def body_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, bool]]:
    """(tree, fast) of every `html_extract._body` call the test makes, in order; the calls still run."""
    from newsdigest import html_extract

    calls: list[tuple[object, bool]] = []
    real = html_extract._body

    def spy(tree, url, fast, owned=False):
        calls.append((tree, fast))
        return real(tree, url, fast, owned)

    monkeypatch.setattr(html_extract, "_body", spy)
    return calls
