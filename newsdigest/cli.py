"""`newsdigest` command line: run the weekly pipeline, extract one file, query the warehouse read-only."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from newsdigest import prefect_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsdigest", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest the sources and write the week's digest")
    run.add_argument("--week", help="ISO week like 2021-W27, 'current' (default) or 'last' (last complete week)")
    run.add_argument("--sources", help="sources file (default: sources.toml, the seeds folder)")
    run.add_argument("--warehouse", help="DuckDB file (default: var/warehouse.duckdb)")
    run.add_argument("--output-dir", help="where digests are written (default: var/digests)")

    ext = sub.add_parser("extract", help="print what the pipeline extracts from one file")
    ext.add_argument("file", type=Path)
    ext.add_argument("--url", help="the page's address (used for canonical URL and dates in the URL path)")
    ext.add_argument("--json", action="store_true", help="print JSON")

    query = sub.add_parser("query", help="run SQL read-only against the warehouse and print a table")
    query.add_argument("sql")
    query.add_argument("--warehouse", help="DuckDB file (default: var/warehouse.duckdb)")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument("--max-rows", type=int, default=200)

    args = parser.parse_args(argv)
    return {"run": cmd_run, "extract": cmd_extract, "query": cmd_query}[args.command](args)


def cmd_run(args: argparse.Namespace) -> int:
    prefect_env.configure()
    from flows.weekly import weekly

    result = weekly(week=args.week, sources_file=args.sources, warehouse=args.warehouse,
                    output_dir=args.output_dir)
    totals = result["ingest"]["totals"]
    print()
    print(f"week:      {result['week']}")
    print(f"ingested:  {totals.get('articles_new', 0)} new articles, {totals.get('versions_new', 0)} new versions,"
          f" {totals.get('unchanged', 0)} unchanged, {totals.get('failed', 0)} failed")
    print(f"warehouse: {result['warehouse']}")
    print(f"digest:    {result['digest']}")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from newsdigest.extract import decode_document, extract_text
    from newsdigest.fetch.folder import media_type_for
    from newsdigest.models import ExtractionError, RawDocument
    from newsdigest.settings import Settings

    try:
        content = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    doc = RawDocument(source="cli", uri=args.file.name, content=content,
                      media_type=media_type_for(args.file.name) or "text/plain",
                      fetched_at=datetime.now(UTC).replace(tzinfo=None), url=args.url)
    try:
        decoded = decode_document(doc, Settings.from_env().max_document_bytes)
        result = extract_text(decoded.text, doc.media_type, args.url)
    except (ExtractionError, ValueError, OSError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    published = result.published
    data = {
        "title": result.title,
        "published_at": published.value.isoformat() if published.value else None,
        "date_source": published.source,
        "site": result.site,
        "agency": result.agency,
        "language": result.language,
        "authors": result.authors,
        "canonical_url": result.canonical_url,
        "url": result.url,
        "text": result.text,
    }
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for key, value in data.items():
            if key != "text":
                print(f"{key}: {value}")
        print()
        print(result.text)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    from newsdigest.settings import Settings
    from warehouse.db import connect

    path = Path(args.warehouse).resolve() if args.warehouse else Settings.from_env().warehouse
    if not path.exists():
        print(f"error: no warehouse at {path}; run `make run` first", file=sys.stderr)
        return 2
    con = connect(path, read_only=True)
    try:
        rel = con.sql(args.sql)
        if rel is None:
            print("ok (statement returned no rows)")
            return 0
        if args.format == "table":
            rel.limit(args.max_rows).show(max_width=200, max_rows=args.max_rows)
        elif args.format == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(rel.columns)
            writer.writerows(rel.limit(args.max_rows).fetchall())
        else:
            cols = rel.columns
            rows = [dict(zip(cols, r, strict=True)) for r in rel.limit(args.max_rows).fetchall()]
            print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    except duckdb.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
