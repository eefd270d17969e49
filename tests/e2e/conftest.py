"""Fixtures of the slow end-to-end tests: one scheduled set-up and one weekly-digest run, shared by the package.

Starting the server, deploying and starting the worker costs about a minute, and one weekly run about another:
every slow test (the API checks, the schedule checks, the browser) looks at the same ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.e2e.harness import (
    ROOT,
    RUN_TIMEOUT,
    SCRIPT,
    SEEDS,
    TIMEZONE,
    Schedule,
    WeeklyRun,
    free_port,
    kill_marked,
    wait_final,
)


@pytest.fixture(scope="package")
def schedule(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Schedule]:
    base = tmp_path_factory.mktemp("schedule")
    sources = base / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "seeds"\nkind = "folder"\npath = "{SEEDS}"\nlanguage = "en"\n',
                       encoding="utf-8")
    state, port = base / "state", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDIGEST_"))}
    env.update({
        "NEWSDIGEST_SCHEDULE_DIR": str(state),
        "NEWSDIGEST_PREFECT_PORT": str(port),
        "NEWSDIGEST_SOURCES": str(sources),
        "NEWSDIGEST_WAREHOUSE": str(base / "warehouse.duckdb"),
        "NEWSDIGEST_OUTPUT_DIR": str(base / "digests"),
        "NEWSDIGEST_TIMEZONE": TIMEZONE,
        "NEWSDIGEST_STARTUP_TIMEOUT": "180",
        "PREFECT_WORKER_QUERY_SECONDS": "2",  # pick up the triggered run quickly
        "DO_NOT_TRACK": "1",
    })
    marker = f"NEWSDIGEST_SCHEDULE_DIR={state}"
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        started = subprocess.run([str(SCRIPT), "start"], env=env, cwd=ROOT, capture_output=True, text=True,
                                 timeout=600)
        setup = Schedule(env, api_url, f"http://127.0.0.1:{port}", state, sources, base / "warehouse.duckdb",
                         base / "digests", started.stdout + started.stderr)
        if started.returncode != 0:
            pytest.fail(f"scripts/schedule.sh start failed ({started.returncode}):\n{setup.start_output}\n"
                        f"server log:\n{setup.log_tail('server')}", pytrace=False)
        yield setup
    finally:
        try:
            stopped = subprocess.run([str(SCRIPT), "stop"], env=env, cwd=ROOT, capture_output=True, text=True,
                                     timeout=120)
        finally:
            leftovers = kill_marked(marker)
    # `make schedule-stop` must stop everything it started (anything left was killed above regardless)
    assert stopped.returncode == 0 and not leftovers, f"schedule.sh stop left {leftovers}:\n{stopped.stdout}"


@pytest.fixture(scope="package")
def weekly_run(schedule: Schedule) -> WeeklyRun:
    """Trigger `weekly-digest` for the current week (the seeds are undated or late arrivals in it) and wait."""
    from datetime import UTC, datetime

    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    from newsdigest.weeks import resolve_week

    week = resolve_week("current", datetime.now(UTC).replace(tzinfo=None))
    started = time.monotonic()
    triggered = schedule.prefect("deployment", "run", "weekly/weekly-digest", "--param", "week=current")
    match = re.search(r"UUID:\s*([0-9a-f-]{36})", triggered.stdout)
    assert triggered.returncode == 0 and match, triggered.stdout + triggered.stderr
    run = wait_final(schedule, match.group(1), RUN_TIMEOUT)
    seconds = time.monotonic() - started
    with schedule.client() as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["weekly-digest"]), flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    return WeeklyRun(run, week, seconds, artifacts[0] if artifacts else None)
