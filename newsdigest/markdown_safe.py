"""Escaping web text for Markdown outputs: article text is untrusted and must render as text, never as markup.

Why each rule: `<`, `>` and `&` are HTML-escaped, so no tag, comment or entity from the web can form (Markdown
renderers pass raw HTML through). Inline punctuation (emphasis, code, brackets of links and images, table
pipes, strikethrough, the backslash itself) is backslash-escaped, so a title cannot make a link or break a
table. Text is flattened to one line, so it cannot start a block of its own, and a block marker at its start
(`#`, `>`, `-`, `+`, `1.`) is escaped because our text often follows a list prefix ("- ", "1. "), where
"- # x" would be a heading and "- > x" a quotation.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_BLOCK_START = re.compile(r"^(?:([#>+=-])|(\d{1,9})([.)]))")
_WS = re.compile(r"\s+")
_HTTP_URL = re.compile(r"^https?://[^\s<>()\\]+$", re.IGNORECASE)


def is_http_url(url: str | None) -> bool:
    """True for an http(s) address that is safe inside a link (no spaces, angle brackets or parentheses)."""
    return bool(url and _HTTP_URL.match(url))


def md_text(text: str | None, limit: int | None = None) -> str:
    """Inline Markdown text on one line: markup-free whatever the input; cut to `limit` characters with '…'."""
    if not text:
        return ""
    flat = _WS.sub(" ", text).strip()
    if limit and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))
    return _BLOCK_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), escaped)


def md_link(label: str, url: str | None) -> str:
    """A link only for http(s) addresses; anything else (javascript:, data:, a file path) is plain text."""
    safe_label = md_text(label)
    if is_http_url(url):
        return f"[{safe_label}](<{url}>)"
    return safe_label
