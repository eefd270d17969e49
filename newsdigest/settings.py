"""Runtime settings, read once from the environment so the CLI, flows and deployments agree.

Every setting has an offline default that works from a fresh clone: the warehouse and outputs live under
`var/` in the checkout, and the sources file defaults to `sources.toml` (the seeds folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    warehouse: Path  # the DuckDB file the pipeline writes
    output_dir: Path  # where digests (Markdown) are written
    sources_file: Path  # TOML list of sources
    batch_size: int  # documents per extraction/store task
    max_document_bytes: int  # larger inputs are rejected with an error (also caps gzip expansion)
    extract_workers: int  # threads for extraction inside a batch task

    @classmethod
    def from_env(cls) -> Settings:
        var = _path("NEWSDIGEST_HOME", PROJECT_ROOT / "var")
        return cls(
            warehouse=_path("NEWSDIGEST_WAREHOUSE", var / "warehouse.duckdb"),
            output_dir=_path("NEWSDIGEST_OUTPUT_DIR", var / "digests"),
            sources_file=_path("NEWSDIGEST_SOURCES", PROJECT_ROOT / "sources.toml"),
            batch_size=int(os.environ.get("NEWSDIGEST_BATCH_SIZE", "200")),
            max_document_bytes=int(os.environ.get("NEWSDIGEST_MAX_DOCUMENT_BYTES", str(10 * 1024 * 1024))),
            extract_workers=int(os.environ.get("NEWSDIGEST_EXTRACT_WORKERS", "2")),
        )
