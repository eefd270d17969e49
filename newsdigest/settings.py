"""Runtime settings, read once from the environment so the CLI, flows and deployments agree.

Every setting has an offline default that works from a fresh clone: the warehouse and outputs live under
`var/` in the checkout, and the sources file defaults to `sources.toml` (the seeds folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from newsdigest.fetch.http_client import HttpSettings
from newsdigest.relevance import DEFAULT_THRESHOLD

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
    http: HttpSettings = field(default_factory=HttpSettings)  # politeness and limits for web sources
    source_workers: int = 4  # web sources harvested at the same time (each is polite per host on its own)
    relevance_threshold: float = DEFAULT_THRESHOLD  # digest cut-off; ingest scores new articles with it too

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
            http=http_settings_from_env(),
            source_workers=int(os.environ.get("NEWSDIGEST_SOURCE_WORKERS", "4")),
            relevance_threshold=relevance_threshold_from_env(),
        )


def relevance_threshold_from_env() -> float:
    """NEWSDIGEST_RELEVANCE_THRESHOLD, else the relevance model's default. Read by every ingest (it scores what
    it stores), so a bad value stops the run at its start with the variable's name, not halfway through."""
    value = os.environ.get("NEWSDIGEST_RELEVANCE_THRESHOLD", "").strip()
    if not value:
        return DEFAULT_THRESHOLD
    try:
        threshold = float(value)
    except ValueError:
        threshold = float("nan")
    if not 0.0 <= threshold <= 1.0:  # scores are 0..1 (also rejects nan)
        raise ValueError(f"NEWSDIGEST_RELEVANCE_THRESHOLD must be a number from 0 to 1, not {value!r}")
    return threshold


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def http_settings_from_env() -> HttpSettings:
    """HTTP politeness and limits; loopback/private hosts are refused unless explicitly allowed."""
    defaults = HttpSettings()
    env = os.environ.get
    return HttpSettings(
        user_agent=env("NEWSDIGEST_USER_AGENT", defaults.user_agent),
        per_host_concurrency=min(2, int(env("NEWSDIGEST_PER_HOST_CONCURRENCY", str(defaults.per_host_concurrency)))),
        per_host_delay=float(env("NEWSDIGEST_PER_HOST_DELAY", str(defaults.per_host_delay))),
        global_concurrency=int(env("NEWSDIGEST_HTTP_CONCURRENCY", str(defaults.global_concurrency))),
        connect_timeout=float(env("NEWSDIGEST_CONNECT_TIMEOUT", str(defaults.connect_timeout))),
        read_timeout=float(env("NEWSDIGEST_READ_TIMEOUT", str(defaults.read_timeout))),
        max_bytes=int(env("NEWSDIGEST_MAX_DOCUMENT_BYTES", str(defaults.max_bytes))),
        retries=int(env("NEWSDIGEST_HTTP_RETRIES", str(defaults.retries))),
        max_retry_after=float(env("NEWSDIGEST_MAX_RETRY_AFTER", str(defaults.max_retry_after))),
        allow_loopback=_flag("NEWSDIGEST_ALLOW_LOOPBACK"),
        allow_private=_flag("NEWSDIGEST_ALLOW_PRIVATE"),
    )
