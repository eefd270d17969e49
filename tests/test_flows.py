"""The Prefect flows end to end on a temporary Prefect server (one per session): keep these few."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SEEDS, write_sources
from warehouse.snapshot import snapshot_path

pytestmark = pytest.mark.usefixtures("prefect_harness")

DATA_TABLES = ["raw_documents", "document_locations", "articles", "article_versions", "article_duplicates", "sources"]


def _snapshot(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in DATA_TABLES}
    finally:
        con.close()


def _digest_artifacts() -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return len(client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["weekly-digest"]))))


def test_weekly_on_seeds_is_complete_and_idempotent(tmp_path: Path):
    from flows.weekly import weekly

    sources = write_sources(tmp_path / "sources.toml", SEEDS, name="seeds")
    kwargs = dict(sources_file=str(sources), warehouse=str(tmp_path / "w.duckdb"), output_dir=str(tmp_path / "out"))
    first = weekly(**kwargs)
    assert first["ingest"]["totals"]["articles_new"] == 5
    snapshot = _snapshot(tmp_path / "w.duckdb")
    first_json = Path(first["json"]).read_text(encoding="utf-8")
    artifacts = _digest_artifacts()
    published = snapshot_path(tmp_path / "w.duckdb").stat()
    second = weekly(**kwargs)
    again = snapshot_path(tmp_path / "w.duckdb").stat()
    assert (again.st_ino, again.st_mtime_ns) == (published.st_ino, published.st_mtime_ns), "nothing stored: no copy"
    assert second["ingest"]["totals"]["articles_new"] == 0
    assert second["ingest"]["sources"][0]["unchanged"] == 5
    assert _snapshot(tmp_path / "w.duckdb") == snapshot
    assert Path(second["json"]).read_text(encoding="utf-8") == first_json, "unchanged inputs: the digest is reused"
    assert _digest_artifacts() == artifacts + 1, "the digest artifact is published by every run"

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    rows = con.execute("SELECT uri, title, date_source, is_canonical FROM mart_articles ORDER BY uri").fetchall()
    runs = con.execute("SELECT flow_name, status FROM pipeline_runs ORDER BY started_at").fetchall()
    scored_with_batch = con.execute(  # the ingest scored each version as it stored it (same time stamp)
        "SELECT count(*) FROM article_relevance AS r JOIN article_versions AS v USING (article_id, version)"
        " WHERE r.scored_at = v.extracted_at").fetchone()[0]
    from warehouse.db import run_data_tests

    failing = {k: v for k, v in run_data_tests(con).items() if v}
    con.close()
    assert [r[0] for r in rows] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert all(r[3] for r in rows), "the five seeds are five different articles"
    assert runs == [("ingest", "completed"), ("ingest", "completed")]
    assert scored_with_batch == 5
    assert failing == {}

    digest = Path(second["digest"]).read_text(encoding="utf-8")
    for _uri, title, _, _ in rows:
        if title:
            assert title.split()[0] in digest
    data = json.loads(Path(second["json"]).read_text(encoding="utf-8"))
    shown = [a for story in data["stories"] for a in story["articles"]]
    assert len({a["article_id"] for a in shown}) == len(shown) == 5  # three undated this week, two late arrivals
    assert sum(a["late"] for a in shown) == 2


def test_an_ingest_that_stores_nothing_leaves_the_snapshot_and_one_that_stores_publishes(tmp_path: Path):
    from flows.ingest import ingest
    from warehouse.snapshot import snapshot_path, unpublished_marker

    folder = tmp_path / "seeds"
    folder.mkdir()
    first_seed, *others = sorted(SEEDS.glob("*.txt"))
    shutil.copy(first_seed, folder)
    kwargs = dict(sources_file=str(write_sources(tmp_path / "s.toml", folder)), warehouse=str(tmp_path / "w.duckdb"))
    live, target = tmp_path / "w.duckdb", snapshot_path(tmp_path / "w.duckdb")
    ingest(**kwargs)
    published = target.stat()
    assert not unpublished_marker(live).exists()
    assert ingest(**kwargs)["totals"]["articles_new"] == 0
    again = target.stat()
    assert (again.st_ino, again.st_mtime_ns) == (published.st_ino, published.st_mtime_ns), "nothing new: no copy"
    shutil.copy(others[0], folder)
    assert ingest(**kwargs)["totals"]["articles_new"] == 1
    assert target.stat().st_ino != published.st_ino
    assert _snapshot(target)["articles"] == _snapshot(live)["articles"]
    assert not unpublished_marker(live).exists()


def test_bad_inputs_fail_alone_with_clear_errors(tmp_path: Path):
    from flows.ingest import ingest

    folder = tmp_path / "in"
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, folder / seed.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    (folder / "latin.txt").write_bytes(("Réunion à Douchanbé: la Russie promet des armes au Tadjikistan. " * 20)
                                       .encode("cp1252"))
    (folder / "garbage.txt").write_bytes(bytes(range(128, 256)) * 40)
    with (folder / "huge.txt").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    (folder / "nobody.html").write_text("<html><body><nav>Home | About</nav></body></html>")

    sources = write_sources(tmp_path / "sources.toml", folder)
    result = ingest(sources_file=str(sources), warehouse=str(tmp_path / "w.duckdb"))

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    errors = dict(con.execute("SELECT uri, message FROM run_errors").fetchall())
    stored = {r[0] for r in con.execute("SELECT uri FROM mart_articles").fetchall()}
    con.close()
    assert stored == {p.name for p in sorted(SEEDS.glob("*.txt"))[:2]} | {"latin.txt"}
    assert set(errors) == {"empty.txt", "binary.txt", "garbage.txt", "huge.txt", "nobody.html"}
    assert "empty document" in errors["empty.txt"]
    assert "binary content" in errors["binary.txt"]
    assert "over the 10,485,760-byte limit" in errors["huge.txt"]
    assert "no article text" in errors["nobody.html"]
    assert result["totals"]["failed"] == 5
