"""The digest's pure part on constructed weeks: counting, ranking, stories, actors, citations, safe rendering, JSON.

No warehouse and no Prefect here (tests/test_digest_warehouse.py covers SQL). A constructed week (2021-W42) has
a story three outlets report, a single-outlet story, a late arrival, and off-topic articles (hard negatives).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

import newsdigest.digest as digest_mod
from newsdigest.digest import (
    MAX_STORIES,
    DigestQuote,
    SourceHealth,
    WeekArticle,
    build_digest,
    outlet_name,
    trim_quote,
    verify_digest,
)
from newsdigest.digest_render import figures, render_html, render_markdown, to_json, week_rule
from newsdigest.entities import EntityMention, find_entities
from newsdigest.markdown_safe import md_link, md_text
from newsdigest.relevance import Relevance, score_relevance
from newsdigest.stories import Story, StoryArticle, signature
from newsdigest.summarize import CitationError, Quote, SummarySentence
from newsdigest.weeks import last_complete_week, parse_week, resolve_week, week_of

ROOT = Path(__file__).resolve().parents[1]
WEEK = "2021-W42"  # Monday 18 to Sunday 24 October 2021
STORED = datetime(2021, 10, 22, 9, 0)
NOW = datetime(2021, 10, 25, 6, 0)


def _e(kind: str, key: str, name: str, group: str | None = None, surfaces: tuple[str, ...] = ()) -> EntityMention:
    return EntityMention(kind, key, name, group, 2, surfaces or (name,), False)


RUSSIA = _e("country", "russia", "Russia", "russia")
TAJIKISTAN = _e("country", "tajikistan", "Tajikistan", "central_asia")
UZBEKISTAN = _e("country", "uzbekistan", "Uzbekistan", "central_asia")
KYRGYZSTAN = _e("country", "kyrgyzstan", "Kyrgyzstan", "central_asia")
AFGHANISTAN = _e("country", "afghanistan", "Afghanistan")
CSTO = _e("org", "csto", "CSTO", "moscow_led")
SHOIGU = _e("person", "shoigu", "Sergei Shoigu", "russia", ("Shoigu",))


def article(article_id: str, title: str | None, body: str, published: datetime | None, site: str | None,
            score: float, entities: tuple[EntityMention, ...] = (), **kw) -> WeekArticle:
    base = dict(agency=None, url=f"https://{(site or 'example').lower()}.example/{article_id}", source="web",
                first_seen_at=STORED, late=False, uri=f"{article_id}.html")
    base.update(kw)
    return WeekArticle(article_id, 1, title, body, published, site, base["agency"], base["url"], base["source"],
                       base["first_seen_at"], base["late"], Relevance(score, score >= 0.5, (f"score {score}",)),
                       entities, uri=base["uri"])


CSTO_WEEK = [
    article("reuters-csto", "Russian-led CSTO troops begin drills in Tajikistan near Afghan border",
            "Troops from the Russian-led Collective Security Treaty Organization began military exercises in "
            "Tajikistan on Monday, a few kilometres from the border with Afghanistan, the Russian defence ministry "
            "said. About 4,000 servicemen from Russia, Tajikistan, Kyrgyzstan and Kazakhstan are taking part in the "
            "Rubezh-2021 drills at the Harb-Maidon training range in Khatlon province. The exercises rehearse "
            "repelling an incursion by militants crossing from Afghanistan after the Taliban takeover.",
            datetime(2021, 10, 18, 9), "Reuters", 0.6, (RUSSIA, TAJIKISTAN, AFGHANISTAN, CSTO), agency="Reuters"),
    article("tass-csto", "Rubezh-2021 CSTO exercise continues at Harb-Maidon range",
            "The active phase of the Rubezh-2021 exercise of the CSTO Collective Rapid Deployment Forces continued "
            "on Tuesday at the Harb-Maidon range in the Khatlon region of Tajikistan. Motor rifle units of the 201st "
            "Russian military base, Tajik and Kyrgyz troops practised destroying a simulated group of militants "
            "that had crossed the Tajik-Afghan border, the press service of the Central Military District "
            "reported. “The exercise shows that the CSTO is ready to defend the southern borders of its members,” "
            "Colonel-General Anatoly Sidorov said.", datetime(2021, 10, 19, 10), "TASS", 0.6,
            (RUSSIA, TAJIKISTAN, AFGHANISTAN, CSTO)),
    article("eurasianet-csto", "Moscow stages war games on Tajik-Afghan frontier",
            "Moscow is showing its allies that it means business. Russian and allied CSTO troops this week staged "
            "war games at the Harb-Maidon range in Tajikistan's Khatlon province, close to the Afghan frontier. "
            "The Rubezh-2021 drills, involving thousands of soldiers, armour and aircraft, simulated an attack by "
            "militants from Afghanistan. Analysts said the exercise was a message to the Taliban.",
            None, "Eurasianet", 0.6, (RUSSIA, TAJIKISTAN, AFGHANISTAN, CSTO)),
]
UZBEK_ARMS = article(
    "kun-arms", "Russia and Uzbekistan sign arms deal during Shoigu visit to Tashkent",
    "Russian Defence Minister Sergei Shoigu and his Uzbek counterpart Bakhodir Kurbanov signed an agreement on "
    "military-technical cooperation in Tashkent on Wednesday, the Russian defence ministry said. Under the deal "
    "Uzbekistan will receive helicopters, air defence systems and armoured vehicles over the next three years. "
    "“Uzbekistan is our strategic ally, and we will help it secure its southern border with Afghanistan,” Shoigu "
    "said after the talks. The ministers also agreed to hold joint exercises at the Termez training ground.",
    datetime(2021, 10, 20, 12), "Kun.uz", 1.0, (RUSSIA, UZBEKISTAN, AFGHANISTAN, SHOIGU))
LATE_DRONES = article(
    "akipress-drones", "Russia delivers reconnaissance drones to Kyrgyzstan's army",
    "Russia has handed over a batch of Orlan-10 reconnaissance drones to the armed forces of Kyrgyzstan at the "
    "Kant air base near Bishkek, the Kyrgyz defence ministry said. The drones will be used to monitor the "
    "mountain border areas in the south of the country. Kyrgyz officers were trained to operate them in Russia.",
    datetime(2021, 10, 5, 8), "AKIpress", 0.9, (RUSSIA, KYRGYZSTAN), late=True)
OFF_TOPIC = [  # hard negatives: a Russian military story with no Central Asia, a Central Asian one with no Russia
    article("syria-strikes", "Russian jets strike militant positions in Syria's Idlib",
            "Russian warplanes carried out air strikes on militant positions in Syria's northwestern Idlib "
            "province on Monday, a war monitor said, the heaviest bombardment in months.",
            datetime(2021, 10, 18, 14), "Reuters", 0.13, (RUSSIA,)),
    article("cotton", "Uzbekistan completes cotton harvest",
            "Uzbek farmers have finished picking cotton in the Fergana valley, the agriculture ministry said.",
            datetime(2021, 10, 21, 7), "Gazeta.uz", 0.05, (UZBEKISTAN,)),
]
LATE_OFF_TOPIC = article("late-wheat", "Kazakhstan raises wheat export forecast",
                         "Kazakhstan's agriculture ministry raised its forecast for grain exports this season.",
                         datetime(2021, 10, 4, 7), "Kazinform", 0.02, late=True)
ALL = [*CSTO_WEEK, UZBEK_ARMS, LATE_DRONES, *OFF_TOPIC, LATE_OFF_TOPIC]
PREVIOUS = {"russia": 6, "tajikistan": 1, "csto": 3}


def build(articles=ALL, **kw):
    args = dict(previous_mentions=PREVIOUS, earlier=[], coverage=[], threshold=0.5, now=NOW, run_id="run-1",
                previous_articles=7)
    args.update(kw)
    return build_digest(WEEK, articles, args.pop("previous_mentions"), args.pop("earlier"), args.pop("coverage"),
                        args.pop("threshold"), args.pop("now"), args.pop("run_id"), args.pop("previous_articles"))


@pytest.fixture(scope="module")
def digest():
    return build()


# ---- counting, week rule ----

def test_off_topic_articles_are_left_out_and_counted_as_such(digest):
    assert digest.left_out == 2, "the two off-topic articles of the week; the off-topic late arrival is not counted"
    shown = {a.article_id for s in digest.stories for a in s.articles}
    assert not shown & {"syria-strikes", "cotton", "late-wheat"}
    assert {a.article_id for a in digest.counted} == {"reuters-csto", "tass-csto", "eurasianet-csto", "kun-arms"}


def test_hard_negatives_scored_by_the_real_scorer_are_left_out():
    """The pipeline's own scoring on labelled fixtures: the digest keeps the positives, leaves out the negatives."""
    fixtures = ROOT / "tests" / "fixtures" / "relevance"
    names = {"en_pos_csto_tajik_afghan.txt": True, "en_pos_uzbek_arms.txt": True, "en_neg_syria_strikes.txt": False,
             "en_neg_uzbek_cotton.txt": False, "en_neg_gas_trade.txt": False}
    week = []
    for name in names:
        title, _, body = (fixtures / name).read_text(encoding="utf-8").partition("\n")
        entities = tuple(find_entities(title, body))
        verdict = score_relevance(title, body.strip(), list(entities))
        week.append(replace(article(name, title.strip(), body.strip(), datetime(2021, 10, 19), "Outlet", 0.0,
                                    entities), relevance=verdict))
    d = build(week, previous_mentions={})
    assert d.left_out == 3
    assert {a.article_id for a in d.counted} == {n for n, relevant in names.items() if relevant}


def test_late_arrivals_are_shown_but_not_counted(digest):
    assert [a.article_id for a in digest.late] == ["akipress-drones"]
    late_story = next(s for s in digest.stories if "akipress-drones" in [a.article_id for a in s.articles])
    assert late_story.late_only and late_story.rank == len(digest.stories), "late-only stories rank last"
    assert "kyrgyzstan" not in {r.key for r in digest.actors}, "late arrivals count in their own week"
    assert LATE_DRONES.counted_week == "2021-W40"
    data = json.loads(to_json(digest))
    assert data["figures"]["articles"] == 4 and data["figures"]["late_arrivals"] == 1
    assert [a["late"] for s in data["stories"] for a in s["articles"] if a["article_id"] == "akipress-drones"] == [True]


def test_week_of_an_article_is_its_published_week_else_first_stored():
    assert CSTO_WEEK[0].counted_week == "2021-W42"
    assert CSTO_WEEK[2].counted_week == week_of(STORED) == "2021-W42", "undated: the week first stored"
    assert replace(CSTO_WEEK[0], published=datetime(2021, 1, 3)).counted_week == "2020-W53"
    assert replace(CSTO_WEEK[2], first_seen_at=datetime(2021, 10, 25, 0, 1)).counted_week == "2021-W43"


def test_weeks():  # moved from the retired listing's tests
    assert parse_week("2021-W27") == (datetime(2021, 7, 5).date(), datetime(2021, 7, 12).date())
    assert week_of(datetime(2021, 7, 11, 23, 59)) == "2021-W27"
    assert last_complete_week(datetime(2026, 11, 22)) == "2026-W46"
    assert resolve_week(None, datetime(2026, 11, 22)) == "2026-W47"
    assert resolve_week("last", datetime(2026, 11, 22)) == "2026-W46"
    assert resolve_week("2021-W27", datetime(2026, 11, 22)) == "2021-W27"
    with pytest.raises(ValueError, match="2021-W27"):
        resolve_week("2021-27", datetime(2026, 11, 22))


def test_week_rule_sentence_says_where_undated_and_late_articles_count(digest):
    sentence = week_rule(digest)
    assert sentence.count(".") == 1 and sentence.endswith(".")
    assert "1 undated article counts in 2021-W42" in sentence
    assert "1 article published in 2021-W40 is shown as a late arrival but counted in 2021-W40" in sentence
    assert sentence in render_markdown(digest).replace("\\", "")


# ---- stories, ranking, actors ----

def test_stories_come_from_clustering_and_rank_by_coverage(digest):
    ranked = [[a.article_id for a in s.articles] for s in digest.stories]
    assert ranked == [["reuters-csto", "tass-csto", "eurasianet-csto"], ["kun-arms"], ["akipress-drones"]]
    top, single = digest.stories[:2]
    assert top.relevance < single.relevance, "three outlets outrank one, even at lower relevance"
    assert top.outlets == ["Eurasianet", "Reuters", "TASS"] and top.agencies == ["Reuters"]
    assert [s.rank for s in digest.stories] == [1, 2, 3]
    assert all(s.summary for s in digest.stories), "every shown story has a summary"


def test_only_the_top_stories_are_summarised_but_all_are_kept(monkeypatch):
    monkeypatch.setattr(digest_mod, "MAX_STORIES", 1)
    d = build()
    assert [s.shown for s in d.stories] == [True, False, False]
    assert not d.stories[1].summary and not d.stories[1].quotes
    assert "the top 1 of all 3 stories are shown" in figures(d)[0]
    assert "Not shown: 2 smaller stories (2 articles)" in render_markdown(d)
    assert MAX_STORIES >= 10


def test_actors_table_counts_articles_and_change_vs_previous_week(digest):
    rows = {r.key: r for r in digest.actors}
    assert (rows["russia"].articles, rows["russia"].previous, rows["russia"].change) == (4, 6, -2)
    assert (rows["tajikistan"].articles, rows["tajikistan"].change) == (3, 2)
    assert rows["csto"].change == 0 and rows["uzbekistan"].previous == 0
    assert [r.kind for r in digest.actors] == sorted((r.kind for r in digest.actors),
                                                      key=["country", "person", "org", "place", "theme"].index)
    markdown = render_markdown(digest)
    assert "| country | Russia | 4 | 6 | -2 |" in markdown
    assert "| country | Uzbekistan | 1 | 0 | new |" in markdown and "| org | CSTO | 3 | 3 | 0 |" in markdown
    assert "against 2021-W41 (7 articles counted)" in markdown


def test_developing_story_names_the_week_it_continues():
    earlier = StoryArticle("tass-announce", "CSTO to hold Rubezh-2021 exercise in Tajikistan near Afghan border",
                           "The Collective Security Treaty Organization will hold the Rubezh-2021 exercise at the "
                           "Harb-Maidon range in Tajikistan's Khatlon region next week, with troops from Russia, "
                           "Kyrgyzstan and Kazakhstan rehearsing a response to militants crossing from Afghanistan.",
                           datetime(2021, 10, 12))
    sig = signature(Story("s-earlier", ["tass-announce"], "", []), [earlier])
    d = build(earlier=[("2021-W41", sig)])
    assert d.stories[0].continues_week == "2021-W41" and d.stories[0].story.continues == "s-earlier"
    assert "developing: continues a story from 2021-W41" in render_markdown(d)


# ---- citations ----

def test_every_line_is_verbatim_and_quotes_are_attributed(digest):
    verify_digest(digest.stories)
    quotes = [q for s in digest.stories for q in s.quotes]
    assert {q.speaker for q in quotes} >= {"Shoigu"}
    assert "**Sergei Shoigu**: “Uzbekistan is our strategic ally" in render_markdown(digest), "lexicon full name"


def test_doctored_summary_sentence_fails_the_digest_loudly(monkeypatch):
    real = CSTO_WEEK[0].body.split(". ")[0] + "."
    doctored = real.replace("4,000", "40,000").replace("Monday", "Sunday")
    assert doctored != real

    def fake_summarize(docs, words, language):
        return [SummarySentence(docs[0].doc_id, doctored, 0)]

    monkeypatch.setattr(digest_mod, "summarize", fake_summarize)
    with pytest.raises(CitationError, match="not verbatim"):
        build()


def test_doctored_quote_fails_the_digest_loudly(monkeypatch):
    monkeypatch.setattr(digest_mod, "find_quotes", lambda doc: [Quote(doc.doc_id, "We will invade nobody", "Shoigu")])
    with pytest.raises(CitationError, match="quote"):
        build()


def test_a_line_citing_an_article_outside_its_story_fails(digest):
    story = replace(digest.stories[1], summary=[SummarySentence("reuters-csto", CSTO_WEEK[0].body[:40], 0)])
    with pytest.raises(CitationError, match="outside"):
        verify_digest([story])


def test_long_quotes_are_cut_at_a_sentence_end_and_stay_verbatim():
    text = ("We do not disregard the events on the border and the attempts to move militants into Tajikistan. "
            "That is why I can say that in case of a threat to our ally Russia will react, and react first of all "
            "with the 201st base on the territory of Tajikistan, which is ready.")
    cut, trimmed = trim_quote(text, words=30)
    assert trimmed and text.startswith(cut) and cut.endswith("Tajikistan.")
    run_on = " ".join(["word"] * 50)
    cut, trimmed = trim_quote(run_on, words=10)
    assert trimmed and run_on.startswith(cut) and len(cut.split()) == 10
    assert trim_quote("Short and sweet, he said.", words=10) == ("Short and sweet, he said.", False)


def test_quotes_come_from_several_articles_before_one_article_gives_two(monkeypatch):
    def quotes(doc):
        return [Quote(doc.doc_id, f"{w} {doc.doc_id}", s) for w, s in (("First", "Ivanov"), ("Second", "Petrov"))]

    story_articles = [replace(a, body=a.body + " First " + a.article_id + " Second " + a.article_id)
                      for a in CSTO_WEEK]
    monkeypatch.setattr(digest_mod, "find_quotes", quotes)
    monkeypatch.setattr(digest_mod, "summarize", lambda docs, words, language: [])
    d = build(story_articles)
    assert [(q.doc_id, q.speaker) for q in d.stories[0].quotes] == [
        ("reuters-csto", "Ivanov"), ("tass-csto", "Petrov"), ("eurasianet-csto", "Ivanov")]


# ---- rendering: outlets, plurals, dates ----

def test_outlet_is_the_site_else_the_host_else_the_agency_never_the_source_name():
    assert outlet_name("Devdiscourse", "https://www.devdiscourse.com/a", "Reuters") == "Devdiscourse"
    assert outlet_name(None, "https://www.devdiscourse.com/a", "Reuters") == "devdiscourse.com"
    assert outlet_name(None, None, "Interfax") == "Interfax"
    assert outlet_name(None, "javascript:alert(1)", None) is None
    scrape = article("scrape", None, UZBEK_ARMS.body, None, None, 0.9, url=None, source="seeds", uri="000_x.txt")
    markdown = render_markdown(build([scrape]))
    assert "outlets: 1 article naming none" in markdown and "— unknown outlet, undated" in markdown
    assert "outlets: seeds" not in markdown and "— seeds" not in markdown
    assert "stored as seeds:000\\_x.txt" in markdown, "an article without a web address says where it is stored"
    assert "(no headline) Russian Defence Minister Sergei Shoigu" in markdown


def test_story_line_has_plural_and_date_span(digest):
    markdown = render_markdown(digest)
    assert "_3 articles · published 2021-10-18 to 2021-10-19, 1 undated · outlets: Eurasianet, Reuters and TASS" \
        in markdown
    assert "_1 article · published 2021-10-20 · outlets: Kun.uz_" in markdown
    assert "1 articles" not in markdown and "1 stories" not in markdown
    assert "23–29" not in markdown and "18–24 October 2021 (Monday to Sunday, UTC)" in markdown


def test_headline_figures(digest):
    assert figures(digest) == [
        "4 relevant articles counted in 2021-W42, from 4 outlets, in 2 stories",
        "1 late arrival: published in 2021-W40, first stored this week; shown, not counted here",
        "2 off-topic articles left out (relevance below 0.50)",
        "1 of 4 undated (25%), counted in the week first stored",
    ]


def test_an_empty_week_renders_and_says_so():
    d = build(OFF_TOPIC, previous_mentions={}, previous_articles=0)
    markdown, page, data = render_markdown(d), render_html(d), json.loads(to_json(d))
    assert d.left_out == 2 and not d.stories
    assert "_No relevant stories this week._" in markdown and "_No attributed quotes this week._" in markdown
    assert "No relevant stories this week." in page
    assert data["figures"]["articles"] == 0 and data["stories"] == [] and data["actors"] == []


# ---- rendering: hostile web text ----

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[x](javascript:alert(1))"
ATTR = '" onmouseover="alert(1)'
HOSTILE_BODY = (f"Russian troops {IMG} moved towards the Tajik border near {JS_LINK} on Monday, officials said. "
                f"The *CSTO* | secretary {SCRIPT} spoke of `code` and ~~strike~~ plans near Dushanbe. "
                f"“# We will defend {SCRIPT} our allies | always,” the general said.")


@pytest.fixture
def hostile(monkeypatch):
    def summary(docs, words, language):
        doc = next((d for d in docs if d.doc_id == "evil"), docs[0])
        if doc.doc_id != "evil":
            return [SummarySentence(doc.doc_id, doc.text.split(". ")[0] + ".", 0)]
        return [SummarySentence(doc.doc_id, s, i)
                for i, s in enumerate(re.split(r"(?<=\.) ", HOSTILE_BODY.split(" “")[0]))]

    def quotes(doc):
        if doc.doc_id != "evil":
            return []
        return [Quote(doc.doc_id, f"# We will defend {SCRIPT} our allies | always", f"{SCRIPT} | **Boss** {ATTR}")]

    monkeypatch.setattr(digest_mod, "summarize", summary)
    monkeypatch.setattr(digest_mod, "find_quotes", quotes)
    evil_entity = EntityMention("person", "evil", f"Evil | Name *x* {IMG}", None, 1, ("Evil",), False)
    week = [article("evil", f"{SCRIPT} *bold* | pipe {JS_LINK} {ATTR}", HOSTILE_BODY, datetime(2021, 10, 19),
                    f"Outlet {ATTR} | *x*", 0.9, (RUSSIA, evil_entity), agency=f"<b>Wire</b> {JS_LINK}",
                    url="javascript:alert(1)"),
            article("ok", "- # Plain title", UZBEK_ARMS.body, datetime(2021, 10, 20), "Plain",
                    0.8, url="https://example.org/a?b=1&c=2"),
            article("ftp", "Ftp title", LATE_DRONES.body, datetime(2021, 10, 21), "Ftp", 0.8,
                    url="ftp://example.org/file")]
    return build(week, coverage=[SourceHealth(f"feed {SCRIPT}", "failed", f"{IMG} x2")])


def _parse_html(text: str):
    lxml_html = pytest.importorskip("lxml.html")
    return lxml_html.document_fromstring(text)


def _assert_inert(tree) -> None:
    assert not tree.xpath("//script | //img | //iframe | //object | //embed | //form | //svg")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.attrib
        for name in ("href", "src", "action"):
            value = element.get(name)
            assert value is None or value.startswith(("https://", "http://")), value


def test_hostile_text_is_escaped_in_markdown(hostile):
    markdown_it = pytest.importorskip("markdown_it")
    markdown = render_markdown(hostile)
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    tree = _parse_html(f"<html><body>{rendered}</body></html>")
    _assert_inert(tree)  # even a renderer that passes raw HTML through gets no markup from the web
    text = tree.text_content()
    for literal in (SCRIPT, IMG, JS_LINK, "*bold* | pipe", "*CSTO* |", "`code`", "~~strike~~", "- # Plain title",
                    f"Outlet {ATTR} | *x*", "# We will defend"):
        assert literal in text, literal
    assert [a.get("href") for a in tree.xpath("//a")] == ["https://example.org/a?b=1&c=2"] * 2, "title and [n]"
    assert not tree.xpath("//em[.='bold' or .='CSTO' or .='x'] | //del | //code | //strong[.='Boss']"
                          " | //h1[contains(., 'Plain') or contains(., 'defend')]")
    for row in tree.xpath("//table//tr"):
        assert len(row.xpath("td | th")) == 5, "a pipe in a name cannot add a column"


def test_hostile_text_is_escaped_in_html(hostile):
    page = render_html(hostile)
    tree = _parse_html(page)
    _assert_inert(tree)
    csp = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp and "default-src 'none'" in csp[0] and "script-src" not in csp[0]
    assert "<script" not in page.lower() and "javascript:" not in "".join(tree.xpath("//@href"))
    text = tree.text_content()
    assert SCRIPT in text and IMG in text and ATTR in text and JS_LINK in text
    assert tree.xpath("//a/@href") == ["https://example.org/a?b=1&c=2"] * 2
    assert all(a.get("rel") == "noopener noreferrer" for a in tree.xpath("//a"))


def test_markdown_escaping_helpers():  # moved from the retired listing's tests, plus block markers
    out = md_text(f"{SCRIPT} {JS_LINK} {IMG}")
    assert "<" not in out and ">" not in out
    assert not re.search(r"(?<!\\)\]\(", out), "a link can only form from an unescaped ']('"
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("x", "https://example.com/a") == "[x](<https://example.com/a>)"
    assert md_link("x", "https://example.com/a b") == "x" and md_link("x", "https://e.com/<x>") == "x"
    assert md_text("# Heading") == "\\# Heading" and md_text("- item") == "\\- item"
    assert md_text("1. first") == "1\\. first" and md_text("2021 was a year") == "2021 was a year"
    assert md_text("a | b * c _ d") == "a \\| b \\* c \\_ d"
    assert md_text("line one\nline two\u2028three") == "line one line two three"
    assert md_text("x" * 20, limit=10) == "x" * 9 + "…"


# ---- JSON ----

def _paths(value, path: str = "") -> dict[str, set[str]]:
    """Every field path of a JSON document ('stories[].articles[].url') with the JSON types seen there."""
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number",
            type(None): "null"}[type(value)]
    found: dict[str, set[str]] = {}
    if path and not path.endswith("[]"):  # a list's items are described by their fields
        if kind == "array" and value and all(isinstance(v, str) for v in value):
            kind = "array of string"
        elif kind == "array":
            kind = "array of object" if value else "array"
        found[path] = {kind}
    if isinstance(value, dict):
        for key, item in value.items():
            for p, kinds in _paths(item, f"{path}.{key}" if path else key).items():
                found.setdefault(p, set()).update(kinds)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for item in value:
            for p, kinds in _paths(item, f"{path}[]").items():
                found.setdefault(p, set()).update(kinds)
    return found


def _documented_fields() -> dict[str, set[str]]:
    """The field table of docs/digest.md's JSON section: | `path` | type | meaning |."""
    doc = (ROOT / "docs" / "digest.md").read_text(encoding="utf-8")
    doc = doc[doc.index("\n## JSON"):]
    doc = doc[: doc.index("\n## ", 1)]
    rows = re.findall(r"^\| `([a-z_\[\].]+)` \| ([^|]+) \|", doc, flags=re.MULTILINE)
    assert rows, "docs/digest.md documents the JSON fields in a table"
    return {path: {t.strip() for t in types.split(" or ")} for path, types in rows}


def test_json_round_trips_and_matches_the_documented_schema(digest):
    text = to_json(digest)
    data = json.loads(text)
    assert json.dumps(data, ensure_ascii=False, indent=2) == text
    assert data["week"] == WEEK and data["week_start"] == "2021-10-18" and data["week_end"] == "2021-10-25"
    assert data["figures"] == {"articles": 4, "outlets": 4, "unattributed": 0, "stories": 3, "stories_shown": 3,
                               "left_out": 2, "undated": 1, "late_arrivals": 1}
    first = data["stories"][0]
    assert [a["article_id"] for a in first["articles"]] == ["reuters-csto", "tass-csto", "eurasianet-csto"]
    bodies = {a.article_id: a.body for a in ALL}
    assert all(line["text"] in bodies[line["article_id"]] for s in data["stories"] for line in s["summary"])
    assert data["week_rule"] == week_rule(digest)
    seen = _paths(json.loads(to_json(build(coverage=[SourceHealth("feed", "failed", "ReadTimeout x2")]))))
    documented = _documented_fields()
    assert set(seen) == set(documented), (set(seen) ^ set(documented))
    for path, kinds in seen.items():
        assert kinds <= documented[path] | {"array"}, (path, kinds, documented[path])


def test_quote_flags_in_json(digest):
    quotes = [q for s in json.loads(to_json(digest))["stories"] for q in s["quotes"]]
    shoigu = next(q for q in quotes if q["speaker"] == "Shoigu")
    assert shoigu["speaker_name"] == "Sergei Shoigu" and shoigu["trimmed"] is False
    assert isinstance(DigestQuote("a", "b", "c").trimmed, bool)


def test_speaker_names_follow_the_lexicon_inside_a_described_attribution():
    from newsdigest.digest import speaker_name

    body = "Russian Deputy Foreign Minister Andrei Rodenko told Sputnik that Moscow was ready to help Tajikistan."
    article = replace(ALL[0], body=body, entities=tuple(find_entities(None, body)))
    named = {speaker: speaker_name(DigestQuote(article.article_id, "text", speaker), article) for speaker in (
        "Russian Deputy Foreign Minister Andrei Rodenko", "Rodenko", "Deputy minister Rodenko", "a diplomat")}
    assert named == {"Russian Deputy Foreign Minister Andrei Rodenko": "Russian Deputy Foreign Minister Andrei Rudenko",
                     "Rodenko": "Andrei Rudenko", "Deputy minister Rodenko": "Deputy minister Andrei Rudenko",
                     "a diplomat": "a diplomat"}


def test_sentence_splitter_keeps_datelines_initials_and_abbreviations():  # moved from the retired listing's tests
    from newsdigest.sentences import split_sentences

    text = ("MOSCOW. July 5 (Interfax) - The U.S. exit worries Gen. Ivanov. «We are ready,» he said. "
            "Troops moved at 5 a.m. Monday. Then?")
    assert split_sentences(text) == [
        "MOSCOW. July 5 (Interfax) - The U.S. exit worries Gen. Ivanov.",
        "«We are ready,» he said.",
        "Troops moved at 5 a.m. Monday.",
        "Then?",
    ]
