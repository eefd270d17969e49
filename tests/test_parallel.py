"""The extraction process pool: same results as in-process, and other CPU stages (scoring) reuse its workers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import tasks.digest as digest_tasks
from newsdigest import parallel
from newsdigest.extract import extract_document
from newsdigest.models import RawDocument
from newsdigest.scoring import score_rows

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "relevance"
NOW = datetime(2026, 3, 4, 12, 0)


@pytest.fixture(scope="module")
def pool():
    parallel.start_pool(2)
    assert parallel.pool_running()
    yield
    parallel.shutdown()


def _todo() -> list[tuple[str, int, str, str]]:
    out = []
    for i, path in enumerate(sorted(FIXTURES.glob("*.txt"))):
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        out.append((f"a{i:03d}", 1, title.strip(), body))
    return out


def test_extract_many_on_the_pool_matches_in_process(pool, seed_texts):
    docs = [RawDocument("seeds", name, text.encode(), "text/plain", NOW) for name, text in seed_texts.items()]
    pooled = parallel.extract_many(docs, 1 << 20, workers=2, chunk_size=2)
    local = [extract_document(d, 1 << 20) for d in docs]
    assert [(p.extraction, p.fingerprint, p.error) for p in pooled] == \
        [(x.extraction, x.fingerprint, x.error) for x in local]
    assert all(p.doc is d for p, d in zip(pooled, docs, strict=True))  # page bytes are not shipped back


def test_scoring_on_the_pool_matches_in_process(pool):
    todo = _todo()
    assert len(todo) >= 6
    chunks = [todo[i : i + 3] for i in range(0, len(todo), 3)]
    pooled = parallel.map_on_pool(score_rows, chunks, 0.5, NOW)
    assert [r for rel, _ in pooled for r in rel] == score_rows(todo, 0.5, NOW)[0]
    assert [r for _, ent in pooled for r in ent] == score_rows(todo, 0.5, NOW)[1]


def test_score_pending_uses_the_running_pool_and_writes_batch_by_batch(pool, tmp_path: Path, monkeypatch):
    from warehouse import db

    calls = []
    real = parallel.imap_on_pool
    monkeypatch.setattr(digest_tasks, "SCORE_CHUNK", 2)
    monkeypatch.setattr(digest_tasks, "SCORE_BATCH", 4)
    monkeypatch.setattr(parallel, "imap_on_pool", lambda *a: calls.append(len(a[1])) or real(*a))
    todo = _todo()
    monkeypatch.setattr(digest_tasks.sql, "unscored", lambda con: todo)
    written = []
    monkeypatch.setattr(digest_tasks.sql, "write_scores", lambda con, rel, ent: written.append((rel, ent)))
    con = db.open_warehouse(tmp_path / "w.duckdb")
    try:
        assert digest_tasks.score_pending(con, 0.5, NOW) == len(todo)
    finally:
        con.close()
    assert calls == [-(-len(todo) // 2)]  # every chunk handed to the pool in one go
    assert [len(rel) for rel, _ in written] == [len(todo[i : i + 4]) for i in range(0, len(todo), 4)]
    assert [r for rel, _ in written for r in rel] == score_rows(todo, 0.5, NOW)[0]
    assert [r for _, ent in written for r in ent] == score_rows(todo, 0.5, NOW)[1]


def test_without_a_pool_everything_runs_here():
    parallel.shutdown()  # (the module's pool fixture, if it ran, is done with it)
    assert not parallel.pool_running()
    seen = []  # a closure cannot be pickled to a worker: it returning proves the work ran in this process
    assert parallel.map_on_pool(lambda chunk: seen.append(chunk) or sum(chunk), [[1, 2], [3]]) == [3, 3]
    assert seen == [[1, 2], [3]]
