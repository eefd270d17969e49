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
    run.add_argument("--threshold", type=float,
                     help="relevance cut-off 0..1 (default: NEWSDIGEST_RELEVANCE_THRESHOLD, else 0.5)")

    ing = sub.add_parser("ingest", help="fetch/load every enabled source into the warehouse (no digest)")
    ing.add_argument("--sources", help="sources file (default: sources.toml, the seeds folder)")
    ing.add_argument("--warehouse", help="DuckDB file (default: var/warehouse.duckdb)")

    ext = sub.add_parser("extract", help="print what the pipeline extracts from one file")
    ext.add_argument("file", type=Path)
    ext.add_argument("--url", help="the page's address (used for canonical URL and dates in the URL path)")
    ext.add_argument("--json", action="store_true", help="print JSON")

    query = sub.add_parser("query", help="run SQL read-only against the warehouse and print a table")
    query.add_argument("sql")
    query.add_argument("--warehouse", help="DuckDB file (default: var/warehouse.duckdb)")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument("--max-rows", type=int, default=200)

    summ = sub.add_parser("summarize", help="extractive summary of text files (plain or DUC-style SGML)")
    summ.add_argument("inputs", nargs="+", type=Path, metavar="FILES_OR_DIRS",
                      help="text files, or directories whose files are all read (sorted by name)")
    summ.add_argument("--words", type=_positive_int, default=100, help="word budget (default 100)")
    summ.add_argument("--format", choices=("text", "json"), default="text")
    summ.add_argument("--title-first-line", action="store_true", help="plain text: the first line is a title")
    summ.add_argument("--language", default="en", help="language of the texts (default en)")

    args = parser.parse_args(argv)
    return {"run": cmd_run, "ingest": cmd_ingest, "extract": cmd_extract, "query": cmd_query,
            "summarize": cmd_summarize}[args.command](args)


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of words, not {value}")
    return number


def cmd_run(args: argparse.Namespace) -> int:
    prefect_env.configure()
    from flows.weekly import weekly

    result = weekly(week=args.week, sources_file=args.sources, warehouse=args.warehouse,
                    output_dir=args.output_dir, threshold=args.threshold)
    totals = result["ingest"]["totals"]
    print()
    print(f"week:      {result['week']}")
    print(f"ingested:  {totals.get('articles_new', 0)} new articles, {totals.get('versions_new', 0)} new versions,"
          f" {totals.get('unchanged', 0)} unchanged, {totals.get('failed', 0)} failed")
    print(f"warehouse: {result['warehouse']}")
    print(f"digest:    {result['digest']}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    prefect_env.configure()
    from flows.ingest import ingest

    result = ingest(sources_file=args.sources, warehouse=args.warehouse)
    print()
    print(f"{'source':<24} {'kind':<8} {'listed':>6} {'fetched':>7} {'new':>5} {'updated':>7} {'unchanged':>9}"
          f" {'failed':>6}  reasons")
    for row in result["sources"]:
        print(f"{row['source']:<24} {row['kind']:<8} {row['listed']:>6} {row['fetched']:>7} {row['new_articles']:>5}"
              f" {row['updated']:>7} {row['unchanged']:>9} {row['failed']:>6}  {row['reasons']}")
    print(f"warehouse: {result['warehouse']}")
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


def cmd_summarize(args: argparse.Namespace) -> int:
    """Summarise files with the digest's own summariser (so `bench/summarize.py` measures the real thing)."""
    from newsdigest.summarize import CitationError, summarize, verify_citations, word_count
    from newsdigest.summarize_io import InputError, load_documents

    try:
        docs = load_documents(args.inputs, title_first_line=args.title_first_line)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sentences = summarize(docs, words=args.words, language=args.language)
    try:
        verify_citations(sentences, docs)
    except CitationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        rows = [{"file": s.doc_id.split("#")[0], "doc_id": s.doc_id, "position": s.position,
                 "words": word_count(s.text), "text": s.text} for s in sentences]
        print(json.dumps({"documents": len(docs), "budget": args.words,
                          "words": sum(r["words"] for r in rows), "sentences": rows}, ensure_ascii=False, indent=2))
    else:
        for sentence in sentences:
            print(sentence.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
