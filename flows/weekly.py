"""The weekly flow: ingest every source, then write the week's listing (Markdown file + Prefect artifact)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.ingest import ingest, settings_for
from newsdigest.listing import render_listing
from newsdigest.weeks import resolve_week
from warehouse.db import open_warehouse
from warehouse.reports import listing_items


@task(name="write-listing", task_run_name="write listing {week}", cache_policy=NO_CACHE)
def write_listing(week: str, warehouse: Path, output_dir: Path) -> Path:
    con = open_warehouse(warehouse)
    try:
        counted, late = listing_items(con, week)
    finally:
        con.close()
    markdown = render_listing(week, counted, late, datetime.now(UTC).replace(tzinfo=None))
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"digest-{week}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    tmp.replace(path)
    create_markdown_artifact(key="weekly-digest", markdown=markdown, description=f"Weekly digest {week}")
    return path


def _run_name() -> str:
    from prefect.runtime import flow_run

    week = flow_run.parameters.get("week") or "current"
    return f"weekly-digest {week}"


@flow(name="weekly", flow_run_name=_run_name)
def weekly(week: str | None = None, sources_file: str | None = None, warehouse: str | None = None,
           output_dir: str | None = None) -> dict:
    """Ingest, then the digest for `week` ('current' by default, 'last' for the last complete week)."""
    settings = settings_for(sources_file, warehouse)
    resolved = resolve_week(week, datetime.now(UTC).replace(tzinfo=None))
    summary = ingest(str(settings.sources_file), str(settings.warehouse))
    out = Path(output_dir).resolve() if output_dir else settings.output_dir
    digest = write_listing(resolved, settings.warehouse, out)
    return {"week": resolved, "warehouse": str(settings.warehouse), "digest": str(digest), "ingest": summary}
