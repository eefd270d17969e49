"""Prefect flows: compose the tasks into the ingest and weekly pipelines."""
