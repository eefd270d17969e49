"""The sources file: which inputs the pipeline reads, validated with errors an operator can act on."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("folder",)  # web kinds (feed, sitemap, urls) are added by the web-ingestion work
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class SourceConfigError(ValueError):
    """The sources file is unreadable or invalid; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    path: Path | None = None  # folder sources
    country: str | None = None
    language: str | None = None
    enabled: bool = True
    options: dict = field(default_factory=dict, hash=False, compare=False)


def load_sources(path: Path) -> list[Source]:
    """Parse and validate a sources file; relative folder paths resolve against the file's directory."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourceConfigError(f"sources file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceConfigError(f"{path}: not valid TOML: {exc}") from exc
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise SourceConfigError(f"{path}: expected one or more [[sources]] tables")
    sources = [_parse(path, i, e) for i, e in enumerate(entries, 1)]
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourceConfigError(f"{path}: source names must be unique; repeated: {', '.join(dupes)}")
    return sources


def _parse(path: Path, index: int, entry: object) -> Source:
    where = f"{path}: [[sources]] #{index}"
    if not isinstance(entry, dict):
        raise SourceConfigError(f"{where}: must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SourceConfigError(f"{where}: 'name' must be lowercase letters, digits, '-' or '_' (got {name!r})")
    where = f"{path}: source {name!r}"
    kind = entry.get("kind")
    if kind not in KINDS:
        raise SourceConfigError(f"{where}: 'kind' must be one of {', '.join(KINDS)} (got {kind!r})")
    known = {"name", "kind", "path", "country", "language", "enabled"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise SourceConfigError(f"{where}: unknown keys {unknown}; allowed: {sorted(known)}")
    folder = None
    if kind == "folder":
        raw = entry.get("path")
        if not isinstance(raw, str) or not raw:
            raise SourceConfigError(f"{where}: folder sources need 'path'")
        folder = (path.parent / raw).resolve()
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SourceConfigError(f"{where}: 'enabled' must be true or false")
    for key in ("country", "language"):
        if key in entry and not isinstance(entry[key], str):
            raise SourceConfigError(f"{where}: {key!r} must be a string")
    return Source(
        name=name,
        kind=kind,
        path=folder,
        country=entry.get("country") or None,
        language=entry.get("language") or None,
        enabled=enabled,
    )
