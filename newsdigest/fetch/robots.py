"""Politeness towards sites: robots.txt rules and per-host pacing (HostGate).

robots.txt is fetched once per origin (scheme, host, port) per client and consulted before every request.
Failure handling follows Google's documented behaviour, which site operators expect from crawlers:
a 4xx robots.txt (other than 429) means "no rules, crawl everything"; a 5xx, a 429 or a network failure
means "the site may be in trouble, crawl nothing" — for the rest of this run, since we do not re-fetch.
Pages refused by rules get error_class "RobotsDisallowed"; pages refused because robots.txt was unavailable
get "RobotsUnavailable" (robots.txt answered 5xx/429/oversized) or the network error's own class
("Timeout", "ConnectError", ...), because those are transient and worth retrying in a later run.
Rules are parsed with the standard library's RobotFileParser and matched against our product token.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

import httpx


@dataclass(frozen=True)
class RobotsFetch:
    """What the loader saw when fetching a robots.txt: status (None: no response), body if 2xx, the error."""

    status: int | None
    content: bytes | None
    error: str | None = None
    error_class: str | None = None


@dataclass(frozen=True)
class RobotsPolicy:
    """The verdict for one origin: parsed rules, or a blanket allow/deny with the reason why."""

    robots_url: str
    parser: RobotFileParser | None = None
    allow_all: bool = False
    deny_reason: str | None = None  # set when everything is disallowed because robots.txt was unavailable
    deny_class: str = "RobotsDisallowed"  # error_class for refused URLs

    def allows(self, url: str, agent: str) -> bool:
        if self.allow_all:
            return True
        if self.parser is None:
            return False
        return self.parser.can_fetch(agent, url)

    def explain(self, url: str, agent: str) -> str:
        """One-line message for a refused URL."""
        if self.deny_reason:
            return f"{self.robots_url} {self.deny_reason}, so the whole host is treated as disallowed for this run"
        return f"{self.robots_url} disallows {url} for user agent {agent!r}; not fetched"


def policy_from_fetch(robots_url: str, fetched: RobotsFetch) -> RobotsPolicy:
    """Turn a robots.txt fetch into a policy (see the module docstring for the 4xx/5xx rules)."""
    status = fetched.status
    if status is not None and 200 <= status < 300 and fetched.content is not None:
        parser = RobotFileParser(robots_url)
        parser.parse(fetched.content.decode("utf-8", errors="replace").splitlines())
        return RobotsPolicy(robots_url, parser=parser)
    if status is not None and 400 <= status < 500 and status != 429:
        return RobotsPolicy(robots_url, allow_all=True)
    # Unavailable: refused pages carry a retryable-looking class, not RobotsDisallowed, so callers that retry
    # transient failures next run (warehouse TRANSIENT_ERRORS) do not write the pages off for good.
    if status is not None:
        why = f"answered HTTP {status}" + (f" ({fetched.error})" if fetched.error and status < 300 else "")
        return RobotsPolicy(robots_url, deny_reason=why, deny_class="RobotsUnavailable")
    why = f"could not be fetched ({fetched.error or 'no response'})"
    return RobotsPolicy(robots_url, deny_reason=why, deny_class=fetched.error_class or "ConnectError")


def origin_key(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.scheme}://{url.raw_host.decode('ascii').lower()}:{port}"


class RobotsCache:
    """One RobotsPolicy per origin, loaded at most once even when many requests ask at the same time."""

    def __init__(self, loader: Callable[[str], Awaitable[RobotsFetch]]) -> None:
        self._loader = loader
        self._tasks: dict[str, asyncio.Future[RobotsPolicy]] = {}

    async def policy(self, url: httpx.URL) -> RobotsPolicy:
        key = origin_key(url)
        task = self._tasks.get(key)
        if task is None:
            robots_url = str(url.copy_with(raw_path=b"/robots.txt", fragment=None))
            task = self._tasks[key] = asyncio.ensure_future(self._load(robots_url))
        return await asyncio.shield(task)  # a cancelled caller must not cancel the shared load

    async def _load(self, robots_url: str) -> RobotsPolicy:
        try:
            fetched = await self._loader(robots_url)
        except Exception as exc:  # the loader should not raise; if it does, fail closed for this origin
            fetched = RobotsFetch(None, None, f"{type(exc).__name__}: {exc}")
        return policy_from_fetch(robots_url, fetched)

    def cancel_pending(self) -> None:
        for task in self._tasks.values():
            if not task.done():
                task.cancel()


class HostGate:
    """Who may start a request now: a per-host concurrency cap, spacing between starts, and a global cap.

    Order matters: the host slot and the host's turn come first and the global slot last, held only for the
    exchange itself, so requests queued behind one slow host never sit on global slots other hosts could use.
    Retries pass through the gate again, so they are paced like any other request.
    """

    def __init__(self, per_host: int, delay: float, global_limit: int) -> None:
        self.per_host = max(1, per_host)
        self.delay = delay
        self._global = asyncio.Semaphore(max(1, global_limit))
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._next_start: dict[str, float] = {}

    def defer(self, host: str, seconds: float) -> None:
        """Keep every request off `host` for a while (the server asked us to, via Retry-After)."""
        self._next_start[host] = max(self._next_start.get(host, 0.0), time.monotonic() + seconds)

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        slots = self._slots.setdefault(host, asyncio.Semaphore(self.per_host))
        async with slots:
            async with self._turns.setdefault(host, asyncio.Lock()):
                while (wait := self._next_start.get(host, 0.0) - time.monotonic()) > 0:
                    await asyncio.sleep(wait)  # re-checked: a Retry-After may have pushed the start back
                await self._global.acquire()
                self._next_start[host] = max(self._next_start.get(host, 0.0), time.monotonic() + self.delay)
            try:
                yield
            finally:
                self._global.release()
