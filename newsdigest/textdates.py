"""Dates stated in plain text: datelines such as "5 Jul 2021 21:32", "date 2021-07-08", "08.07.2021".

Only complete dates count: day, month and year all written out. A bare year ("formed in 2004") or a day
without a year ("on July 16") never becomes a publication date, because a wrong date is worse than none for
an analyst sorting by week. Ambiguous numeric forms (07/08/2021, where both numbers could be the month) are
rejected rather than guessed. Times are kept when given; a stated zone (UTC, GMT, MSK, IST, +05:00, ...)
converts the value to UTC, otherwise the time is the one printed (the outlet's local time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

EARLIEST_YEAR = 1990

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    # Russian genitive forms as used in datelines ("5 июля 2021") and their abbreviations
    "января": 1, "янв": 1, "февраля": 2, "фев": 2, "марта": 3, "мар": 3, "апреля": 4, "апр": 4, "мая": 5,
    "июня": 6, "июн": 6, "июля": 7, "июл": 7, "августа": 8, "авг": 8, "сентября": 9, "сен": 9,
    "октября": 10, "окт": 10, "ноября": 11, "ноя": 11, "декабря": 12, "дек": 12,
}
# Zone abbreviations common on outlets covering the region; anything else keeps the printed time.
_ZONES = {
    "utc": 0, "gmt": 0, "msk": 180, "ist": 330, "cet": 60, "cest": 120, "eet": 120, "eest": 180,
    "est": -300, "edt": -240, "pst": -480, "pdt": -420, "bst": 60, "almt": 360, "tjt": 300, "uzt": 300,
    "kgt": 360, "tmt": 300, "aqtt": 300,
}
_MONTH = r"(?P<mon>[A-Za-zА-Яа-яёЁ]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_TIME = (r"(?:\s*(?:,|at|в|-|–)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::\d{2})?\s*(?P<ampm>[ap]\.?m\.?)?"
         r"(?:\s*(?P<zone>" + "|".join(sorted(_ZONES, key=len, reverse=True)) + r"|[+-]\d{2}:?\d{2})\b)?)?")
_PATTERNS = [
    re.compile(rf"\b{_YEAR}-(?P<mm>\d{{1,2}})-(?P<dd>\d{{1,2}})(?:[T ](?P<hour>\d{{2}}):(?P<minute>\d{{2}})"
               rf"(?::\d{{2}}(?:\.\d+)?)?(?P<zone>Z|[+-]\d{{2}}:?\d{{2}})?)?", re.I),
    re.compile(rf"\b(?P<a>\d{{1,2}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep){_YEAR}\b{_TIME}", re.I),
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b(?:\s*г\.?)?{_TIME}", re.I),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b{_TIME}", re.I),
]


@dataclass(frozen=True)
class TextDate:
    value: datetime  # naive; UTC when a zone was stated
    has_time: bool
    start: int  # span of the match in the searched string
    end: int


def find_dates(text: str, now: datetime | None = None) -> list[TextDate]:
    """Every complete, plausible date written in `text`, in order of appearance (overlaps removed)."""
    latest = (now or datetime.utcnow()) + timedelta(days=2)
    found: list[TextDate] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            value = _to_datetime(m.groupdict())
            if value is None or not (datetime(EARLIEST_YEAR, 1, 1) <= value[0] <= latest):
                continue
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            found.append(TextDate(value[0], value[1], m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def _to_datetime(g: dict) -> tuple[datetime, bool] | None:
    year = int(g["year"])
    if g.get("mm"):
        month, day = int(g["mm"]), int(g["dd"])
    elif g.get("a"):
        a, b = int(g["a"]), int(g["b"])
        if g["sep"] == "/" and a <= 12 and b <= 12 and a != b:
            return None  # 07/08/2021: US or European order? Unknowable, so not a date.
        day, month = (b, a) if g["sep"] == "/" and a <= 12 < b else (a, b)
    else:
        month = _MONTHS.get(g["mon"].lower().rstrip("."))
        if month is None:
            return None
        day = int(g["day"])
    try:
        value = datetime(year, month, day)
    except ValueError:
        return None
    if g.get("hour") is None:
        return value, False
    hour, minute = int(g["hour"]), int(g["minute"])
    ampm = (g.get("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return value, False
    value = value.replace(hour=hour, minute=minute)
    offset = _zone_minutes(g.get("zone"))
    if offset is not None:
        value -= timedelta(minutes=offset)
    return value, True


def _zone_minutes(zone: str | None) -> int | None:
    if not zone:
        return None
    if zone.upper() == "Z":
        return 0
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4])
        return minutes if zone[0] == "+" else -minutes
    return _ZONES.get(zone.lower())
