"""Warehouse: migrations, batched transactional writes, idempotency, versioning, the views' data tests."""

import zlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from newsdigest import archive
from newsdigest.dedupe import fingerprint
from newsdigest.models import DateFinding, ExtractedDocument, Extraction, RawDocument
from newsdigest.store_plan import article_id_for, identity, plan_batch
from warehouse import db, store

NOW = datetime(2026, 11, 20, 12, 0)


def _doc(uri: str, body: str, title: str = "T", published: datetime | None = None) -> ExtractedDocument:
    raw = RawDocument("src", uri, body.encode(), "text/plain", NOW)
    finding = DateFinding(published, "dateline", False) if published else DateFinding(None)
    ext = Extraction(title=title, paragraphs=body.split("\n\n"), published=finding)
    return ExtractedDocument(raw, ext, fingerprint(ext.text), extractor="test")


def _ingest(con, docs, run_id="run-1"):
    ids = [identity(d) for d in docs]
    plan = plan_batch(docs, store.stored_articles(con, ids), store.load_duplicate_index(con), run_id, NOW)
    store.write_batch(con, plan)
    return plan


def _snapshot(con) -> dict:
    tables = ["raw_documents", "document_locations", "articles", "article_versions", "article_duplicates"]
    return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


@pytest.fixture
def con(tmp_path: Path):
    connection = db.open_warehouse(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def test_migrations_apply_once_and_views_exist(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    first = db.connect(path)
    assert db.migrate(first) == [v for v, _, _ in db.migration_files()]
    assert db.migrate(first) == []
    views = {r[0] for r in first.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"stg_articles", "stg_duplicate_groups", "mart_articles", "mart_duplicate_links"} <= views
    first.close()


def test_every_view_documents_its_grain():
    for path in db.model_files():
        assert path.read_text().startswith("-- one row per"), path


def test_edited_migration_is_refused(con):
    con.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
    with pytest.raises(db.MigrationError, match="edited after it was applied"):
        db.migrate(con)


def test_rewriting_the_same_batch_changes_nothing(con, seed_texts):
    docs = [_doc(name, text) for name, text in seed_texts.items()]
    _ingest(con, docs)
    before = _snapshot(con)
    _ingest(con, docs, run_id="run-2")
    assert _snapshot(con) == before
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    assert db.run_data_tests(con) == dict.fromkeys(db.run_data_tests(con), 0)


def test_changed_input_is_a_new_version_not_a_new_article(con, seed_texts):
    text = seed_texts["003_bbbd152a2ce05057.txt"]
    _ingest(con, [_doc("a.txt", text)])
    _ingest(con, [_doc("a.txt", text + "\n\nUpdate: the CSTO will meet on Friday.", title="T2")], "run-2")
    rows = con.execute("SELECT version, title, body_changed, title_changed FROM stg_article_versions"
                       " ORDER BY version").fetchall()
    assert rows == [(1, "T", False, False), (2, "T2", True, True)]
    assert con.execute("SELECT count(*), max(current_version) FROM articles").fetchone() == (1, 2)
    assert con.execute("SELECT title FROM stg_articles").fetchone() == ("T2",)


def test_earliest_dated_copy_is_canonical(con, seed_texts):
    text = seed_texts["001_0acae4aa53c38f04.txt"]
    _ingest(con, [_doc("late.txt", text, published=datetime(2021, 7, 9))])
    _ingest(con, [_doc("early.txt", text + "\n\nShare this article", published=datetime(2021, 7, 7))], "run-2")
    rows = con.execute("SELECT uri, is_canonical, copies FROM mart_articles ORDER BY uri").fetchall()
    assert rows == [("early.txt", True, 2), ("late.txt", False, 2)]
    [(rule, copy_id, similarity)] = con.execute(
        "SELECT rule, copy_article_id, similarity FROM mart_duplicate_links").fetchall()
    assert (rule, copy_id) == ("near_duplicate", article_id_for("src:late.txt"))
    assert similarity > 0.9


def test_failed_batch_leaves_no_rows(con, seed_texts, monkeypatch):
    docs = [_doc(name, text) for name, text in seed_texts.items()]
    original = store.insert_rows

    def failing(connection, table, rows):
        if table == "article_duplicates":
            raise RuntimeError("disk full (simulated)")
        original(connection, table, rows)

    monkeypatch.setattr(store, "insert_rows", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        _ingest(con, docs)
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("raw_documents", "articles", "article_versions", "document_locations")]
    assert counts == [0, 0, 0, 0]


def test_failed_extraction_is_archived_and_logged_but_not_an_article(con):
    raw = RawDocument("src", "broken.txt", b"\x00\x01", "text/plain", NOW)
    bad = ExtractedDocument(raw, error_class="ExtractionError", error="binary content", extractor="test")
    plan = _ingest(con, [bad])
    assert plan.counts["errors"] == 1
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert con.execute("SELECT uri, message FROM run_errors").fetchall() == [("broken.txt", "binary content")]
    assert store.known_locations(con, [("src", "broken.txt", raw.sha256)]) == set()


def test_read_only_connection_cannot_write(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    db.open_warehouse(path).close()
    ro = db.connect(path, read_only=True)
    with pytest.raises(duckdb.Error):
        ro.execute("DELETE FROM articles")
    ro.close()


def _web_doc(url: str, body: str, canonical: str | None, chrome: str = "") -> ExtractedDocument:
    raw = RawDocument("web", url, (body + chrome).encode(), "text/html", NOW, url=url)
    ext = Extraction(title="Border talks", paragraphs=body.split("\n\n"), canonical_url=canonical, url=url)
    return ExtractedDocument(raw, ext, fingerprint(ext.text), extractor="test")


def test_url_variants_of_one_article_become_one_article_with_every_url(con, seed_texts):
    body = seed_texts["001_0acae4aa53c38f04.txt"]
    canonical = "https://news.example.kz/2021/07/border-talks"
    docs = [_web_doc(canonical + "?utm_source=rss", body, canonical, "<!-- ad 1 -->"),
            _web_doc("https://m.news.example.kz/2021/07/border-talks", body, None, "<!-- ad 2 -->")]
    _ingest(con, docs)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 1
    urls = {r[0] for r in con.execute("SELECT uri FROM document_locations WHERE article_id IS NOT NULL").fetchall()}
    assert urls == {d.doc.uri for d in docs}


def test_new_bytes_with_the_same_content_add_no_version_but_changed_content_does(con, seed_texts):
    body = seed_texts["001_0acae4aa53c38f04.txt"]
    url = "https://news.example.kz/a"
    _ingest(con, [_web_doc(url, body, url, "<!-- v1 -->")])
    _ingest(con, [_web_doc(url, body, url, "<!-- v2: only the ads changed -->")], "run-2")
    assert con.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 1
    _ingest(con, [_web_doc(url, body + "\n\nUpdated: talks resume on Friday.", url)], "run-3")
    rows = con.execute("SELECT version, changes FROM article_versions ORDER BY version").fetchall()
    assert rows[0] == (1, None)
    assert rows[1][0] == 2 and rows[1][1].startswith("body ")
    assert con.execute("SELECT current_version FROM articles").fetchone()[0] == 2


def test_archive_keeps_every_input_byte_for_byte(con, seed_texts):
    """raw_documents.content unpacks (by its per-row codec) to exactly the bytes that came in."""
    docs = [_doc(name, text) for name, text in seed_texts.items()]
    _ingest(con, docs)
    rows = con.execute("SELECT sha256, compression, content, size_bytes FROM raw_documents").fetchall()
    by_sha = {d.doc.sha256: d.doc.content for d in docs}
    assert {r[0] for r in rows} == set(by_sha)
    for sha, codec, packed, size in rows:
        assert codec == archive.CODEC
        assert archive.unpack(codec, packed) == by_sha[sha] and size == len(by_sha[sha])
        assert len(packed) < size


def test_archive_reads_rows_written_with_zlib_and_refuses_unknown_codecs():
    data = "Бишкек, 12 March — the CSTO drill. ".encode() * 50
    assert archive.unpack("zlib", zlib.compress(data, 1)) == data
    with pytest.raises(ValueError, match="unknown archive codec"):
        archive.unpack("lz77", data)


def test_retry_while_locked_waits_out_a_lock_and_raises_anything_else():
    import duckdb

    from warehouse.db import retry_while_locked

    calls: list[int] = []

    def locked_twice() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise duckdb.IOException('IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held')
        return "opened"

    assert retry_while_locked(locked_twice, attempts=3) == "opened" and len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise duckdb.IOException("IO Error: Cannot open file: No such file or directory")

    calls.clear()
    with pytest.raises(duckdb.IOException, match="No such file"):
        retry_while_locked(broken, attempts=5)
    assert len(calls) == 1  # not a lock: no retry

    calls.clear()
    with pytest.raises(duckdb.IOException, match="lock"):
        retry_while_locked(locked_twice, attempts=2)  # the lock outlasts the attempts: its error is raised
    assert len(calls) == 2
