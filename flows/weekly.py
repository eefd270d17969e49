"""The weekly flow: ingest every source, score new articles, then build and publish the week's digest.

Outputs: Markdown, HTML and JSON files under the output directory, the `weekly-digest` markdown artifact, a
link artifact to the files, and the digest tables in the warehouse (regenerating a week replaces them; a week
whose inputs are unchanged keeps its stored digest, which is published again).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow

from flows.ingest import ingest, settings_for
from newsdigest.sources import load_sources
from newsdigest.weeks import resolve_week
from tasks.concurrency import publish_snapshot, writes_warehouse
from tasks.digest import score_articles, write_digest
from warehouse.db import keep_open


def _run_name() -> str:
    from prefect.runtime import flow_run

    spec = flow_run.parameters.get("week")
    try:
        week = resolve_week(spec, datetime.now(UTC).replace(tzinfo=None))
    except ValueError:
        week = str(spec)
    return f"weekly-digest {week}"


@flow(name="weekly", flow_run_name=_run_name)
@writes_warehouse  # held for ingest, scoring and digest: the digest reflects exactly this ingest
def weekly(week: str | None = None, sources_file: str | None = None, warehouse: str | None = None,
           output_dir: str | None = None, threshold: float | None = None, skip_ingest: bool = False,
           rebuild_digest: bool = False) -> dict:
    """Ingest, then the digest for `week`: 'current' (default), 'last' (last complete week) or '2021-W27'.

    The digest is rebuilt only when its inputs changed since the stored one was built (else that one is reused
    and published again); `rebuild_digest` rebuilds it in any case."""
    from prefect.runtime import flow_run

    settings = settings_for(sources_file, warehouse)
    with keep_open(settings.warehouse):  # one DuckDB instance for the run: tasks connect without a reload each
        resolved = resolve_week(week, datetime.now(UTC).replace(tzinfo=None))
        cutoff = threshold if threshold is not None else settings.relevance_threshold
        # the ingest scores what it stores at this cut-off; score_articles scores whatever is still unscored
        summary = None if skip_ingest else ingest(str(settings.sources_file), str(settings.warehouse), cutoff)
        out = Path(output_dir).resolve() if output_dir else settings.output_dir
        score_articles(settings.warehouse, cutoff)
        web_sources = [s.name for s in load_sources(settings.sources_file) if s.enabled and s.is_web]
        files = write_digest(resolved, settings.warehouse, out, cutoff, web_sources, str(flow_run.id or "") or None,
                             rebuild_digest)
        # the analysts' read-only copy, now with this week's scores and digest tables; left as it is when this run
        # stored nothing (warehouse/snapshot.py)
        publish_snapshot(settings.warehouse)
        return {"week": resolved, "warehouse": str(settings.warehouse), "digest": str(files.markdown),
                "html": str(files.html), "json": str(files.json), "ingest": summary}
