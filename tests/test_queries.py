"""The analysts' example queries (warehouse/queries/*.sql) on the seeds' warehouse, read through its snapshot.

The warehouse is built once for the module by the weekly flow on the seeds plus a `mirror` source holding one
seed republished without its outlet's credit line, so the duplicates query has a copy across outlets to find.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SEEDS
from warehouse.snapshot import snapshot_path

QUERIES = ROOT / "warehouse" / "queries"
UNDATED_SEEDS = {"000_7cfd1a385b78c9bd.txt", "001_0acae4aa53c38f04.txt", "002_814f9eb546266c95.txt"}
MIRRORED = "004_017209d9a1e91163.txt"  # Devdiscourse's copy of a Reuters story


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory, prefect_harness) -> Path:
    from flows.weekly import weekly

    base = tmp_path_factory.mktemp("queries")
    mirror = base / "mirror"
    mirror.mkdir()
    text = (SEEDS / MIRRORED).read_text(encoding="utf-8")
    (mirror / "reuters-copy.txt").write_text(text.split("(This story has not been edited")[0], encoding="utf-8")
    sources = base / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "seeds"\nkind = "folder"\npath = "{SEEDS}"\n\n'
                       f'[[sources]]\nname = "mirror"\nkind = "folder"\npath = "{mirror}"\n', encoding="utf-8")
    result = weekly(week="current", sources_file=str(sources), warehouse=str(base / "warehouse.duckdb"),
                    output_dir=str(base / "digests"))
    return snapshot_path(Path(result["warehouse"]))


def run(snapshot: Path, name: str, **variables: str) -> list[dict]:
    sql = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        for key, value in variables.items():
            con.execute(f"SET VARIABLE {key} = '{value}'")
        rel = con.sql(sql)
        return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()


def _bodies(snapshot: Path) -> dict[str, str]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return dict(con.execute("SELECT article_id, body FROM mart_articles").fetchall())
    finally:
        con.close()


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.sql")), ids=lambda p: p.stem)
def test_every_query_says_what_it_answers_and_runs(snapshot: Path, path: Path):
    header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("--")]
    assert header and path.read_text(encoding="utf-8").startswith("-- "), "starts with a header comment"
    assert "one row per" in " ".join(header), "the header names the grain"
    assert any("Variables:" in line for line in header), "the header names the variables (or 'none')"
    run(snapshot, path.stem)


def test_this_weeks_stories(snapshot: Path):
    from newsdigest.weeks import current_week

    rows = run(snapshot, "this_weeks_stories")
    assert rows, "the seeds make at least one story"
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert {r["week"] for r in rows} == {current_week(datetime.now(UTC).replace(tzinfo=None))}
    assert all(r["label"] and r["outlets"] for r in rows)
    bodies = " ".join(_squash(b) for b in _bodies(snapshot).values())
    assert all(_squash(r["first_line"]) in bodies for r in rows if r["first_line"]), "summary lines are verbatim"
    assert run(snapshot, "this_weeks_stories", week="2021-W27") == [], "no digest was generated for 2021-W27"


def test_outlet_coverage_over_time(snapshot: Path):
    rows = run(snapshot, "outlet_coverage_over_time")
    assert {"Devdiscourse", "News i", "mirror"} <= {r["outlet"] for r in rows}
    assert sum(r["articles"] for r in rows) == 6
    assert sum(r["undated"] for r in rows) == len(UNDATED_SEEDS)
    one = run(snapshot, "outlet_coverage_over_time", outlet="devdisc")
    assert [(r["outlet"], r["week"], r["articles"]) for r in one] == [("Devdiscourse", "2021-W27", 1)]


def test_who_said_what_about_a_country(snapshot: Path):
    rows = run(snapshot, "who_said_what_about_a_country")  # default: Tajikistan
    assert rows, "the seeds' digest quotes officials on Tajikistan"
    bodies = _bodies(snapshot)
    for row in rows:
        assert row["country"] == "Tajikistan" and row["speaker"]
        assert _squash(row["quote"]) in _squash(bodies[row["article_id"]]), "quotes are verbatim"
    assert run(snapshot, "who_said_what_about_a_country", country="no_such_country") == []


def test_duplicates_across_outlets(snapshot: Path):
    rows = run(snapshot, "duplicates_across_outlets")
    assert len(rows) == 1, rows
    assert {rows[0]["canonical_outlet"], rows[0]["copy_outlet"]} == {"Devdiscourse", "mirror"}
    assert rows[0]["rule"] in ("content_hash", "near_duplicate")


def test_undated_articles(snapshot: Path):
    rows = run(snapshot, "undated_articles")
    assert {r["uri"] for r in rows} == UNDATED_SEEDS
    assert all(r["counted_in_week"] == rows[0]["counted_in_week"] for r in rows), "counted in the week stored"
