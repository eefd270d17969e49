"""Who published a plain-text scrape (the outlet/site) and whose copy it is (the wire agency).

The two are kept apart: Devdiscourse republishing Reuters copy has site "Devdiscourse" and agency "Reuters".
Only attribution positions count for the agency (wire datelines "MOSCOW. July 5 (Interfax) -", byline
segments "Reuters | Moscow", credit labels "Source: TASS", and the lead's "..., Interfax reports"), never a
mention further down ("quoted by Interfax news agency" is a source of a quote, not of the copy). The site is
taken from statements about the site itself: "not edited by X staff", "© 2021 X", a contact address at X's
domain, or a sign-off line after the body that the text corroborates.
"""

from __future__ import annotations

import re

from newsdigest.vocab import agency_pattern, canonical_agency, sections

_CREDIT_VERBS = r"(?:reports|reported|writes|wrote|informs|has reported|сообщает|сообщил|пишет)"
_EMAIL = re.compile(r"\b[\w.+-]+@((?:[\w-]+\.)+[a-z]{2,})\b", re.I)
_EDITED_BY = re.compile(r"edited by (?:the )?([A-Z][\w.&' -]{1,40}?) (?:staff|team|editors|editorial)", re.I)
_COPYRIGHT = re.compile(r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:(?:19|20)\d{2}\s*(?:[-–]\s*(?:19|20)\d{2})?)?\s*"
                        r"([A-Z][\w.&' -]{1,40})", re.I)
_NOT_NAMES = {"all rights reserved", "copyright", "all rights", "the"}


def find_agency(lead: str | None, meta_lines: list[str]) -> str | None:
    """The wire agency credited in the lead paragraph or in byline/credit lines, else None."""
    pattern = agency_pattern()
    if lead:
        head = lead[:160]
        for m in pattern.finditer(head):  # wire dateline: "MOSCOW, July 5 (Interfax) - ..."
            if head[:m.start()].rstrip().endswith("(") and re.match(r"\s*\)\s*[-–—:]", head[m.end():]):
                return canonical_agency(m.group(0))
        for m in pattern.finditer(lead):
            before, after = lead[max(0, m.start() - 30):m.start()], lead[m.end():m.end() + 20]
            if re.match(rf"\s*{_CREDIT_VERBS}\b", after) or re.search(r"(?:according to|reports)\s+$", before):
                return canonical_agency(m.group(0))
    for line in meta_lines:
        for segment in re.split(r"\s+[|•/]\s+|\s{2,}", line):
            segment = re.sub(r"^(?:source|by|credit|photo|фото|источник)\s*:?\s*", "", segment.strip(), flags=re.I)
            m = pattern.fullmatch(segment.strip(" .,;-–—()"))
            if m:
                return canonical_agency(m.group(0))
    return None


def find_site(chrome: list[str], tail: list[str], full_text: str) -> str | None:
    """The outlet named by the page's own chrome (footer, disclaimer, contact line, sign-off), else None."""
    for line in chrome + tail:
        m = _EDITED_BY.search(line)
        if m and m.group(1).strip().lower() not in _NOT_NAMES:
            return m.group(1).strip()
    for line in chrome + tail:
        m = _COPYRIGHT.search(line)
        if m:
            name = re.split(r"\s*[.,|]\s|\s+all rights", m.group(1), flags=re.I)[0].strip(" .,")
            if name and name.lower() not in _NOT_NAMES and not name.lower().startswith("all rights"):
                return name
    webmail = set(sections("site_hints.txt").get("webmail", ()))
    for line in chrome + tail:
        for domain in _EMAIL.findall(line):
            label = domain.lower().split(".")[-2]
            if label not in webmail:
                return _spelling_in_text(label, full_text)
    name_words = set(sections("site_hints.txt").get("name_words", ()))
    for line in tail:
        words = line.split()
        if not 1 <= len(words) <= 4 or line.endswith((".", "?", "!", ":")):
            continue
        elsewhere = full_text.replace(line, "", 1)
        if re.search(rf"(?<!\w){re.escape(line)}(?!\w)", elsewhere) or name_words & {w.lower() for w in words}:
            return line
    return None


def _spelling_in_text(label: str, text: str) -> str:
    """How the text itself spells a domain label ("devdiscourse" -> "Devdiscourse"), else title case."""
    squeezed = re.escape(label)
    m = re.search(rf"(?<!\w)({squeezed})(?![\w.@])", text, re.I)
    return m.group(1) if m and m.group(1) != label else label.capitalize()
