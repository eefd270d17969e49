"""Opening the warehouse: connection with lock retry, versioned migrations, and the analyst views.

Migrations (`migrations/NNNN_name.sql`) are applied once each, in order, inside a transaction, and their
checksums are recorded so an edited, already-applied migration is refused instead of silently diverging.
Views (`models/staging`, then `models/marts`) hold no data, so they are re-created on every start.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
MIGRATIONS = HERE / "migrations"
MODEL_LAYERS = (HERE / "models" / "staging", HERE / "models" / "marts")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


def connect(path: Path, read_only: bool = False, attempts: int = 8) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying with backoff while another process holds the write lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    delay = 0.25
    for attempt in range(1, attempts + 1):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == attempts:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: a crash or error inside leaves no half-written rows."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def migration_files() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        found.append((int(match.group(1)), match.group(2), path))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, then (re)create views. Returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    applied = {v: c for v, c in con.execute("SELECT version, checksum FROM schema_migrations").fetchall()}
    done = []
    for version, name, path in migration_files():
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            if applied[version] != checksum:
                raise MigrationError(
                    f"migration {path.name} was edited after it was applied; add a new migration instead"
                )
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                [version, name, checksum, datetime.now(UTC).replace(tzinfo=None)],
            )
        done.append(version)
    create_views(con)
    return done


def model_files() -> list[Path]:
    return [p for layer in MODEL_LAYERS for p in sorted(layer.glob("*.sql"))]


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        for path in model_files():
            con.execute(f"CREATE OR REPLACE VIEW {path.stem} AS\n{path.read_text(encoding='utf-8')}")


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A writable connection with the schema up to date."""
    con = connect(path)
    migrate(con)
    return con


def data_tests() -> list[Path]:
    return sorted((HERE / "tests").glob("*.sql"))


def run_data_tests(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """dbt-style data tests: each query returns offending rows; returns {test name: failing row count}."""
    return {p.stem: len(con.execute(p.read_text(encoding="utf-8")).fetchall()) for p in data_tests()}
