"""Digest tasks: score new article versions (entities, relevance), then build, check, write and publish a week.

Scoring is incremental and batched (only versions without a score, a few hundred per batch); the digest itself
is one task because clustering and summarising need the whole week at once. The work is done by plain
functions (`score_pending`, `generate_digest`) on an open warehouse connection, so tests run them without
Prefect; the tasks add the connection, the output files and the artifacts.

A week whose inputs are exactly those its stored digest was built from is not rebuilt: `generate_digest`
fingerprints the inputs (`inputs_fingerprint`, hashed mostly inside DuckDB) and the digest code
(`code_fingerprint`), and returns the stored generation when the fingerprint matches (docs/digest.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest import parallel
from newsdigest.digest import Digest, SourceHealth, build_digest, previous_week
from newsdigest.digest_render import render_html, render_markdown, to_json
from newsdigest.scoring import score_rows
from newsdigest.stories import Story as ClusterStory
from newsdigest.stories import StoryArticle, StorySignature, signature
from newsdigest.weeks import parse_week
from tasks.ingest import utcnow
from warehouse import digest as sql
from warehouse import snapshot
from warehouse.db import open_warehouse

SCORE_BATCH = 500
SCORE_CHUNK = 50  # articles per worker call: ~40 ms of work against ~0.5 ms to ship its texts; small, so
# the last chunks leave little imbalance between the workers
# Part of every digest's inputs fingerprint: bump it to rebuild every week on its next run when the output would
# change for a reason the code fingerprint cannot see (e.g. a library upgrade that changes clustering or summaries).
DIGEST_VERSION = 1
# Modules whose source, with the newsdigest/warehouse modules they import (transitively), is the code fingerprint:
# what reads, builds, verifies, renders and stores a digest. Any edit there rebuilds a week on its next run.
CODE_ROOTS = ("newsdigest.digest", "newsdigest.digest_render", "warehouse.digest", "tasks.digest")
_CODE_PACKAGES = ("newsdigest", "warehouse")
# Imported by the digest code but deciding only where work runs, not what it computes: not part of the fingerprint
# (newsdigest.parallel would otherwise pull in the whole extractor, and every extraction edit would rebuild weeks).
_NOT_DIGEST_CODE = frozenset({"newsdigest.parallel"})
# `import a.b, c` or `from a.b import c, d` / `from a.b import (c,\n d)`, at any indentation (a regex, not ast:
# parsing and walking the ~20 files would cost ~60 ms per process, a large part of an unchanged re-run)
_IMPORT = re.compile(r"^[ \t]*(?:import[ \t]+([\w., \t]+)|from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+))",
                     re.MULTILINE)


@dataclass(frozen=True)
class DigestFiles:
    markdown: Path
    html: Path
    json: Path


@dataclass(frozen=True)
class GeneratedDigest:
    """A week's digest as published: built by this call (`digest` set), or the stored generation reused because
    its inputs are unchanged (`digest` None; the figures and outputs are the stored ones)."""

    week: str
    markdown: str
    html: str
    json: str
    generated_at: datetime  # when this generation was built (a reused one keeps its own time)
    run_id: str | None  # the run that built it
    stories: int
    articles: int  # relevant articles counted in the week
    left_out: int
    late_arrivals: int
    inputs_sha256: str
    digest: Digest | None = None

    @property
    def reused(self) -> bool:
        return self.digest is None


def score_pending(con: duckdb.DuckDBPyConnection, threshold: float, now: datetime,
                  before_write: Callable[[], None] | None = None) -> int:
    """Entities and relevance for every current article version not scored yet; returns how many.

    Scored on the extraction workers when an ingest in this process has started them (the weekly flow
    ingests first) and there is enough to do; in this thread otherwise (`newsdigest.parallel.imap_on_pool`).
    Every chunk goes to the workers at once, and each SCORE_BATCH of results is written while they score the
    next (written batch by batch, not all at the end: a failure loses at most one batch of work).
    `before_write` is called once before the first write (the snapshot's unpublished marker).
    """
    todo = sql.unscored(con)
    if todo and before_write is not None:
        before_write()
    chunks = [todo[i : i + SCORE_CHUNK] for i in range(0, len(todo), SCORE_CHUNK)]
    per_batch = max(1, SCORE_BATCH // SCORE_CHUNK)
    relevance: list[dict] = []
    entities: list[dict] = []
    for n, (rel, ent) in enumerate(parallel.imap_on_pool(score_rows, chunks, threshold, now), 1):
        relevance += rel
        entities += ent
        if n % per_batch == 0 or n == len(chunks):
            sql.write_scores(con, relevance, entities)
            relevance, entities = [], []
    return len(todo)


def earlier_signatures(con: duckdb.DuckDBPyConnection, week: str) -> list[tuple[str, StorySignature]]:
    """(week, signature) of the stories of the few digests before `week`, rebuilt from their stored articles."""
    groups: dict[tuple[str, str], list[StoryArticle]] = {}
    for wk, story_id, article_id, title, body, published in sql.earlier_stories(con, week):
        groups.setdefault((wk, story_id), []).append(StoryArticle(article_id, title, body, published))
    return [(wk, signature(ClusterStory(story_id, [a.article_id for a in arts], "", []), arts))
            for (wk, story_id), arts in groups.items()]


def coverage(con: duckdb.DuckDBPyConnection, web_sources: list[str], start: datetime, end: datetime
             ) -> list[SourceHealth]:
    problems: dict[str, list[str]] = {}
    for source, error_class, n in sql.source_problems(con, start, end):
        problems.setdefault(source, []).append(f"{error_class} x{n}")
    health = [SourceHealth(s, "failed", "; ".join(p)) for s, p in problems.items()]
    health += [SourceHealth(s, "silent", "no new articles this week") for s in
               sql.silent_sources(con, web_sources, start, end)]
    return health


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # `from package.module import name`: name is no module
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def _imported_names(source: str) -> list[str]:
    """Modules a source file may import: `import a.b` gives a.b; `from a import b` gives a and a.b (b may be a
    module; names that are not fail `_module_file` and are skipped)."""
    names = []
    for plain, module, imported in _IMPORT.findall(source):
        if plain:
            names += [n.split()[0] for n in plain.split(",") if n.strip()]
        else:
            names += [module] + [f"{module}.{n.split()[0]}"
                                 for n in re.sub(r"#.*", "", imported).strip("()").split(",") if n.strip()]
    return names


@cache
def code_files() -> dict[str, Path]:
    """Module name -> source file of CODE_ROOTS and of every newsdigest/warehouse module they import, transitively
    (imports inside functions included)."""
    files: dict[str, Path] = {}
    seen: set[str] = set()
    todo = list(CODE_ROOTS)
    while todo:
        name = todo.pop()
        if name in seen or name in _NOT_DIGEST_CODE:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is None:
            continue
        files[name] = path
        todo += [n for n in _imported_names(path.read_text(encoding="utf-8")) if n.split(".")[0] in _CODE_PACKAGES]
    return dict(sorted(files.items()))


@cache
def code_fingerprint() -> str:
    """sha256 of the digest code (`code_files`), read once per process: a digest stored by other code is rebuilt,
    never reused."""
    digest = hashlib.sha256()
    for name, path in code_files().items():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def inputs_fingerprint(week: str, threshold: float, week_hashes: tuple[int, ...], earlier_hash: tuple[int, ...],
                       mentions: dict[str, int], previous_articles: int, health: list[SourceHealth]) -> str:
    """sha256 of everything a digest of `week` is built from, except the time and the run id: the week's articles
    (rows and entities, as hashed by warehouse/digest.py), the threshold, the previous week's entity counts and
    article count, the earlier digests' stories, the coverage problems, DIGEST_VERSION and the code."""
    payload = {"version": DIGEST_VERSION, "code": code_fingerprint(), "week": week, "threshold": float(threshold),
               "week_articles": list(week_hashes), "earlier_stories": list(earlier_hash),
               "previous_mentions": sorted(mentions.items()), "previous_articles": previous_articles,
               "coverage": [[h.source, h.status, h.detail] for h in health]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def generate_digest(con: duckdb.DuckDBPyConnection, week: str, threshold: float, web_sources: list[str],
                    now: datetime, run_id: str | None = None, force: bool = False,
                    before_write: Callable[[], None] | None = None) -> GeneratedDigest:
    """`week`'s digest: the stored generation when it was built from exactly these inputs (nothing is rebuilt or
    written), else built, verified, rendered and stored (replacing an earlier generation of it). `force`
    rebuilds in any case.

    Nothing is written when a citation fails verification: CitationError propagates before the write.
    `before_write` is called right before the digest is written (the snapshot's unpublished marker).
    """
    start = datetime.combine(parse_week(week)[0], datetime.min.time())
    before = previous_week(week)
    mentions, previous_articles = sql.previous_mentions(con, before), sql.counted_articles(con, before)
    health = coverage(con, web_sources, start, start + timedelta(days=7))
    # Fingerprinted before the articles are read: were the warehouse to change in between, the stored fingerprint
    # would describe older inputs than the digest, and the next run would rebuild (never reuse a stale digest).
    fingerprint = inputs_fingerprint(week, threshold, sql.week_input_hashes(con, week),
                                     sql.earlier_stories_hash(con, week), mentions, previous_articles, health)
    stored = None if force else sql.stored_digest(con, week)
    if stored is not None and stored["inputs_sha256"] == fingerprint:
        return GeneratedDigest(week, stored["markdown"], stored["html"], stored["json"], stored["generated_at"],
                               stored["run_id"], stored["stories"], stored["articles"], stored["left_out"],
                               stored["late_arrivals"], fingerprint)
    digest = build_digest(week, sql.week_articles(con, week, threshold), mentions, earlier_signatures(con, week),
                          health, threshold, now, run_id, previous_articles)
    out = GeneratedDigest(week, render_markdown(digest), render_html(digest), to_json(digest), digest.generated_at,
                          digest.run_id, len(digest.stories), len(digest.counted), digest.left_out, len(digest.late),
                          fingerprint, digest)
    if before_write is not None:
        before_write()
    sql.write_digest(con, digest, out.markdown, out.html, out.json, fingerprint)
    return out


@task(name="score-articles", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def score_articles(warehouse: Path, threshold: float) -> int:
    con = open_warehouse(warehouse)
    try:
        scored = score_pending(con, threshold, utcnow(), lambda: snapshot.mark_unpublished(warehouse))
    finally:
        con.close()
    get_run_logger().info("scored %d article versions", scored)
    return scored


def _write_atomic(path: Path, text: str) -> bool:
    """Write `text` to `path` through a renamed temporary file, unless the file already holds exactly it.
    Returns whether it wrote."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


@task(name="write-digest", task_run_name="write digest {week}", cache_policy=NO_CACHE)
def write_digest(week: str, warehouse: Path, output_dir: Path, threshold: float, web_sources: list[str],
                 run_id: str | None, force: bool = False) -> DigestFiles:
    con = open_warehouse(warehouse)
    try:
        out = generate_digest(con, week, threshold, web_sources, utcnow(), run_id, force,
                              lambda: snapshot.mark_unpublished(warehouse))
    finally:
        con.close()
    output_dir.mkdir(parents=True, exist_ok=True)
    files = DigestFiles(output_dir / f"digest-{week}.md", output_dir / f"digest-{week}.html",
                        output_dir / f"digest-{week}.json")
    written = [path.name for path, text in ((files.markdown, out.markdown), (files.html, out.html),
                                            (files.json, out.json)) if _write_atomic(path, text)]
    # published on every run, reused or not: operators expect the week's digest as an artifact of each run
    create_markdown_artifact(key="weekly-digest", markdown=out.markdown, description=f"Weekly digest {week}")
    create_link_artifact(key="weekly-digest-files", link=files.html.as_uri(), link_text=f"digest {week} (HTML)",
                         description=f"Outputs: {files.markdown}, {files.html}, {files.json}")
    logger = get_run_logger()
    if out.reused:
        logger.info("digest %s unchanged since %s: inputs identical, reused (built by run %s)", week,
                    f"{out.generated_at:%Y-%m-%d %H:%M:%S} UTC", out.run_id or "-")
    else:
        logger.info("digest %s built%s", week, " (rebuild forced)" if force else "")
    logger.info("digest %s: %d stories from %d relevant articles (%d left out, %d late arrivals); files in %s %s",
                week, out.stories, out.articles, out.left_out, out.late_arrivals, output_dir,
                f"written: {', '.join(written)}" if written else "already up to date")
    return files
