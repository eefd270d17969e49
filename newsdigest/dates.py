"""Publication dates of HTML pages from the strongest evidence, never from a bare year in the text.

Evidence: JSON-LD `datePublished` (Article types, `@graph` and lists), publication meta tags, a `<time>` marked
as the publication time, a day in the URL path, and the byline (a visible date in the short lines around the
headline: what readers see). URL day and byline are wrong least often (templates fill meta tags with build or
republishing dates), so they choose: a machine-readable value on the same local day wins (it has the time),
else the URL or byline day stands. Without them, htmldate restricted to markup is the fallback (its
`extensive_search` turns "formed in 2004" into 2004-01-01); a modification date is the last resort. Values
without a day, before 1995 or over two days ahead are rejected; zoned values become naive UTC.
Benchmark: `bench/dates.py`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from lxml import etree

from newsdigest import tree_queries
from newsdigest.html_extract import parse_html
from newsdigest.models import NO_DATE, DateFinding
from newsdigest.textdates import find_dates

MIN_YEAR = 1995
MAX_HTML_CHARS = 3_000_000
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:article:published_time", "datepublished",
    "dc.date.issued", "dcterms.issued", "dc.date.created", "dcterms.created", "pubdate", "publishdate",
    "publish-date", "publish_date", "published_time", "publication_date", "sailthru.date", "parsely-pub-date",
    "article.published", "published-date", "release_date", "citation_publication_date", "date", "dc.date",
    "dcterms.date", "originalpublicationdate", "cxenseparse:recs:publishtime", "vr:published_time")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "lastmod")
_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
                  "opinionnewsarticle", "webpage", "liveblogposting", "report", "socialmediaposting",
                  "backgroundnewsarticle", "scholarlyarticle", "techarticle", "posting", "blog"}
_ISO = re.compile(r"((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
                  r"(Z|[+-]\d{2}:?\d{2})?)?")
_COMPACT = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})(?:,?\s+(\d{1,2}):(\d{2}))?")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$|\D)")
_DE_MONTHS = {"jan": 1, "jän": 1, "feb": 2, "mär": 3, "mrz": 3, "apr": 4, "mai": 5, "jun": 6, "jul": 7,
              "aug": 8, "sep": 9, "okt": 10, "nov": 11, "dez": 12}
_DE_DATE = re.compile(r"\b(\d{1,2})\.\s*(Jan|Jän|Feb|Mär|Mrz|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez)[a-zä]*\.?,?"
                      r"\s+((?:19|20)\d{2})(?!\d)", re.I)
_UPDATE_LABEL = re.compile(r"(?:aktualisiert|update|geändert|zuletzt|modified|edit|bearbeitet|обновлен)\w*"
                           r"(?:\W+(?:on|am|at|um|vom))?\W{0,12}$", re.I)
# A label before a date that says what the date is; any other "Label:" (Release:, Termin:) disqualifies it.
_DATE_LABELS = {"am", "on", "vom", "datum", "date", "veröffentlicht", "published", "posted", "erstellt", "written",
                "publiziert", "stand", "erschienen", "created", "veröffentlichung", "опубликовано", "дата"}
_PUBLISHED_LINE = re.compile(r"\b(?:veröffentlicht|published|erstellt am|publiziert|posted on)\b", re.I)
_WRITTEN_DAY = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y")
# A long line counts only when it opens with its date, after at most a place name ("Berlin, 28.10.2021 – ...").
_DATELINE_PREFIX = re.compile(r"^[\W\d_]*(?:[A-ZÄÖÜ][\w./-]*[\s,]*){0,3}[-–—:,(]?\s*$")
_BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "section",
           "article", "aside", "nav", "main", "table", "tr", "td", "th", "dl", "dt", "dd", "br", "figure",
           "figcaption", "blockquote", "form", "address", "hr"}
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "select", "button", "iframe"}
BYLINE_BEFORE, BYLINE_AFTER, LABELLED_AFTER = 2, 8, 80  # lines around the headline searched for the byline

Found = tuple[DateFinding, date]  # a finding and the calendar day as the page wrote it (before UTC conversion)


def _plausible(value: datetime) -> bool:
    return value.year >= MIN_YEAR and value <= datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)


def _parse(text: object, source: str) -> Found | None:
    """A full date (and time) from a machine-readable value; year-only or year-month values are not dates."""
    text = str(text or "").strip()[:200]
    zone = None
    try:
        if match := _ISO.search(text):
            y, mo, d, h, mi, s, zone = match.groups()
        elif match := _COMPACT.match(text):
            y, mo, d, h, mi, s = match.groups()
        elif match := _DMY.match(text):
            (d, mo, y, h, mi), s = match.groups(), None
        else:
            return None
        local = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except (ValueError, OverflowError):
        return None
    value = local
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        value = local - offset if zone[0] == "+" else local + offset
    return (DateFinding(value, source, h is not None), local.date()) if _plausible(value) else None


def _jsonld_nodes(data: object, depth: int = 0):
    if isinstance(data, dict) and depth < 8:
        yield data
        data = [data.get(k) for k in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement")]
    for item in data if isinstance(data, list) and depth < 8 else []:
        yield from _jsonld_nodes(item, depth + 1)


def _from_jsonld(doc) -> tuple[Found | None, Found | None]:
    """(published, modified) from the first Article-like JSON-LD node that states them."""
    published = modified = None
    for script in tree_queries.jsonld_scripts(doc):
        try:
            data = json.loads((script.text or "").strip().rstrip(";") or "null", strict=False)
        except (ValueError, RecursionError):
            continue
        for node in _jsonld_nodes(data):
            kind = node.get("@type", [])
            types = {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}
            if types & _ARTICLE_TYPES or "datePublished" in node:
                published = published or _parse(node.get("datePublished") or node.get("dateCreated"), "jsonld")
                modified = modified or _parse(node.get("dateModified"), "jsonld")
    return published, modified


def _from_meta(doc) -> tuple[list[Found], Found | None]:
    """(all publication dates, the modification date) from meta tags, in order of how reliably sites fill them."""
    values: dict[str, str] = {}
    for meta in tree_queries.metas_with_content(doc):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        values.setdefault(key, meta.get("content", ""))
    published = [f for k in _PUBLISHED_META if (f := _parse(values.get(k), "meta"))]
    modified = next((f for k in _MODIFIED_META if (f := _parse(values.get(k), "meta"))), None)
    return published, modified


def _from_time_element(doc) -> Found | None:
    """A `<time datetime>` marked as the publication time, else the first one in the article."""
    marked, in_article = tree_queries.marked_times(doc)
    for el in marked + in_article:
        updated = "updated" in (el.get("class") or "").lower() and el.get("itemprop") != "datePublished"
        if not updated and (found := _parse(el.get("datetime"), "html")):
            return found
    return None


def _headline(doc):
    """The heading that best matches the page title (many sites make their logo an h1), else the first h1."""
    def _words(text: str) -> set[str]:
        return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 2}

    candidates = doc.xpath("//h1 | //h2 | //*[@itemprop='headline'][not(self::meta)]")
    title = _words(" ".join(str(t) for t in doc.xpath("//meta[@property='og:title']/@content | //title/text()")))
    best, best_score = None, 0.3
    for el in candidates[:60]:
        words = _words(el.text_content())
        score = 2 * len(words & title) / (len(words) + len(title)) if words and title else 0.0
        if score > best_score:
            best, best_score = el, score
    h1s = [el for el in candidates if el.tag == "h1"]
    inside = [el for el in h1s if el.xpath("ancestor::article | ancestor::main")]
    return best if best is not None else (inside or h1s or [None])[0]


def _visible_lines(doc) -> tuple[list[str], int]:
    """Visible text split at block elements, and the index of the headline's line (-1 when there is none)."""
    headline = _headline(doc)
    parts: list[str] = []
    walker = etree.iterwalk(doc, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start" and (tag in _SKIP or not tag):
            walker.skip_subtree()
            parts.append(el.tail or "")
        elif event == "start":
            parts.append(("\n" if tag in _BLOCKS else "") + ("\x00" if el is headline else "") + (el.text or ""))
        elif tag and tag not in _SKIP:
            parts.append(("\n" if tag in _BLOCKS else "") + (el.tail or ""))
    text = re.sub(r"\x00\s*\n[\s\n]*", "\x00", "".join(parts))  # the headline's text may sit in a child block
    lines = [line for line in (" ".join(raw.split()) for raw in text.split("\n")) if line]
    index = next((i for i, line in enumerate(lines) if "\x00" in line), -1)
    return [line.replace("\x00", "") for line in lines], index


def _normalised(line: str) -> str:
    """German month names as numbers ("9. Februar 2021" -> "9.2.2021"), glued dates separated."""
    line = _DE_DATE.sub(lambda m: f"{m.group(1)}.{_DE_MONTHS[m.group(2).lower()[:3]]}.{m.group(3)}", line)
    return re.sub(r"(\.(?:19|20)\d\d)(?=\w)", r"\1 ", line)  # "19.11.202119.11.2021" (two spans, no gap)


def _line_dates(line: str) -> list[Found]:
    """Publication dates in a short byline-like line: update dates and dates labelled as something else
    ("Release: 11.02.2005", "Termin: 21.02.2020") are skipped, and a date inside prose does not count.
    """
    line = _normalised(line)
    dates = find_dates(line, now=datetime.now(UTC).replace(tzinfo=None))
    residue = line
    for d in reversed(dates):
        residue = residue[:d.start] + " " + residue[d.end:]
    if len(residue.split()) > 10 and not (dates and _DATELINE_PREFIX.match(line[:dates[0].start])):
        return []
    found = []
    for d in dates:
        label = re.search(r"(\w+)\s*:\s*$", line[:d.start])
        if _UPDATE_LABEL.search(line[:d.start]) or (label and label.group(1).lower() not in _DATE_LABELS):
            continue
        if _plausible(d.value):
            found.append((DateFinding(d.value, "html", d.has_time), d.value.date()))
    return found


def _from_byline(lines: list[str], at: int) -> list[Found]:
    """Dates of the byline: the nearest dated short line around the headline (after wins a tie), else a line
    after it labelled as the publication ("Veröffentlicht am 16.08.2019" under a post)."""
    if at < 0:
        return []
    order = sorted(range(max(0, at - BYLINE_BEFORE), min(len(lines), at + BYLINE_AFTER + 1)),
                   key=lambda i: (abs(i - at), i < at))
    labelled = [i for i in range(at + 1, min(len(lines), at + LABELLED_AFTER)) if _PUBLISHED_LINE.search(lines[i])]
    return next((found for i in order + labelled if (found := _line_dates(lines[i]))), [])


def date_from_url(url: str | None) -> DateFinding:
    """A day stated in the URL path (/2021/02/09/, /2021-02-09-, /20210209/); year-month alone is not enough."""
    if not url or not isinstance(url, str):
        return NO_DATE
    path = re.sub(r"^[a-z]+://[^/]+", "", url.split("?", 1)[0].split("#", 1)[0], flags=re.I)
    for match in _URL_DATE.finditer(path):
        try:
            value = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
        if _plausible(value):
            return DateFinding(value, "url", False)
    return NO_DATE


def _from_htmldate(html: str, url: str | None, lines: list[str]) -> DateFinding | None:
    """htmldate on markup only; refused when the page shows that day only as an edit ("last modified on ...",
    wiki footers), since a modification date is not a publication date."""
    try:
        from htmldate import find_date

        found = find_date(html, url=url, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 - htmldate raises assorted errors on broken markup
        return None
    if not (parsed := _parse(found, "html") if found else None):
        return None
    day = parsed[1]
    forms = [day.strftime(fmt) for fmt in _WRITTEN_DAY] + [f"{day.day}.{day.month}.{day.year}"]
    labels = [bool(_UPDATE_LABEL.search(line[max(0, d.start - 40):d.start]))
              for line in map(_normalised, lines) for d in find_dates(line) if d.value.date() == day]
    if not labels and not any(form in html for form in forms):
        return None  # htmldate completes "2021" or "March 2021" to a day that the page writes nowhere
    return None if labels and all(labels) else parsed[0]


def find_publication_date(html: str, url: str | None = None, tree: etree._Element | None = None) -> DateFinding:
    """The page's publication date with its evidence, or NO_DATE. Never raises. `tree` is the page already
    parsed by `newsdigest.html_extract.parse_html` (read, never changed); without it the page is parsed here."""
    try:
        return _find(html, url, tree)
    except Exception:  # noqa: BLE001 - junk input must never break ingestion; no date is the honest answer
        return NO_DATE


def _find(html: str, url: str | None, doc: etree._Element | None) -> DateFinding:
    from_url = date_from_url(url)
    if not isinstance(html, str) or "<" not in html:
        return from_url
    doc = parse_html(html) if doc is None else doc
    if doc is None:
        return from_url
    doc = doc.getroottree().getroot()
    ld_published, ld_modified = _from_jsonld(doc)
    meta_published, meta_modified = _from_meta(doc)
    primary = [f for f in (ld_published, *meta_published, _from_time_element(doc)) if f]
    lines: list[str] | None = None
    if from_url.value:
        anchors = [(from_url, from_url.value.date())]
    else:
        lines, at = _visible_lines(doc)
        anchors = _from_byline(lines, at)
    if anchors:  # the same local day in machine-readable form keeps its time; otherwise the anchor stands
        candidates = primary + [f for f in (ld_modified, meta_modified) if f]
        days = {day for _, day in anchors}
        return next((finding for finding, day in candidates if day in days), anchors[0][0])
    if primary:
        return primary[0][0]
    if lines is None:
        lines = _visible_lines(doc)[0]
    html = html[:MAX_HTML_CHARS].replace("\x00", "")
    return _from_htmldate(html, url, lines) or next((f[0] for f in (ld_modified, meta_modified) if f), NO_DATE)
