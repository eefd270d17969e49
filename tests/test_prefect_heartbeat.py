"""tasks.prefect_heartbeat: heartbeats still go out, the thread ends with the flow, and the guard holds."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import prefect
import prefect.flow_engine as flow_engine
import pytest

import flows  # noqa: F401 - importing the flows installs the replacement, as a deployment or `make run` does
from tasks import prefect_heartbeat


class FakeEngine:
    """The part of a flow run engine the heartbeat context uses."""

    def __init__(self, final: bool = False, seconds: int | None = 30) -> None:
        self.heartbeat_seconds = seconds
        self.flow_run = SimpleNamespace(state=SimpleNamespace(is_final=lambda: final))
        self.logger = SimpleNamespace(debug=lambda *a, **k: None)
        self.emitted: list[tuple] = []
        self.emitted_event = threading.Event()

    def _build_heartbeat_event_template(self):
        return "resource", ["related"]

    def _emit_flow_run_heartbeat(self, resource, related) -> None:
        self.emitted.append((resource, related))
        self.emitted_event.set()


def test_installed_by_importing_the_flows():
    assert prefect.__version__ == prefect_heartbeat.PREFECT_VERSION  # the pin in uv.lock
    assert flow_engine._send_heartbeats is prefect_heartbeat.send_heartbeats
    assert prefect_heartbeat.install()  # idempotent


def test_emits_a_heartbeat_then_stops_with_the_flow_without_sleeping(monkeypatch):
    engine = FakeEngine()
    stuck = threading.Event()

    def sleep_forever(_seconds: float) -> None:  # the upstream loop's time.sleep(1) would never return
        stuck.wait()

    before = set(threading.enumerate())
    monkeypatch.setattr(time, "sleep", sleep_forever)
    try:
        with prefect_heartbeat.send_heartbeats(engine, join_on_exit=False):
            assert engine.emitted_event.wait(10), "no heartbeat was sent when the flow started"
            started = set(threading.enumerate()) - before
        assert started, "no heartbeat thread was started"
        for thread in started:
            thread.join(10)  # a guard against a hang, not a speed bound
            assert not thread.is_alive(), "the heartbeat thread did not stop when the flow ended"
    finally:
        stuck.set()
    assert engine.emitted == [("resource", ["related"])]


def test_no_heartbeat_for_a_finished_run_or_when_disabled():
    finished = FakeEngine(final=True)
    with prefect_heartbeat.send_heartbeats(finished):
        pass
    assert finished.emitted == []
    disabled = FakeEngine(seconds=None)
    before = threading.active_count()
    with prefect_heartbeat.send_heartbeats(disabled):
        assert threading.active_count() == before  # no thread at all
    assert disabled.emitted == []


def test_another_prefect_version_is_left_alone(monkeypatch):
    prefect_heartbeat.uninstall()
    try:
        original = flow_engine._send_heartbeats
        assert original is not prefect_heartbeat.send_heartbeats
        monkeypatch.setattr(prefect, "__version__", "3.9.0")
        assert not prefect_heartbeat.install()
        assert flow_engine._send_heartbeats is original
    finally:
        monkeypatch.undo()
        assert prefect_heartbeat.install()


def test_changed_upstream_source_is_left_alone(monkeypatch):
    prefect_heartbeat.uninstall()
    try:
        monkeypatch.setattr(prefect_heartbeat, "SOURCE_SHA256", "0" * 64)
        assert not prefect_heartbeat.install()
        assert flow_engine._send_heartbeats is not prefect_heartbeat.send_heartbeats
    finally:
        monkeypatch.undo()
        assert prefect_heartbeat.install()


@pytest.mark.parametrize("join", [True, False])
def test_exceptions_in_the_flow_propagate(join):
    engine = FakeEngine()
    with pytest.raises(ValueError), prefect_heartbeat.send_heartbeats(engine, join_on_exit=join):
        raise ValueError("flow failed")
