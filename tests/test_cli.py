"""The console script: `extract --json` shows exactly what the pipeline extracts; `query` is read-only."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from newsdigest.cli import main
from newsdigest.extract import extract_document
from newsdigest.fetch.folder import FolderFetcher
from newsdigest.sources import Source
from tests.conftest import SEEDS
from warehouse import db

FIELDS = {"title", "published_at", "date_source", "site", "agency", "language", "authors", "canonical_url", "url",
          "text"}


def _extract_json(capsys, *argv: str) -> dict:
    assert main(["extract", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_extract_json_matches_the_pipeline(seed: str, capsys):
    out = _extract_json(capsys, str(SEEDS / seed))
    assert set(out) == FIELDS
    (doc,) = [d for d in FolderFetcher(10 * 2**20).fetch(Source("seeds", "folder", SEEDS)) if d.uri == seed]
    piped = extract_document(doc, 10 * 2**20).extraction
    assert out["title"] == piped.title and out["text"] == piped.text
    assert out["date_source"] == piped.published.source
    assert out["published_at"] == (piped.published.value.isoformat() if piped.published.value else None)


def test_extract_uses_url_for_dates_in_the_path(capsys):
    seed = SEEDS / "000_7cfd1a385b78c9bd.txt"
    out = _extract_json(capsys, str(seed), "--url", "https://example.org/news/2021/02/09/lavrov-dushanbe")
    assert (out["published_at"], out["date_source"]) == ("2021-02-09T00:00:00", "url")
    assert out["url"] == "https://example.org/news/2021/02/09/lavrov-dushanbe"


def test_extract_reports_bad_files_clearly(tmp_path: Path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["extract", str(empty), "--json"]) == 1
    assert "empty" in capsys.readouterr().err.lower()
    assert main(["extract", str(tmp_path / "missing.txt")]) == 2


def test_query_is_read_only(tmp_path: Path, capsys):
    path = tmp_path / "w.duckdb"
    db.open_warehouse(path).close()
    assert main(["query", "SELECT count(*) AS n FROM mart_articles", "--warehouse", str(path), "--format",
                 "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 0}]
    assert main(["query", "DELETE FROM articles", "--warehouse", str(path)]) == 1
    assert "read-only" in capsys.readouterr().err.lower()
    assert main(["query", "SELEC nonsense", "--warehouse", str(path)]) == 1
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
    con.close()
