"""The sources file: which inputs the pipeline reads, validated with errors an operator can act on.

Kinds: `folder` (local files), `feed` (RSS/Atom/RDF/JSON Feed URL), `sitemap` (sitemap index, urlset or
Google News sitemap URL), `urls` (a list of page URLs in the file, or a file of URLs one per line), and
`homepage` (an outlet's home page whose `<link rel="alternate">` feeds are discovered and read).
Per-source limits override the global HTTP settings for that source only.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

KINDS = ("folder", "feed", "sitemap", "urls", "homepage")
WEB_KINDS = ("feed", "sitemap", "urls", "homepage")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_COMMON = {"name", "kind", "country", "language", "enabled"}
_KEYS = {
    "folder": {"path"},
    "feed": {"url", "max_items", "per_host_delay", "timeout"},
    "sitemap": {"url", "max_items", "per_host_delay", "timeout", "max_sitemaps", "since_days"},
    "urls": {"urls", "urls_file", "max_items", "per_host_delay", "timeout"},
    "homepage": {"url", "max_items", "per_host_delay", "timeout"},
}
_LIMITS = {"max_items": int, "max_sitemaps": int, "since_days": int, "per_host_delay": float, "timeout": float}


# The optional [http] table of a sources file: fetch settings for this file's web sources. Env variables
# (NEWSDIGEST_*) set the defaults; the file wins, so a sources file pointing at a test site on 127.0.0.1
# can say `allow_loopback = true` without touching the environment.
HTTP_KEYS: dict[str, type] = {
    "allow_loopback": bool, "allow_private": bool, "respect_robots": bool, "user_agent": str,
    "per_host_delay": float, "per_host_concurrency": int, "global_concurrency": int, "connect_timeout": float,
    "read_timeout": float, "retries": int, "max_retry_after": float, "max_bytes": int, "max_redirects": int,
}


class SourceConfigError(ValueError):
    """The sources file is unreadable or invalid; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    path: Path | None = None  # folder sources
    url: str | None = None  # feed, sitemap and homepage sources
    urls: tuple[str, ...] = ()  # urls sources (from the list and/or the urls_file)
    country: str | None = None
    language: str | None = None
    enabled: bool = True
    options: dict = field(default_factory=dict, hash=False, compare=False)  # per-source limits

    @property
    def is_web(self) -> bool:
        return self.kind in WEB_KINDS


def load_sources(path: Path) -> list[Source]:
    """Parse and validate a sources file; relative paths resolve against the file's directory."""
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


def load_http_overrides(path: Path) -> dict:
    """The validated [http] table of a sources file ({} when absent)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # load_sources reports these with a clear message
    table = data.get("http", {})
    if not isinstance(table, dict):
        raise SourceConfigError(f"{path}: [http] must be a table of fetch settings")
    unknown = sorted(set(table) - set(HTTP_KEYS))
    if unknown:
        raise SourceConfigError(f"{path}: [http] has unknown keys {unknown}; allowed: {sorted(HTTP_KEYS)}")
    out = {}
    for key, value in table.items():
        kind = HTTP_KEYS[key]
        if kind is bool:
            if not isinstance(value, bool):
                raise SourceConfigError(f"{path}: [http] {key} must be true or false (got {value!r})")
        elif kind is str:
            if not isinstance(value, str) or not value.strip():
                raise SourceConfigError(f"{path}: [http] {key} must be a non-empty string")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise SourceConfigError(f"{path}: [http] {key} must be a number >= 0 (got {value!r})")
        out[key] = kind(value)
    if out.get("per_host_concurrency", 1) > 2 or out.get("per_host_concurrency", 1) < 1:
        raise SourceConfigError(f"{path}: [http] per_host_concurrency must be 1 or 2 (politeness)")
    return out


def _http_url(where: str, value: object, key: str = "url") -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourceConfigError(f"{where}: needs {key!r} (an http:// or https:// address)")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceConfigError(f"{where}: {key} must be an http:// or https:// address (got {value!r})")
    return value.strip()


def _url_list(path: Path, where: str, entry: dict) -> tuple[str, ...]:
    urls: list[str] = []
    listed = entry.get("urls", [])
    if not isinstance(listed, list):
        raise SourceConfigError(f"{where}: 'urls' must be a list of addresses")
    urls += [_http_url(where, u, "each entry of 'urls'") for u in listed]
    if "urls_file" in entry:
        file = path.parent / str(entry["urls_file"])
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SourceConfigError(f"{where}: cannot read urls_file {file}: {exc}") from exc
        for n, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                urls.append(_http_url(f"{where} ({file.name} line {n})", line, "the line"))
    if not urls:
        raise SourceConfigError(f"{where}: urls sources need 'urls' (a list) and/or 'urls_file'")
    return tuple(dict.fromkeys(urls))


def _options(where: str, entry: dict) -> dict:
    options = {}
    for key, kind in _LIMITS.items():
        if key in entry:
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise SourceConfigError(f"{where}: {key!r} must be a positive number (got {value!r})")
            options[key] = kind(value)
    return options


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
    known = _COMMON | _KEYS[kind]
    unknown = sorted(set(entry) - known)
    if unknown:
        raise SourceConfigError(f"{where}: unknown keys {unknown} for kind {kind!r}; allowed: {sorted(known)}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SourceConfigError(f"{where}: 'enabled' must be true or false")
    for key in ("country", "language"):
        if key in entry and not isinstance(entry[key], str):
            raise SourceConfigError(f"{where}: {key!r} must be a string")
    folder, url, urls = None, None, ()
    if kind == "folder":
        raw = entry.get("path")
        if not isinstance(raw, str) or not raw:
            raise SourceConfigError(f"{where}: folder sources need 'path'")
        folder = (path.parent / raw).resolve()
    elif kind == "urls":
        urls = _url_list(path, where, entry)
    else:
        url = _http_url(where, entry.get("url"))
    return Source(name=name, kind=kind, path=folder, url=url, urls=urls, country=entry.get("country") or None,
                  language=entry.get("language") or None, enabled=enabled, options=_options(where, entry))
