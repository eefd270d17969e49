"""The digest against a real DuckDB file: the week rule in SQL, late arrivals, regeneration that replaces a
week's rows in one transaction (never duplicates them, never half-writes them), and re-runs that reuse a week's
stored digest exactly when nothing it was built from changed. No Prefect server: the plain functions behind the
tasks (`tasks/digest.py`) run on a warehouse filled with the store stage's own functions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

import newsdigest.digest as digest_mod
import tasks.digest as digest_tasks
import warehouse.digest as sql
from newsdigest.dedupe import fingerprint
from newsdigest.models import DateFinding, ExtractedDocument, Extraction, RawDocument
from newsdigest.store_plan import identity, plan_batch
from newsdigest.summarize import CitationError, SummarySentence
from tasks.digest import generate_digest, score_pending
from warehouse import db, store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "relevance"
FRIDAY_W42 = datetime(2021, 10, 22, 9, 0)
MONDAY_W43 = datetime(2021, 10, 25, 0, 30)
DIGEST_TABLES = ("digests", "stories", "story_articles", "digest_items")

# uri -> (relevance fixture, published, first stored)
ARTICLES = {
    "a-published.txt": ("en_pos_csto_tajik_afghan.txt", datetime(2021, 10, 19, 10), FRIDAY_W42),
    "b-undated.txt": ("en_pos_uzbek_arms.txt", None, FRIDAY_W42),
    "c-late.txt": ("en_pos_kant_exercise.txt", datetime(2021, 10, 5, 8), FRIDAY_W42),
    "d-undated-next.txt": ("en_pos_turkmen_border.txt", None, MONDAY_W43),
    "e-sunday-night.txt": ("en_pos_fsb_isis_recruits.txt", datetime(2021, 10, 24, 23, 30), MONDAY_W43),
    "f-new-year.txt": ("ru_pos_shoigu_201.txt", datetime(2021, 1, 3, 12), FRIDAY_W42),
    "g-off-topic.txt": ("en_neg_syria_strikes.txt", datetime(2021, 10, 20, 7), FRIDAY_W42),
}


def _doc(uri: str, fixture: str, published: datetime | None, stored: datetime, source: str = "local"
         ) -> ExtractedDocument:
    title, _, body = (FIXTURES / fixture).read_text(encoding="utf-8").partition("\n")
    raw = RawDocument(source, uri, body.encode(), "text/plain", stored)
    finding = DateFinding(published, "dateline", True) if published else DateFinding(None)
    ext = Extraction(title=title.strip(), paragraphs=[p for p in body.strip().split("\n\n") if p.strip()],
                     published=finding, site="Outlet " + uri[0].upper())
    return ExtractedDocument(raw, ext, fingerprint(ext.text), extractor="test")


def _ingest(con: duckdb.DuckDBPyConnection, docs: list[ExtractedDocument], now: datetime) -> None:
    plan = plan_batch(docs, store.stored_articles(con, [identity(d) for d in docs]),
                      store.load_duplicate_index(con), f"run-{now:%Y%m%d%H%M}", now)
    store.write_batch(con, plan)


def _store(con: duckdb.DuckDBPyConnection, uris: list[str]) -> None:
    for stored in sorted({ARTICLES[u][2] for u in uris}):
        _ingest(con, [_doc(u, f, p, s) for u, (f, p, s) in ARTICLES.items() if u in uris and s == stored], stored)
    score_pending(con, 0.5, MONDAY_W43)


@pytest.fixture
def con(tmp_path: Path):
    connection = db.open_warehouse(tmp_path / "w.duckdb")
    _store(connection, list(ARTICLES))
    yield connection
    connection.close()


def _ids_by_uri(con) -> dict[str, str]:
    return dict(con.execute("SELECT article_id, uri FROM mart_articles").fetchall())


def _tables(con) -> dict[str, list]:
    return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in DIGEST_TABLES}


def test_week_rule_in_sql(con):
    rows = dict(((uri, (week, basis)) for uri, week, basis in
                 con.execute("SELECT uri, digest_week, week_basis FROM mart_articles").fetchall()))
    assert rows == {
        "a-published.txt": ("2021-W42", "published"),
        "b-undated.txt": ("2021-W42", "first_stored"),
        "c-late.txt": ("2021-W40", "published"),
        "d-undated-next.txt": ("2021-W43", "first_stored"),
        "e-sunday-night.txt": ("2021-W42", "published"),  # Sunday 23:30 UTC is still week 42
        "f-new-year.txt": ("2020-W53", "published"),  # ISO year: 3 January 2021 belongs to 2020
        "g-off-topic.txt": ("2021-W42", "published"),
    }


def test_week_articles_counted_and_late(con):
    uri = _ids_by_uri(con)

    def week(w: str) -> dict[str, bool]:
        return {uri[a.article_id]: a.late for a in sql.week_articles(con, w, 0.5)}

    assert week("2021-W42") == {"a-published.txt": False, "b-undated.txt": False, "c-late.txt": True,
                                "e-sunday-night.txt": False, "f-new-year.txt": True, "g-off-topic.txt": False}
    assert week("2021-W43") == {"d-undated-next.txt": False, "e-sunday-night.txt": True}
    assert week("2021-W40") == {"c-late.txt": False}
    counted = [w for w in ("2020-W53", "2021-W40", "2021-W42", "2021-W43")
               for a in sql.week_articles(con, w, 0.5) if not a.late]
    assert len(counted) == len(ARTICLES), "every article is counted in exactly one week"
    loaded = {uri[a.article_id]: (a.relevance.relevant, bool(a.entities))
              for a in sql.week_articles(con, "2021-W42", 0.5)}
    assert loaded["g-off-topic.txt"] == (False, False), "an off-topic article is only counted: no entities loaded"
    assert all(has for relevant, has in loaded.values() if relevant), "relevant articles carry their entities"


def test_digest_counts_and_shows_by_the_week_rule(con):
    digest = generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43).digest
    uri = _ids_by_uri(con)
    assert sorted(uri[a.article_id] for a in digest.counted) == ["a-published.txt", "b-undated.txt",
                                                                   "e-sunday-night.txt"]
    assert sorted(uri[a.article_id] for a in digest.late) == ["c-late.txt", "f-new-year.txt"]
    assert digest.left_out == 1 and digest.undated == 1
    row = con.execute("SELECT articles, left_out, undated, late_arrivals FROM digests WHERE week = '2021-W42'"
                      ).fetchall()[0]
    assert row == (3, 1, 1, 2)
    late = con.execute("SELECT count(*) FROM story_articles WHERE week = '2021-W42' AND late_arrival").fetchall()[0]
    assert late == (2,)


def test_regenerating_a_week_replaces_its_rows(con):
    generate_digest(con, "2021-W43", 0.5, [], MONDAY_W43)
    other_week = _tables(con)
    first = generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43, run_id="run-1")
    once = _tables(con)
    second = generate_digest(con, "2021-W42", 0.5, [], datetime(2021, 10, 26), run_id="run-2", force=True)
    twice = _tables(con)
    assert not second.reused
    for table in ("stories", "story_articles", "digest_items"):
        assert twice[table] == once[table], table
    assert con.execute("SELECT week, run_id FROM digests ORDER BY week").fetchall() == [
        ("2021-W42", "run-2"), ("2021-W43", None)]
    assert [s.story.story_id for s in first.digest.stories] == [s.story.story_id for s in second.digest.stories]
    w43 = {t: [r for r in rows if "2021-W43" in r] for t, rows in twice.items()}
    assert w43 == other_week, "another week's digest is untouched"
    assert con.execute("SELECT json_extract(json, '$.run_id') FROM digests WHERE week = '2021-W42'"
                       ).fetchall()[0] == ('"run-2"',)


def test_regenerating_after_new_articles_leaves_no_stale_rows(tmp_path: Path):
    con = db.open_warehouse(tmp_path / "w.duckdb")
    try:
        _store(con, ["a-published.txt"])
        generate_digest(con, "2021-W42", 0.5, [], FRIDAY_W42)
        assert con.execute("SELECT stories, articles FROM digests").fetchall()[0] == (1, 1)
        _store(con, ["b-undated.txt", "g-off-topic.txt"])
        generate_digest(con, "2021-W42", 0.5, [], FRIDAY_W42)
        assert con.execute("SELECT count(*), max(articles), max(left_out) FROM digests").fetchall()[0] == (1, 2, 1)
        stored = con.execute("SELECT count(*), count(DISTINCT article_id) FROM story_articles").fetchall()[0]
        assert stored == (2, 2)
        ranks = [r[0] for r in con.execute("SELECT rank FROM stories ORDER BY rank").fetchall()]
        assert ranks == list(range(1, len(ranks) + 1))
    finally:
        con.close()


def test_a_failed_write_leaves_the_previous_generation(con, monkeypatch):
    generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43)
    before = _tables(con)
    real = sql.digest_rows

    def broken(*args):  # the digest row goes in last: deletes and earlier inserts must roll back with it
        row, stories, members, items = real(*args)
        return {**row, "markdown": None}, stories, members, items

    monkeypatch.setattr(sql, "digest_rows", broken)
    with pytest.raises(duckdb.ConstraintException):
        generate_digest(con, "2021-W42", 0.5, [], datetime(2021, 10, 27), force=True)
    assert _tables(con) == before


def test_a_doctored_citation_writes_nothing(con, monkeypatch):
    generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43)
    before = _tables(con)
    monkeypatch.setattr(digest_mod, "summarize", lambda docs, words, language: [
        SummarySentence(docs[0].doc_id, "Russia deployed 50,000 troops to Tajikistan on Monday.", 0)])
    with pytest.raises(CitationError):
        generate_digest(con, "2021-W42", 0.5, [], datetime(2021, 10, 27), force=True)
    assert _tables(con) == before


def _refuse(*args, **kwargs):
    raise AssertionError("the week was rebuilt or its tables rewritten")


def test_an_unchanged_week_is_reused_without_rebuilding_or_writing(con, monkeypatch):
    first = generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43, run_id="run-1")
    stored = _tables(con)
    for module, name in ((digest_tasks, "build_digest"), (sql, "week_articles"), (sql, "write_digest")):
        monkeypatch.setattr(module, name, _refuse)
    again = generate_digest(con, "2021-W42", 0.5, [], datetime(2021, 10, 27), run_id="run-2")
    assert not first.reused and again.reused and again.digest is None
    assert (again.markdown, again.html, again.json) == (first.markdown, first.html, first.json)
    assert (again.generated_at, again.run_id) == (MONDAY_W43, "run-1"), "the stored generation, as it was built"
    assert (again.stories, again.articles, again.left_out, again.late_arrivals) == (
        len(first.digest.stories), len(first.digest.counted), first.digest.left_out, len(first.digest.late))
    assert (again.articles, again.left_out, again.late_arrivals) == (3, 1, 2)
    assert _tables(con) == stored
    assert con.execute("SELECT generated_at, run_id, inputs_sha256 FROM digests WHERE week = '2021-W42'"
                       ).fetchall() == [(MONDAY_W43, "run-1", first.inputs_sha256)]
    assert json.loads(again.json)["generated_at"] == MONDAY_W43.isoformat()


def test_force_rebuilds_an_unchanged_week(con):
    first = generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43, run_id="run-1")
    forced = generate_digest(con, "2021-W42", 0.5, [], datetime(2021, 10, 27), run_id="run-2", force=True)
    assert not forced.reused and forced.inputs_sha256 == first.inputs_sha256
    assert con.execute("SELECT generated_at, run_id FROM digests WHERE week = '2021-W42'").fetchall() == [
        (datetime(2021, 10, 27), "run-2")]


LATER = datetime(2021, 10, 23, 12)


def _new_version(con) -> None:  # the page of a-published.txt changed: a new article version, scored
    _ingest(con, [_doc("a-published.txt", "en_pos_kazakh_unrest.txt", datetime(2021, 10, 19, 10), LATER)], LATER)
    score_pending(con, 0.5, LATER)


def _fetch_error(con, logged_at: datetime) -> None:
    store.record_errors(con, [{"run_id": "run-x", "source": "feed", "uri": "https://example.org/a", "stage": "fetch",
                               "error_class": "Timeout", "message": "timed out", "sha256": None,
                               "logged_at": logged_at}])


def _article_of(con, uri: str) -> tuple[str, int]:
    return con.execute("SELECT article_id, version FROM mart_articles WHERE uri = ?", [uri]).fetchall()[0]


def _rescore(con) -> None:  # e.g. a re-scored version: same article, a different score
    con.execute("UPDATE article_relevance SET score = score - 0.01 WHERE article_id = ? AND version = ?",
                _article_of(con, "b-undated.txt"))


def _drop_entity(con) -> None:
    article_id, version = _article_of(con, "a-published.txt")
    con.execute("DELETE FROM article_entities WHERE article_id = ? AND version = ? AND entity_key ="
                " (SELECT min(entity_key) FROM article_entities WHERE article_id = ? AND version = ?)",
                [article_id, version, article_id, version])


CHANGES = {  # name -> (change to the warehouse, threshold of the re-run, rebuilt?)
    "new relevant article in the week": (lambda con: _store(con, ["e-sunday-night.txt"]), 0.5, True),
    "new version of an article": (_new_version, 0.5, True),
    "changed threshold": (lambda con: None, 0.6, True),
    "changed relevance score": (_rescore, 0.5, True),
    "changed entities": (_drop_entity, 0.5, True),
    "fetch error logged in the week": (lambda con: _fetch_error(con, datetime(2021, 10, 20, 4)), 0.5, True),
    "an earlier week's digest generated": (
        lambda con: generate_digest(con, "2020-W53", 0.5, [], MONDAY_W43), 0.5, True),
    "digest version bumped": (lambda con: None, 0.5, True),  # DIGEST_VERSION patched below
    "nothing": (lambda con: None, 0.5, False),
    "article of another week": (lambda con: _store(con, ["d-undated-next.txt"]), 0.5, False),
    "fetch error logged in another week": (lambda con: _fetch_error(con, datetime(2021, 10, 26)), 0.5, False),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_to_the_inputs_rebuilds_the_week(tmp_path: Path, monkeypatch, change: str):
    con = db.open_warehouse(tmp_path / "w.duckdb")
    try:
        _store(con, [u for u in ARTICLES if u not in ("d-undated-next.txt", "e-sunday-night.txt")])
        first = generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43, run_id="run-1")
        apply, threshold, rebuilt = CHANGES[change]
        apply(con)
        if change == "digest version bumped":
            monkeypatch.setattr(digest_tasks, "DIGEST_VERSION", digest_tasks.DIGEST_VERSION + 1)
        second = generate_digest(con, "2021-W42", threshold, [], datetime(2021, 10, 27), run_id="run-2")
        assert second.reused is not rebuilt
        assert (second.inputs_sha256 != first.inputs_sha256) is rebuilt
        stored = con.execute("SELECT run_id, inputs_sha256 FROM digests WHERE week = '2021-W42'").fetchall()
        assert stored == [("run-2" if rebuilt else "run-1", second.inputs_sha256)]
        third = generate_digest(con, "2021-W42", threshold, [], datetime(2021, 10, 28), run_id="run-3")
        assert third.reused and third.run_id == stored[0][0], "the rebuilt digest is reused by the next run"
    finally:
        con.close()


def test_code_fingerprint_covers_the_digest_code():
    modules = set(digest_tasks.code_files())
    assert {"newsdigest.digest", "newsdigest.digest_render", "newsdigest.stories", "newsdigest.textvec",
            "newsdigest.summarize", "newsdigest.summary_select", "newsdigest.quotes", "newsdigest.markdown_safe",
            "warehouse.digest", "tasks.digest"} <= modules
    assert "newsdigest.scoring" in modules
    assert not {"tasks.ingest", "newsdigest.extract", "newsdigest.parallel"} & modules, "only what builds a digest"
    assert digest_tasks._imported_names("import a.b as c, d\nfrom e.f import (g,  # note\n    h as i)\n") == [
        "a.b", "d", "e.f", "e.f.g", "e.f.h"]


def test_silent_web_source_is_disclosed(tmp_path: Path):
    con = db.open_warehouse(tmp_path / "w.duckdb")
    try:
        _ingest(con, [_doc("feed-1.txt", "en_pos_kant_exercise.txt", None, datetime(2021, 10, 13), "feed")],
                datetime(2021, 10, 13))
        _store(con, ["a-published.txt"])
        digest = generate_digest(con, "2021-W42", 0.5, ["feed", "local"], FRIDAY_W42).digest
        assert [(h.source, h.status) for h in digest.coverage] == [("feed", "silent")]
        [(markdown,)] = con.execute("SELECT markdown FROM digests").fetchall()
        assert "feed: silent — no new articles this week" in markdown
    finally:
        con.close()


def test_scoring_is_incremental(con):
    assert score_pending(con, 0.5, MONDAY_W43) == 0
    assert con.execute("SELECT count(*) FROM article_relevance").fetchall()[0] == (len(ARTICLES),)


def _doc_queries() -> list[str]:
    doc = (ROOT / "docs" / "digest.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", doc, flags=re.DOTALL)
    return [q.strip() for block in blocks for q in block.split(";") if q.strip() and "SET VARIABLE" not in q]


def test_documented_queries_rebuild_the_digest(con):
    generate_digest(con, "2021-W42", 0.5, [], MONDAY_W43)
    con.execute("SET VARIABLE week = '2021-W42'")
    queries = _doc_queries()
    assert len(queries) >= 8
    results = [con.execute(q).fetchall() for q in queries]  # every documented query runs
    published, recomputed = results[0][0], results[1][0]
    assert (published[1], published[4], published[5]) == recomputed, "articles, left_out, undated"
    assert [] in results, "the verbatim check finds nothing"
    verbatim = next(r for q, r in zip(queries, results, strict=True) if "NOT contains" in q)
    assert verbatim == []
    stored = json.loads(con.execute("SELECT json FROM digests").fetchall()[0][0])
    assert stored["figures"]["articles"] == published[1]
