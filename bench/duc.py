"""Reader for the DUC 2006 document sets in ../shared/bench/duc2006/docs (50 topics x 25 news documents).

Each file holds one SGML <DOC>: DOCNO (source + YYYYMMDD + number), DATE_TIME, HEADLINE and TEXT/P. The
markup is loose (NYT headlines span lines, some documents have no headline, entities like &Cx1f; appear),
so it is read with regular expressions rather than an XML parser. Used by bench/stories.py.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DEFAULT_DOCS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "duc2006" / "docs"

_FIELD = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S | re.I) for name in ("DOCNO", "DATE_TIME", "HEADLINE")}
_PARAGRAPH = re.compile(r"<P>(.*?)</P>", re.S | re.I)
_TEXT = re.compile(r"<TEXT>(.*?)</TEXT>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_SGML_ENTITY = re.compile(r"&[A-Za-z][\w.]*;")  # wire-service codes such as &HT; or &Cx1f; left after unescape
_DOCNO_DATE = re.compile(r"(\d{8})")


@dataclass(frozen=True)
class DucDoc:
    set_id: str  # e.g. "D0601A": the topic, used as the cluster label
    docno: str
    published: datetime | None
    headline: str | None
    text: str  # paragraphs joined by blank lines


def _clean(text: str) -> str:
    return " ".join(_SGML_ENTITY.sub(" ", html.unescape(_TAG.sub(" ", text))).split())


def _published(raw: str, docno: str) -> datetime | None:
    match = _FIELD["DATE_TIME"].search(raw)
    for value, fmt in ((match.group(1).strip()[:16] if match else "", "%Y-%m-%d %H:%M"),
                       (match.group(1).strip()[:10] if match else "", "%Y-%m-%d")):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    digits = _DOCNO_DATE.search(docno)
    return datetime.strptime(digits.group(1), "%Y%m%d") if digits else None


def read_doc(path: Path, set_id: str) -> DucDoc:
    raw = path.read_text(encoding="latin-1")
    docno_match = _FIELD["DOCNO"].search(raw)
    docno = docno_match.group(1).strip() if docno_match else path.name
    headline_match = _FIELD["HEADLINE"].search(raw)
    headline = _clean(headline_match.group(1)) if headline_match else ""
    text_match = _TEXT.search(raw)
    body = text_match.group(1) if text_match else raw
    paragraphs = [_clean(p) for p in _PARAGRAPH.findall(body)] or [_clean(body)]
    return DucDoc(set_id, docno, _published(raw, docno), headline or None,
                  "\n\n".join(p for p in paragraphs if p))


def read_sets(docs_dir: Path = DEFAULT_DOCS, set_ids: list[str] | None = None) -> dict[str, list[DucDoc]]:
    """{set id: documents sorted by DOCNO}; all sets unless `set_ids` names some."""
    names = set_ids or sorted(p.name for p in docs_dir.iterdir() if p.is_dir())
    return {name: [read_doc(p, name) for p in sorted((docs_dir / name).iterdir()) if p.is_file()] for name in names}
