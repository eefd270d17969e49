"""The Prefect UI as the operator's console: the latest `weekly-digest` artifact renders the digest in a browser.

Headless Debian Chromium driven by Playwright (never a downloaded browser), loopback only: every request to
another host is aborted, so the test cannot reach the internet even if the UI tried. The screenshot goes to the
test's tmp_path and, for humans, to var/test-artifacts/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from tests.e2e.harness import HUMAN_ARTIFACTS, Schedule, WeeklyRun

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (Debian package `chromium`;"
                       " .ci/run installs it): the browser test of the Prefect UI needs it"),
]


def _loopback_only(route) -> None:
    host = urlparse(route.request.url).hostname
    if host in ("127.0.0.1", "localhost", "::1") or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def _top_story(schedule: Schedule, week: str) -> str:
    snapshot = schedule.warehouse.with_name("warehouse-snapshot.duckdb")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        row = con.execute("SELECT label FROM stories WHERE week = ? ORDER BY rank LIMIT 1", [week]).fetchone()
    finally:
        con.close()
    assert row, f"no stories for {week} in the snapshot"
    return row[0]


def test_latest_digest_artifact_renders_in_the_ui(schedule: Schedule, weekly_run: WeeklyRun, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    assert weekly_run.flow_run.state.is_completed(), schedule.log_tail()
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with schedule.client() as client:  # the latest weekly-digest artifact, as an operator would look it up
        [artifact] = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
            any_=["weekly-digest"])), sort=ArtifactSort.CREATED_DESC, limit=1)
    # the run's own artifact, unless a scheduled Monday run happened to finish meanwhile
    headline = artifact.data.splitlines()[0].lstrip("# ").strip()
    assert headline.startswith("Russia–Central Asia security digest, "), headline
    story = _top_story(schedule, headline.rsplit(", ", 1)[1])
    url = f"{schedule.ui_url}/artifacts/artifact/{artifact.id}"
    shot = tmp_path / "weekly-digest-artifact.png"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 2000})
            context.route("**/*", _loopback_only)
            page = context.new_page()
            page.goto(url, wait_until="networkidle", timeout=60_000)
            expect(page.get_by_role("heading", name=headline)).to_be_visible(timeout=30_000)
            expect(page.get_by_text(story, exact=False).first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert shot.stat().st_size > 10_000
    HUMAN_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, HUMAN_ARTIFACTS / shot.name)

