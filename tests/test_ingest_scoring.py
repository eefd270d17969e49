"""New article versions are scored where they are extracted and stored with their batch, exactly as the
digest's own scoring would score them; what that misses, the digest scores later."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import newsdigest.scoring
from newsdigest import parallel
from newsdigest.models import RawDocument
from newsdigest.scoring import score_rows
from newsdigest.store_plan import identity, plan_batch
from tasks.digest import score_pending
from warehouse import db, store
from warehouse import digest as sql

NOW = datetime(2026, 11, 20, 12, 0)
MAX_BYTES = 1 << 20


@pytest.fixture
def con(tmp_path: Path):
    connection = db.open_warehouse(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def _docs(seed_texts: dict[str, str]) -> list[RawDocument]:
    return [RawDocument("seeds", name, text.encode(), "text/plain", NOW) for name, text in seed_texts.items()]


def _store(con, extracted, run_id: str = "run-1") -> None:
    plan = plan_batch(extracted, store.stored_articles(con, [identity(e) for e in extracted if e.ok]),
                      store.load_duplicate_index(con), run_id, NOW)
    store.write_batch(con, plan)


def _scores(con) -> tuple[list[tuple], list[tuple]]:
    return (con.execute("SELECT * FROM article_relevance ORDER BY ALL").fetchall(),
            con.execute("SELECT * FROM article_entities ORDER BY ALL").fetchall())


def test_stored_versions_carry_the_scores_the_digest_would_give_them(con, seed_texts, tmp_path: Path):
    _store(con, parallel.extract_many(_docs(seed_texts), MAX_BYTES, workers=1, threshold=0.5))
    assert sql.unscored(con) == [], "every stored version is scored with its batch"
    at_ingest = _scores(con)
    assert len(at_ingest[0]) == 5 and any(row[3] for row in at_ingest[0]), "the seeds include relevant articles"
    assert len(at_ingest[1]) > 5

    # the same articles stored unscored, then scored by the digest's path: the same rows
    other = db.open_warehouse(tmp_path / "other.duckdb")
    try:
        _store(other, parallel.extract_many(_docs(seed_texts), MAX_BYTES, workers=1))
        todo = sql.unscored(other)
        assert len(todo) == 5
        relevance, entities = score_rows(todo, 0.5, NOW)
        sql.write_scores(other, relevance, entities)
        assert _scores(other) == at_ingest
    finally:
        other.close()

    _store(con, parallel.extract_many(_docs(seed_texts), MAX_BYTES, workers=1, threshold=0.5), "run-2")
    assert _scores(con) == at_ingest, "a re-run adds no second score"


def test_scores_from_the_pool_match_in_process(seed_texts):
    docs = _docs(seed_texts)
    try:
        pooled = parallel.extract_many(docs, MAX_BYTES, workers=2, chunk_size=2, threshold=0.5)
    finally:
        parallel.shutdown()
    local = parallel.extract_many(docs, MAX_BYTES, workers=1, threshold=0.5)
    assert all(p.scores is not None for p in pooled)
    assert [p.scores for p in pooled] == [x.scores for x in local]


def test_a_scoring_failure_is_a_note_and_the_digest_scores_the_article_later(con, seed_texts, monkeypatch):
    def broken(title, body, threshold):
        raise RuntimeError("lexicon unreadable (simulated)")

    monkeypatch.setattr(newsdigest.scoring, "score_text", broken)
    extracted = parallel.extract_many(_docs(seed_texts), MAX_BYTES, workers=1, threshold=0.5)
    assert all(e.ok and e.scores is None for e in extracted), "the extraction itself stands"
    assert all("scoring failed (RuntimeError: lexicon unreadable (simulated))" in (e.note or "") for e in extracted)
    _store(con, extracted)
    assert con.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 5
    assert _scores(con) == ([], [])

    monkeypatch.undo()
    assert score_pending(con, 0.5, NOW) == 5
    assert len(_scores(con)[0]) == 5 and sql.unscored(con) == []


def test_the_threshold_setting_is_checked_where_it_is_read(monkeypatch):
    from newsdigest.relevance import DEFAULT_THRESHOLD
    from newsdigest.settings import Settings, relevance_threshold_from_env

    monkeypatch.delenv("NEWSDIGEST_RELEVANCE_THRESHOLD", raising=False)
    assert relevance_threshold_from_env() == DEFAULT_THRESHOLD
    monkeypatch.setenv("NEWSDIGEST_RELEVANCE_THRESHOLD", " 0.35 ")
    assert Settings.from_env().relevance_threshold == 0.35
    for bad in ("high", "1.5", "-0.1", "nan"):
        monkeypatch.setenv("NEWSDIGEST_RELEVANCE_THRESHOLD", bad)
        with pytest.raises(ValueError, match=f"RELEVANCE_THRESHOLD must be a number from 0 to 1, not '{bad}'"):
            Settings.from_env()
