"""Bytes to text, refusing what is not text: the first gate every document passes before extraction.

Order of evidence: byte-order mark, the charset the server declared (HTTP Content-Type), strict UTF-8, an
HTML meta charset, then statistical detection (charset-normalizer). A declared or meta charset that does
not decode cleanly is ignored (servers often lie), so the next kind of evidence decides.
Binary content (NUL bytes, many control characters) is rejected with a clear reason.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from newsdigest.models import ExtractionError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    note: str | None = None  # set when the encoding had to be guessed (worth a warning in the log)


def decode_bytes(data: bytes, media_type: str = "text/plain", declared: str | None = None) -> Decoded:
    if not data.strip():
        raise ExtractionError("empty document (no bytes or only whitespace)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"), encoding)
    head = data[:8192]
    if b"\x00" in head:
        raise ExtractionError("binary content: NUL bytes found, this is not a text or HTML file")
    if declared:
        try:
            return _checked(data.decode(declared.strip().strip('"').lower()), declared.lower())
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if media_type == "text/html":
        match = _META_CHARSET.search(head)
        if match:
            encoding = match.group(1).decode("ascii", "replace").lower()
            try:
                return _checked(data.decode(encoding), encoding)
            except (LookupError, UnicodeDecodeError):
                pass
    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise ExtractionError(f"undecodable bytes: invalid UTF-8 at byte {first_bad} and no other"
                              " text encoding fits")
    text = data.decode(best.encoding, errors="replace")
    return _checked(text, best.encoding,
                    note=f"invalid UTF-8 at byte {first_bad}; decoded as {best.encoding} (detected)")


def _checked(text: str, encoding: str, note: str | None = None) -> Decoded:
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) > 0.02 * len(sample):
        raise ExtractionError(f"binary content: too many control characters for {encoding} text")
    if sample.count("\ufffd") > 0.05 * len(sample):
        raise ExtractionError("undecodable bytes: more than 5% of characters are invalid")
    return Decoded(text=text, encoding=encoding, note=note)
