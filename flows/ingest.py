"""The ingest flow: every enabled source -> load -> select new -> extract -> dedupe+store, in batches."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from newsdigest.settings import Settings
from newsdigest.sources import load_sources
from tasks.ingest import extract_batch, load_source, record_failures, select_new, store_batch, utcnow
from warehouse import store
from warehouse.db import open_warehouse


def settings_for(sources_file: str | None, warehouse: str | None) -> Settings:
    settings = Settings.from_env()
    if sources_file:
        settings = replace(settings, sources_file=Path(sources_file).resolve())
    if warehouse:
        settings = replace(settings, warehouse=Path(warehouse).resolve())
    return settings


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@flow(name="ingest", log_prints=True)
def ingest(sources_file: str | None = None, warehouse: str | None = None) -> dict:
    """Load every enabled source into the warehouse. Returns per-source counts (also a table artifact)."""
    logger = get_run_logger()
    settings = settings_for(sources_file, warehouse)
    sources = [s for s in load_sources(settings.sources_file) if s.enabled]
    run_id = str(flow_run.id or uuid.uuid4())
    con = open_warehouse(settings.warehouse)
    try:
        store.start_run(con, run_id, "ingest", flow_run.name, utcnow(),
                        {"sources_file": str(settings.sources_file), "warehouse": str(settings.warehouse)})
    finally:
        con.close()
    rows, totals, status = [], {"documents_seen": 0}, "failed"
    try:
        for source in sources:
            row = _ingest_source(source, settings, run_id)
            rows.append(row)
            for key, value in row.items():
                if isinstance(value, int):
                    totals[key] = totals.get(key, 0) + value
        totals["documents_seen"] = totals.get("documents", 0)
        totals["errors"] = totals.get("failed", 0)
        status = "completed"
    finally:
        con = open_warehouse(settings.warehouse)
        try:
            store.finish_run(con, run_id, status, utcnow(), totals)
        finally:
            con.close()
    create_table_artifact(key="ingest-summary", table=rows,
                          description=f"Ingest run {flow_run.name or run_id}: per-source counts")
    logger.info("ingest finished: %s", totals)
    return {"run_id": run_id, "warehouse": str(settings.warehouse), "sources": rows, "totals": totals}


def _ingest_source(source, settings: Settings, run_id: str) -> dict:
    docs, failures = load_source(source, settings)
    record_failures(failures, settings.warehouse, run_id)
    fresh = select_new(docs, source.name, settings.warehouse)
    counts = {"documents_new": 0, "articles_new": 0, "versions_new": 0, "errors": 0}
    for batch_no, batch in enumerate(_chunks(fresh, settings.batch_size), 1):
        extracted = extract_batch(batch, source.name, batch_no, settings.max_document_bytes)
        for key, value in store_batch(extracted, source.name, batch_no, settings.warehouse, run_id).items():
            counts[key] += value
    return {"source": source.name, "kind": source.kind, "documents": len(docs) + len(failures),
            "unchanged": len(docs) - len(fresh), "new_articles": counts["articles_new"],
            "new_versions": counts["versions_new"], "failed": len(failures) + counts["errors"]}
