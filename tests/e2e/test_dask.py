"""The extraction stage on a Dask cluster: `NEWSDIGEST_DASK_ADDRESS` sends `extract-batch` to a LocalCluster.

The ingest flow runs as an operator would run it (`newsdigest ingest` in its own process, against the real
Prefect server of the e2e set-up); the Dask workers are separate processes that report their task runs to the
same server. Asserted: the articles are stored exactly as without Dask, and the extract batches really ran on
the cluster (the scheduler saw them), not in the flow's process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from tests.e2e.harness import ROOT, SEEDS, Schedule

pytestmark = pytest.mark.slow


def test_ingest_extracts_on_a_dask_local_cluster(schedule: Schedule, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    # workers inherit this environment: they must reach the same Prefect server as the flow
    monkeypatch.setenv("PREFECT_API_URL", schedule.api_url)
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "seeds"\nkind = "folder"\npath = "{SEEDS}"\n', encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")},
               "PREFECT_API_URL": schedule.api_url, "PREFECT_HOME": str(tmp_path / "prefect"),
               "NEWSDIGEST_DASK_ADDRESS": cluster.scheduler_address}
        done = subprocess.run([sys.executable, "-m", "newsdigest.cli", "ingest", "--sources", str(sources),
                               "--warehouse", str(warehouse)], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
        ran_on_cluster = [key for key in cluster.scheduler.task_prefixes if "extract" in key]
    assert ran_on_cluster, f"no extract task reached the Dask scheduler: {list(cluster.scheduler.task_prefixes)}"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        stored = con.execute("SELECT count(*), count(DISTINCT article_id) FROM article_versions").fetchone()
    finally:
        con.close()
    assert stored == (5, 5)
