"""End to end with real Prefect: `make schedule`'s script, the deployments from prefect.yaml, a process worker.

Everything is checked through the Prefect API, the way an operator's console sees it: the triggered
`weekly-digest` run completes on the worker, publishes the `weekly-digest` artifact with the seeds' digest, and
the cron schedule (what the sqlalchemy<2.1 pin keeps working) has created future scheduled runs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.e2e.harness import SCRIPT, TIMEZONE, Schedule, WeeklyRun

pytestmark = pytest.mark.slow

SEED_HEADLINES = [  # titles the extractor finds in the seeds (test_flows checks extraction itself)
    "Russia promises Tajikistan gratuitous arms supplies",
    "Moscow: We are taking the necessary measures to prevent the invasion of Tajikistan",
    "Russia pledges help for Tajikistan amid growing Afghan insecurity",
]


def test_weekly_digest_deployment_runs_on_the_worker(schedule: Schedule, weekly_run: WeeklyRun):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    run = weekly_run.flow_run
    assert run.state.is_completed(), f"{run.state_name}: {run.state.message}\n{schedule.log_tail()}"
    assert run.name == f"weekly-digest {weekly_run.week}"
    assert {"newsdigest", "digest"} <= set(run.tags)
    assert run.parameters["warehouse"] == str(schedule.warehouse)  # the deployment's templated parameters
    assert run.parameters["week"] == "current"  # overridden by `prefect deployment run --param`

    with schedule.client() as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
        limit = client.read_global_concurrency_limit_by_name("warehouse-writer")
    assert [c.name.split()[:2] for c in children] == [["ingest", "sources"]]
    assert children[0].state.is_completed()
    assert limit.limit == 1 and limit.active_slots == 0, "the writer slot is released after the run"

    artifact = weekly_run.artifact
    assert artifact is not None, "no weekly-digest artifact for the run"
    markdown = artifact.data
    assert markdown.startswith(f"# Russia–Central Asia security digest, {weekly_run.week}")
    missing = [h for h in SEED_HEADLINES if h not in markdown]
    assert not missing, f"seed headlines missing from the artifact: {missing}\n{markdown[:3000]}"
    written = (schedule.output_dir / f"digest-{weekly_run.week}.md").read_text(encoding="utf-8")
    assert written == markdown, "the artifact is the digest file"

    snapshot = schedule.warehouse.with_name("warehouse-snapshot.duckdb")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        weeks = [r[0] for r in con.execute("SELECT week FROM digests").fetchall()]
        articles = con.execute("SELECT count(*) FROM mart_articles").fetchone()[0]
    finally:
        con.close()
    assert weeks == [weekly_run.week] and articles == 5, "the analysts' snapshot holds this run's digest"
    print(f"weekly-digest run through the worker took {weekly_run.seconds:.0f} s")


def test_cron_schedule_creates_future_scheduled_runs(schedule: Schedule):
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    zone = ZoneInfo(TIMEZONE)
    with schedule.client() as client:
        deployment = client.read_deployment_by_name("weekly/weekly-digest")
        [sched] = deployment.schedules
        assert (sched.schedule.cron, sched.schedule.timezone, sched.active) == ("0 6 * * 1", TIMEZONE, True)
        assert set(deployment.tags) == {"newsdigest", "digest"}
        assert deployment.work_pool_name == "newsdigest"
        deadline = time.monotonic() + 90
        while True:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))
            if runs or time.monotonic() > deadline:
                break
            time.sleep(2)
    assert runs, "the scheduler created no scheduled runs for the cron deployment within 90 s"
    now = datetime.now(UTC)
    for run in runs:
        local = run.expected_start_time.astimezone(zone)
        assert run.expected_start_time > now
        assert (local.weekday(), local.hour, local.minute) == (0, 6, 0), f"not Monday 06:00 {TIMEZONE}: {local}"
        assert run.parameters["week"] == "last"


def test_schedule_script_is_idempotent(schedule: Schedule):
    before = schedule.pids()
    assert set(before) == {"server", "worker"}
    again = schedule.run(str(SCRIPT), "start", timeout=400)
    output = again.stdout + again.stderr
    assert again.returncode == 0, output
    assert "server: already running" in output and "worker: already running" in output, output
    assert "work pool newsdigest: exists" in output and "concurrency limit warehouse-writer: exists" in output
    assert schedule.pids() == before
    status = schedule.run(str(SCRIPT), "status")
    assert "server: running" in status.stdout and "worker: running" in status.stdout, status.stdout
