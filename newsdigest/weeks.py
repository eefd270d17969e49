"""ISO weeks, the digest's unit of time ("2021-W27": Monday 00:00 to the next Monday, naive UTC)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> tuple[date, date]:
    """'2021-W27' -> (monday, next monday). Raises ValueError with the expected form."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ValueError(f"week must look like 2021-W27 (ISO year and week), got {text!r}")
    monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    return monday, monday + timedelta(days=7)


def week_of(day: date | datetime) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def current_week(now: datetime) -> str:
    return week_of(now)


def last_complete_week(now: datetime) -> str:
    return week_of(now - timedelta(days=7))


def resolve_week(spec: str | None, now: datetime) -> str:
    """'current' (default for the CLI run), 'last' (default for schedules), or an explicit ISO week."""
    if spec in (None, "", "current"):
        return current_week(now)
    if spec == "last":
        return last_complete_week(now)
    parse_week(spec)
    return spec.strip()
