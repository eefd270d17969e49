"""Flow-run heartbeats that stop as soon as the flow ends, installed in place of Prefect 3.8.8's.

Why: every sync flow run in Prefect 3.8.8 starts a heartbeat thread (`prefect.flow_engine._send_heartbeats`,
one event every `PREFECT_FLOWS_HEARTBEAT_FREQUENCY` seconds, 180 by default) that sleeps in `time.sleep(1)` steps
between checks of its stop flag, and the flow joins it on exit. So each flow run ends with an idle wait of up to
a second, whatever the flow did: 0.94 s of a 1.16 s no-op flow (cProfile, `threading.join` under
`_send_heartbeats`), on average half a second for a real one. `make run` and a weekly deployment pay it twice
(weekly + its ingest subflow), and an unchanged week, which should cost almost nothing, pays it in full.

The replacement is the same context manager with one difference: the thread waits on its stop event
(`Event.wait(interval)`) instead of sleeping in one-second steps, so it ends when the flow ends. Heartbeats are
kept (the server uses them to tell a crashed run from a slow one), with the same interval, the same event
template and payload (`engine._emit_flow_run_heartbeat`), the same terminal-state check and the same context
copy (the thread sees the caller's PREFECT_API_URL).

Version guard: `install()` replaces the function only when Prefect is exactly `PREFECT_VERSION` AND the original's
source still hashes to `SOURCE_SHA256`; otherwise Prefect is left as it is and `install()` returns False.
`prefect.flow_engine` looks `_send_heartbeats` up as a module global at every flow run, so setting the attribute
is enough for the sync and the async engine alike.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

PREFECT_VERSION = "3.8.8"
SOURCE_SHA256 = "83e152cb73a04e977ca181188e99b3d583c894892b5456043b2eb51e45dbe996"

_original: Any = None


@contextmanager
def send_heartbeats(engine: Any, join_on_exit: bool = True) -> Generator[None, None, None]:
    """Prefect's `_send_heartbeats`, with a stop event that ends the thread at once (see the module docstring)."""
    from prefect.flow_engine import MINIMUM_HEARTBEAT_INTERVAL

    heartbeat_seconds = engine.heartbeat_seconds
    if heartbeat_seconds is None:
        yield
        return
    heartbeat_seconds = max(heartbeat_seconds, MINIMUM_HEARTBEAT_INTERVAL)
    resource, related = engine._build_heartbeat_event_template()
    stop_event = threading.Event()

    def heartbeat_loop() -> None:
        while not stop_event.is_set():
            if engine.flow_run and engine.flow_run.state and engine.flow_run.state.is_final():
                engine.logger.debug("Flow run in terminal state, stopping heartbeat")
                return
            try:
                engine._emit_flow_run_heartbeat(resource, related)
            except Exception:  # noqa: BLE001 - as upstream: a lost heartbeat must not fail the flow
                engine.logger.debug("Failed to emit heartbeat", exc_info=True)
            if stop_event.wait(heartbeat_seconds):
                return

    thread = threading.Thread(target=contextvars.copy_context().run, args=(heartbeat_loop,), daemon=True)
    thread.start()
    engine.logger.debug("Started flow run heartbeat context")
    try:
        yield
    finally:
        stop_event.set()
        if join_on_exit:
            thread.join(timeout=2)  # only an emit still in flight can hold it now
        engine.logger.debug("Stopped flow run heartbeat context")


def source_matches() -> bool:
    """True when the installed Prefect is the version, and its `_send_heartbeats` the code, this replaces."""
    import prefect
    import prefect.flow_engine as flow_engine

    original = _original or flow_engine._send_heartbeats
    if prefect.__version__ != PREFECT_VERSION:
        return False
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        return False
    return hashlib.sha256(source.encode()).hexdigest() == SOURCE_SHA256


def install() -> bool:
    """Replace Prefect's heartbeat context manager; idempotent. False (nothing changed) on any other Prefect."""
    global _original
    import prefect.flow_engine as flow_engine

    if flow_engine._send_heartbeats is send_heartbeats:
        return True
    if not source_matches():
        return False
    _original = flow_engine._send_heartbeats
    flow_engine._send_heartbeats = send_heartbeats
    return True


def uninstall() -> None:
    """Put Prefect's own back (for the benchmark's comparison and the tests)."""
    import prefect.flow_engine as flow_engine

    if _original is not None:
        flow_engine._send_heartbeats = _original
