"""Escaping web text for Markdown and HTML outputs: article text is untrusted and must render as text."""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_WS = re.compile(r"\s+")


def md_text(text: str | None, limit: int | None = None) -> str:
    """Inline Markdown text: HTML-escaped, Markdown punctuation backslash-escaped, on one line."""
    if not text:
        return ""
    flat = _WS.sub(" ", text).strip()
    if limit and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=True))


def md_link(label: str, url: str | None) -> str:
    """A link only for http(s) addresses; anything else (javascript:, data:) is shown as plain text."""
    safe_label = md_text(label)
    if url and re.match(r"^https?://[^\s<>()]+$", url):
        return f"[{safe_label}](<{url}>)"
    return safe_label
