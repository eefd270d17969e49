"""The pipeline benchmark runs end to end on a tiny corpus (proves bench/pipeline.py works; times nothing).

Slow: it starts its own Prefect server, the corpus site and the extraction pool. Figures come from running
`python bench/pipeline.py --n 2000` by hand (docs/performance.md), never from a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not (SHARED / "bench" / "extraction" / "ground-truth.json").is_file(),
                    reason="../shared/bench is absent")
def test_pipeline_benchmark_runs_on_thirty_pages(tmp_path: Path):
    out = tmp_path / "bench.json"
    # A child process: the benchmark owns its Prefect server, environment and process pools.
    env_cache = {"NEWSDIGEST_BENCH_CACHE": str(tmp_path / "cache")}
    # Output goes to a file, not a pipe: a pipe would keep the test waiting for as long as any grandchild
    # (the extraction pool) holds it open.
    log = tmp_path / "bench.log"
    with log.open("w") as sink:
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline.py"), "--n", "30", "--json", str(out)],
                              cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, timeout=900,
                              env={**_clean_env(), **env_cache})
    assert proc.returncode == 0, log.read_text(encoding="utf-8", errors="replace")[-6000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 30
    assert report["articles_stored"] == 30
    assert report["duplicates_linked"] >= report["expected_near_duplicates"]
    assert report["rerun_totals"]["articles_new"] == 0  # the unchanged re-run stores nothing
    assert {"fetch", "extract", "store"} <= set(report["stages"])
    # the limits are measured before and after the runs (a fresh interpreter), and their mean is used
    for key in ("limit_bare_trafilatura_aps", "limit_our_extractor_cpu_ms"):
        before, after = report[f"{key}_before"], report[f"{key}_after"]
        assert before > 0 and after > 0 and report[key] == round((before + after) / 2, 1)
    assert report["ratio_vs_bare_trafilatura_aps"] == round(
        report["end_to_end_aps"] / report["limit_bare_trafilatura_aps"], 3)
    assert report["limit_bare_trafilatura_aps"] > 0 and report["end_to_end_aps"] > 0


def _clean_env() -> dict[str, str]:
    """This process' environment minus the test session's Prefect home (the benchmark makes its own)."""
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
