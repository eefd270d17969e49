"""Prefect flows: compose the tasks into the ingest and weekly pipelines.

Importing any flow installs `tasks.prefect_heartbeat` first: flow runs end without Prefect 3.8.8's idle wait of
up to a second for its heartbeat thread (that module says why and how it is guarded).
"""

from tasks import prefect_heartbeat

prefect_heartbeat.install()
