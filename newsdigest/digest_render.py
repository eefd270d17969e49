"""Digest outputs: Markdown (file and the `weekly-digest` Prefect artifact), standalone HTML and JSON.

The wording (figures, week rule, story lines) is built once as plain text by the `_text` helpers and escaped
per format, so Markdown and HTML say the same thing. All article text is untrusted web text: Markdown goes
through `md_text`/`md_link`, HTML through `html.escape`, links only for http(s) addresses; the HTML page has
no scripts and a Content-Security-Policy that forbids them. Markdown uses plain lists and tables only, which
the Prefect UI renders. The JSON schema is documented in docs/digest.md (a test keeps the two in step).
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from itertools import zip_longest

from newsdigest.digest import ActorRow, Digest, DigestQuote, DigestStory, WeekArticle, speaker_name
from newsdigest.markdown_safe import is_http_url, md_link, md_text
from newsdigest.weeks import parse_week

JSON_SCHEMA_VERSION = 1
ACTORS_PER_KIND = 6  # a five-minute read: the most-mentioned few of each kind; SQL has the rest
KEY_QUOTES = 10
TITLE = "Russia–Central Asia security digest"


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _and(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else "undated"


def week_span(week: str) -> str:
    """'23–29 November 2026 (Monday to Sunday, UTC)'; months and years named only when they change."""
    monday = parse_week(week)[0]
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        span = f"{monday.day}–{sunday:%-d %B %Y}"
    else:
        first = f"{monday:%-d %B %Y}" if monday.year != sunday.year else f"{monday:%-d %B}"
        span = f"{first} – {sunday:%-d %B %Y}"
    return f"{span} (Monday to Sunday, UTC)"


def week_rule(d: Digest) -> str:
    """The one sentence that says which week an article counts in, with this week's consequences."""
    rule = ("Each article counts in exactly one ISO week: the week of its publication date or, if undated, the"
            " week it was first stored")
    here = []
    if d.undated:
        here.append(f"{_n(d.undated, 'undated article')} {'counts' if d.undated == 1 else 'count'} in {d.week}")
    if d.late:
        weeks = _and(d.late_weeks)
        shown = "is shown as a late arrival" if len(d.late) == 1 else "are shown as late arrivals"
        here.append(f"{_n(len(d.late), 'article')} published in {weeks} {shown} but counted in {weeks}")
    return rule + (f"; here {_and(here)}." if here else ".")


def figures(d: Digest) -> list[str]:
    """The headline figures, one plain-text line each."""
    counted_stories = sum(1 for s in d.stories if not s.late_only)
    outlets = _n(len(d.outlets), "outlet") + (f" (and {_n(d.unattributed, 'article')} naming none)"
                                              if d.unattributed else "")
    lines = [f"{_n(len(d.counted), 'relevant article')} counted in {d.week}, from {outlets},"
             f" in {_n(counted_stories, 'story', 'stories')}"]
    if len(d.shown) < len(d.stories):
        lines[0] += f" (the top {len(d.shown)} of all {len(d.stories)} stories are shown)"
    if d.late:
        lines.append(f"{_n(len(d.late), 'late arrival')}: published in {_and(d.late_weeks)}, first stored this"
                     " week; shown, not counted here")
    lines.append(f"{d.left_out} off-topic {'article' if d.left_out == 1 else 'articles'} left out"
                 f" (relevance below {d.threshold:.2f})")
    if d.undated:
        lines.append(f"{d.undated} of {len(d.counted)} undated ({100 * d.undated / len(d.counted):.0f}%),"
                     " counted in the week first stored")
    else:
        lines.append("none undated")
    return lines


def story_meta(s: DigestStory) -> str:
    dates = s.dates
    undated = len(s.articles) - len(dates)
    if not dates:
        when = "undated"
    else:
        when = f"published {_day(dates[0])}"
        if dates[-1].date() != dates[0].date():
            when += f" to {_day(dates[-1])}"
        if undated:
            when += f", {undated} undated"
    names = s.outlets + ([_n(s.unattributed, "article") + " naming none"] if s.unattributed else [])
    parts = [_n(len(s.articles), "article"), when, "outlets: " + _and(names)]
    if s.agencies:
        parts.append("agencies: " + ", ".join(s.agencies))
    if s.continues_week:
        parts.append(f"developing: continues a story from {s.continues_week}")
    return " · ".join(parts)


def article_label(a: WeekArticle) -> str:
    if a.title and a.title.strip():
        return a.title
    words = a.body.split()
    return "(no headline) " + " ".join(words[:12]) + (" …" if len(words) > 12 else "")


def article_note(a: WeekArticle) -> str:
    parts = [f"{a.outlet or 'unknown outlet'}, {_day(a.published)}"]
    if a.agency and a.agency != a.outlet:
        parts.append(f"via {a.agency}")
    if a.late:
        parts.append(f"late arrival, counted in {a.counted_week}")
    others = [o for o in a.copy_outlets if o != a.outlet]
    if a.copies > 1:
        parts.append(_n(a.copies, "copy", "copies") + (f" (also {', '.join(others)})" if others else ""))
    if not is_http_url(a.url):
        parts.append(f"stored as {a.source}:{a.uri or a.article_id}")
    return " · ".join(parts)


def key_quotes(d: Digest) -> list[tuple[DigestStory, DigestQuote]]:
    """The shown stories' quotes, first quote of every story (in rank order) before any second one."""
    turns = zip_longest(*[[(s, q) for q in s.quotes] for s in d.shown])
    return [pair for turn in turns for pair in turn if pair is not None][:KEY_QUOTES]


def top_actors(actors: list[ActorRow], per_kind: int = ACTORS_PER_KIND) -> list[ActorRow]:
    """The most-mentioned actors of each kind, in the digest's kind order (input is sorted by kind, count)."""
    taken: dict[str, int] = {}
    shown = []
    for row in actors:
        if taken.get(row.kind, 0) < per_kind:
            taken[row.kind] = taken.get(row.kind, 0) + 1
            shown.append(row)
    return shown


def _change(row: ActorRow) -> str:
    return "new" if row.previous == 0 else f"{row.change:+d}" if row.change else "0"


def coverage_lines(d: Digest) -> list[str]:
    lines = [f"{h.source}: {h.status} — {h.detail}" for h in d.coverage] or [
        "No source failed or went silent this week."]
    lines.append(f"Undated: {d.undated} of {_n(len(d.counted), 'counted article')}"
                 f" {'has' if d.undated == 1 else 'have'} no trustworthy publication date;"
                 " each counts in the week it was first stored.")
    if d.late:
        lines.append(f"Late arrivals: {_n(len(d.late), 'article')} published in {_and(d.late_weeks)} first"
                     " stored this week; shown above, counted in their own week.")
    lines.append(f"Left out: {d.left_out} off-topic {'article' if d.left_out == 1 else 'articles'} counted in this"
                 f" week (relevance below {d.threshold:.2f}); scores and reasons are in article_relevance.")
    hidden = [s for s in d.stories if not s.shown]
    if hidden:
        lines.append(f"Not shown: {_n(len(hidden), 'smaller story', 'smaller stories')}"
                     f" ({_n(sum(len(s.articles) for s in hidden), 'article')}), in the stories and"
                     " story_articles tables.")
    return lines


def _sections(d: Digest) -> list[tuple[str, list[DigestStory]]]:
    main = [s for s in d.shown if not s.late_only]
    late = [s for s in d.shown if s.late_only]
    return [("Top stories", main)] + ([("Late arrivals", late)] if late else [])


LATE_INTRO = "Stories made only of articles published in earlier weeks and first stored this week."


# ---- Markdown ----

def _number(story: DigestStory, doc_id: str) -> int:
    return [a.article_id for a in story.articles].index(doc_id) + 1


def _md_cite(story: DigestStory, doc_id: str) -> str:
    """'[2]', linked to the article when it has a web address."""
    return md_link(f"[{_number(story, doc_id)}]", story.article(doc_id).url)


def _md_story(s: DigestStory) -> list[str]:
    lines = [f"### {s.rank}. {md_text(s.story.label)}", "", f"_{md_text(story_meta(s))}_", ""]
    lines += [f"- {md_text(x.text)} {_md_cite(s, x.doc_id)}" for x in s.summary]
    lines += ["", "Sources:", ""]
    lines += [f"{i}. {md_link(article_label(a), a.url)} — {md_text(article_note(a))}"
              for i, a in enumerate(s.articles, 1)]
    return lines + [""]


def _md_quote(s: DigestStory, q: DigestQuote) -> str:
    article = s.article(q.doc_id)
    more = " \\[…\\]" if q.trimmed else ""
    return (f"- **{md_text(speaker_name(q, article))}**: “{md_text(q.text)}”{more}"
            f" — {md_text(article.outlet or 'unknown outlet')} (story {s.rank}, source {_md_cite(s, q.doc_id)})")


def render_markdown(d: Digest) -> str:
    lines = [f"# {TITLE}, {d.week}", "",
             f"_{week_span(d.week)} · generated {d.generated_at:%Y-%m-%d %H:%M} UTC_", ""]
    lines += [f"- {md_text(line)}" for line in figures(d)]
    lines += ["", md_text(week_rule(d)) + " Every summary line and quote is verbatim from the numbered article"
              " it cites.", ""]
    for title, stories in _sections(d):
        lines += [f"## {title}", ""] + ([md_text(LATE_INTRO), ""] if title == "Late arrivals" else [])
        lines += [line for s in stories for line in _md_story(s)] or ["_No relevant stories this week._", ""]
    lines += ["## Actors, countries and themes", "",
              md_text(f"Relevant articles counted this week that mention each, against {d.previous_week}"
                      f" ({_n(d.previous_articles, 'article')} counted)."), "",
              "| kind | name | articles | previous week | change |", "|---|---|---:|---:|---:|"]
    shown = top_actors(d.actors)
    lines += [f"| {r.kind} | {md_text(r.name)} | {r.articles} | {r.previous} | {_change(r)} |" for r in shown]
    if len(shown) < len(d.actors):
        lines += ["", f"_{ACTORS_PER_KIND} per kind shown, of {len(d.actors)}; all are in the warehouse table"
                      " article\\_entities._"]
    lines += ["", "## Key quotes", ""]
    lines += [_md_quote(s, q) for s, q in key_quotes(d)] or ["_No attributed quotes this week._"]
    lines += ["", "## Coverage", ""] + [f"- {md_text(line)}" for line in coverage_lines(d)]
    return "\n".join(lines).rstrip() + "\n"


# ---- HTML ----

def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _a(label: str, url: str | None) -> str:
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(label)}</a>' if is_http_url(url) else _e(label)


def _html_cite(story: DigestStory, doc_id: str) -> str:
    return _a(f"[{_number(story, doc_id)}]", story.article(doc_id).url)


def _html_story(s: DigestStory) -> list[str]:
    parts = [f"<h3>{s.rank}. {_e(s.story.label)}</h3>", f'<p class="meta">{_e(story_meta(s))}</p>', "<ul>"]
    parts += [f"<li>{_e(x.text)} {_html_cite(s, x.doc_id)}</li>" for x in s.summary]
    parts += ["</ul>", "<p>Sources:</p>", "<ol>"]
    parts += [f"<li>{_a(article_label(a), a.url)} — {_e(article_note(a))}</li>" for a in s.articles]
    return parts + ["</ol>"]


def _html_quote(s: DigestStory, q: DigestQuote) -> str:
    article = s.article(q.doc_id)
    return (f"<li><strong>{_e(speaker_name(q, article))}</strong>: <q>{_e(q.text)}</q>{' […]' * q.trimmed}"
            f" — {_e(article.outlet or 'unknown outlet')} (story {s.rank}, source {_html_cite(s, q.doc_id)})</li>")


_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
_STYLE = ("body{font-family:sans-serif;max-width:52rem;margin:auto;padding:0 1rem;line-height:1.45}"
          "td,th{padding:.2rem .6rem;text-align:left}td.n{text-align:right}.meta{color:#555}")


def render_html(d: Digest) -> str:
    title = _e(f"{TITLE}, {d.week}")
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
             '<meta name="referrer" content="no-referrer">', f"<title>{title}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{title}</h1>",
             f'<p class="meta">{_e(week_span(d.week))} · generated {d.generated_at:%Y-%m-%d %H:%M} UTC</p>', "<ul>"]
    parts += [f"<li>{_e(line)}</li>" for line in figures(d)]
    parts += ["</ul>", f"<p>{_e(week_rule(d))} Every summary line and quote is verbatim from the numbered article"
                       " it cites.</p>"]
    for heading, stories in _sections(d):
        parts += [f"<h2>{heading}</h2>"] + ([f"<p>{_e(LATE_INTRO)}</p>"] if heading == "Late arrivals" else [])
        parts += [p for s in stories for p in _html_story(s)] or ["<p>No relevant stories this week.</p>"]
    parts += ["<h2>Actors, countries and themes</h2>",
              f"<p>{_e(f'Relevant articles counted this week that mention each, against {d.previous_week}')}"
              f" ({_e(_n(d.previous_articles, 'article'))} counted).</p>",
              "<table><tr><th>kind</th><th>name</th><th>articles</th><th>previous week</th><th>change</th></tr>"]
    parts += [f'<tr><td>{_e(r.kind)}</td><td>{_e(r.name)}</td><td class="n">{r.articles}</td>'
              f'<td class="n">{r.previous}</td><td class="n">{_e(_change(r))}</td></tr>' for r in top_actors(d.actors)]
    parts += ["</table>", "<h2>Key quotes</h2>", "<ul>"]
    parts += [_html_quote(s, q) for s, q in key_quotes(d)] or ["<li>No attributed quotes this week.</li>"]
    parts += ["</ul>", "<h2>Coverage</h2>", "<ul>"] + [f"<li>{_e(line)}</li>" for line in coverage_lines(d)]
    return "\n".join(parts + ["</ul>", "</body></html>"]) + "\n"


# ---- JSON (schema: docs/digest.md) ----

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _article_json(a: WeekArticle) -> dict:
    return {"article_id": a.article_id, "version": a.version, "title": a.title, "url": a.url, "outlet": a.outlet,
            "outlets": list(a.outlets), "agency": a.agency, "source": a.source, "uri": a.uri,
            "published": _iso(a.published), "first_stored": _iso(a.first_seen_at), "counted_week": a.counted_week,
            "late": a.late, "copies": a.copies, "relevance": round(a.relevance.score, 4),
            "reasons": list(a.relevance.reasons)}


def _story_json(s: DigestStory) -> dict:
    return {"story_id": s.story.story_id, "rank": s.rank, "shown": s.shown, "late_only": s.late_only,
            "label": s.story.label, "keywords": list(s.story.keywords), "continues_story_id": s.story.continues,
            "continues_week": s.continues_week, "first_published": _iso(s.dates[0]) if s.dates else None,
            "last_published": _iso(s.dates[-1]) if s.dates else None, "outlets": s.outlets,
            "agencies": s.agencies, "relevance": round(s.relevance, 4),
            "articles": [_article_json(a) for a in s.articles],
            "summary": [{"text": x.text, "article_id": x.doc_id} for x in s.summary],
            "quotes": [{"text": q.text, "speaker": q.speaker, "speaker_name": speaker_name(q, s.article(q.doc_id)),
                        "article_id": q.doc_id, "trimmed": q.trimmed} for q in s.quotes]}


def to_json(d: Digest) -> str:
    monday, next_monday = parse_week(d.week)
    doc = {
        "schema_version": JSON_SCHEMA_VERSION, "week": d.week, "week_start": monday.isoformat(),
        "week_end": next_monday.isoformat(), "generated_at": d.generated_at.isoformat(), "run_id": d.run_id,
        "threshold": d.threshold, "week_rule": week_rule(d),
        "figures": {"articles": len(d.counted), "outlets": len(d.outlets), "unattributed": d.unattributed,
                    "stories": len(d.stories), "stories_shown": len(d.shown), "left_out": d.left_out,
                    "undated": d.undated, "late_arrivals": len(d.late)},
        "stories": [_story_json(s) for s in d.stories],
        "actors": [{"kind": r.kind, "key": r.key, "name": r.name, "articles": r.articles, "previous": r.previous,
                    "change": r.change} for r in d.actors],
        "previous_week": d.previous_week, "previous_articles": d.previous_articles,
        "coverage": [{"source": h.source, "status": h.status, "detail": h.detail} for h in d.coverage],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
