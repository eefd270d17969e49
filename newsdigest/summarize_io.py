"""Read text files (plain or DUC/TREC-style SGML) into `Document`s for `newsdigest summarize` and the bench.

The CLI and bench/summarize.py share this reader so the benchmark measures exactly what the command does.
The `Document.text` built here is the "stored text" that summary sentences are cited against: wire copy is
hard-wrapped at ~70 columns, so lines of one paragraph are joined with single spaces (otherwise a sentence
would straddle line breaks and print as fragments); paragraphs are separated by blank lines.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

from newsdigest.summarize import Document

_DOC = re.compile(r"<DOC>(.*?)</DOC>", re.S | re.I)
_FIELD = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S | re.I)
          for name in ("DOCNO", "DATE_TIME", "DATE", "HEADLINE", "TEXT", "TITLE")}
_P = re.compile(r"<P>(.*?)</P>", re.S | re.I)
_TAG = re.compile(r"<[^<>\n]{1,80}>")
_TERMINAL = re.compile(r"[.!?…:;\"”»')\]]$")


class InputError(Exception):
    """A file cannot be read as text; the message names the file."""


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", text))).strip()


def _paragraphs(block: str) -> list[str]:
    """Paragraphs of plain text: blank lines separate; inside a block, hard-wrapped lines are re-joined.

    A line continues the previous one when the previous does not end a sentence and either is long (wrapped
    near the margin) or the line starts in lower case; a line indented while its neighbours are not starts a
    new paragraph (first-line indentation, as in newswire TEXT without <P>).
    """
    paragraphs: list[str] = []
    for chunk in re.split(r"\n\s*\n", block):
        lines = [line for line in chunk.split("\n") if line.strip()]
        indented = [bool(re.match(r"\s", line)) for line in lines]
        first_line_indent = any(indented) and not all(indented)
        current: list[str] = []
        for line, indent in zip(lines, indented, strict=True):
            stripped = _collapse(line)
            if not stripped:
                continue
            if current:
                previous = current[-1]
                joins = not _TERMINAL.search(previous) and (len(previous) >= 50 or stripped[:1].islower())
                if first_line_indent:
                    joins = not indent
                if not joins:
                    paragraphs.append(" ".join(current))
                    current = []
            current.append(stripped)
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs


def _parse_date(raw: str | None, docno: str | None) -> datetime | None:
    for value in (raw or "", docno or ""):
        match = re.search(r"(\d{4})-?(\d{2})-?(\d{2})", value) or re.search(r"(\d{2})/(\d{2})/(\d{4})", value)
        if not match:
            continue
        parts = match.groups()
        year, month, day = (parts[2], parts[0], parts[1]) if len(parts[0]) == 2 else parts
        try:
            return datetime(int(year), int(month), int(day))
        except ValueError:
            continue
    return None


def _sgml_documents(source: str, name: str) -> list[Document]:
    blocks = _DOC.findall(source) or [source]
    docs = []
    for block in blocks:
        fields = {key: (m.group(1) if (m := pattern.search(block)) else None) for key, pattern in _FIELD.items()}
        body = fields["TEXT"] or ""
        paras = [_collapse(p) for p in _P.findall(body)] if _P.search(body) else _paragraphs(_TAG.sub(" ", body))
        docno = _collapse(fields["DOCNO"]) if fields["DOCNO"] else None
        title = fields["HEADLINE"] or fields["TITLE"]
        doc_id = name if len(blocks) == 1 or not docno else f"{name}#{docno}"
        docs.append(Document(doc_id, "\n\n".join(p for p in paras if p), _collapse(title) if title else None,
                             _parse_date(fields["DATE_TIME"] or fields["DATE"], docno)))
    return docs


def read_documents(path: Path, name: str | None = None, title_first_line: bool = False) -> list[Document]:
    """The documents in one file (an SGML file may hold several <DOC>s). Raises InputError."""
    name = name or path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path} is not a text file")
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        source = raw.decode("cp1252", errors="replace")
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"<(DOC|TEXT)>", source, re.I):
        return _sgml_documents(source, name)
    title = None
    if title_first_line:
        first, _, source = source.strip().partition("\n")
        title = first.strip() or None
    return [Document(name, "\n\n".join(_paragraphs(source)), title)]


def load_documents(inputs: list[Path], title_first_line: bool = False) -> list[Document]:
    """Documents from files and directories (a directory: its files, sorted by name; hidden files skipped)."""
    docs: list[Document] = []
    for item in inputs:
        if item.is_dir():
            files = sorted(p for p in item.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(f"{item} contains no files")
            for path in files:
                docs += read_documents(path, f"{item.name}/{path.name}", title_first_line)
        elif item.exists():
            docs += read_documents(item, item.name, title_first_line)
        else:
            raise InputError(f"cannot read {item}: no such file or directory")
    if not docs:
        raise InputError("no documents given")
    return docs
