"""Helpers of the slow end-to-end tests: the scheduled set-up (`make schedule`'s script) in a temp folder.

The `schedule` fixture (conftest.py, package scope) runs `scripts/schedule.sh start` itself (the operators'
script, not a test double) with a free port on 127.0.0.1, a temporary state folder (server PREFECT_HOME, pid
files, logs) and the deployments' parameters pointed at the seeds and a temporary warehouse and output folder.
It ends with `schedule.sh stop` and then kills, by process group, anything still alive that carries this run's
state folder in its environment (server, worker, flow-run processes): a failing test never leaves a server
behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SCRIPT = ROOT / "scripts" / "schedule.sh"
PREFECT = ROOT / ".venv" / "bin" / "prefect"
HUMAN_ARTIFACTS = ROOT / "var" / "test-artifacts"
TIMEZONE = "Europe/Moscow"  # not UTC, so the test sees the time zone reach the schedule
RUN_TIMEOUT = 420  # seconds for one weekly-digest run through the worker (about 60 s on 2 CPUs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def marked_processes(marker: str) -> list[int]:
    """Pids whose environment holds `marker` (NEWSDIGEST_SCHEDULE_DIR=<this run's folder>): ours only."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_marked(marker: str) -> list[int]:
    pids = marked_processes(marker)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(pid), sig)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.2)
    return pids


@dataclass
class Schedule:
    env: dict[str, str]
    api_url: str
    ui_url: str
    state: Path
    sources: Path
    warehouse: Path
    output_dir: Path
    start_output: str

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def prefect(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The `prefect` CLI as an operator runs it against this server."""
        env = {**self.env, "PREFECT_API_URL": self.api_url, "PREFECT_HOME": str(self.state / "prefect")}
        return subprocess.run([str(PREFECT), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A sync Prefect client on this server (the session's other Prefect settings are left alone)."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.api_url}), get_client(sync_client=True) as client:
            yield client

    def pids(self) -> dict[str, int]:
        return {name: int((self.state / f"{name}.pid").read_text()) for name in ("server", "worker")
                if (self.state / f"{name}.pid").exists()}

    def log_tail(self, name: str = "worker", lines: int = 60) -> str:
        path = self.state / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


@dataclass
class WeeklyRun:
    flow_run: Any  # prefect.client.schemas.objects.FlowRun, final state
    week: str
    seconds: float
    artifact: Any  # the run's `weekly-digest` markdown artifact, or None


def wait_final(setup: Schedule, flow_run_id: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    with setup.client() as client:
        while True:
            run = client.read_flow_run(flow_run_id)
            if run.state is not None and run.state.is_final():
                return run
            if time.monotonic() > deadline:
                pytest.fail(f"flow run {flow_run_id} still {run.state_name} after {timeout:.0f} s; worker log:\n"
                            f"{setup.log_tail()}", pytrace=False)
            time.sleep(1)
