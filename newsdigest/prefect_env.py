"""Prefect defaults for an offline, server-less run: set before Prefect is imported.

Without PREFECT_API_URL, Prefect starts a temporary local server for the run; its database lives under the
project's var/prefect so a fresh clone needs nothing in the home directory. Analytics are off so an offline
machine prints no telemetry errors. Anything already set in the environment wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from newsdigest.settings import PROJECT_ROOT

DEFAULTS = {
    "PREFECT_HOME": str(PROJECT_ROOT / "var" / "prefect"),
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "INFO",
    # The temporary server needs ~11-20 s to start on 2 cores, more on a busy machine; Prefect's default of
    # 20 s makes `make run` fail for no reason there.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


def configure() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    # Prefect creates only the last path component of its home; make the whole path.
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
