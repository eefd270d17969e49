"""Article pages, feeds and sitemaps for web-ingestion tests: two small outlets served on loopback.

The articles are written like real wire copy on Russia–Central Asia security (so they also exercise the
digest), each page wrapped in the navigation, footer and "related" chrome real sites add. Outlet B
re-publishes outlet A's first article with its own chrome, a changed headline and a trimmed last paragraph:
a near-duplicate that must be linked, not merged or dropped.
"""

from __future__ import annotations

import gzip
import html
from datetime import UTC, datetime
from email.utils import format_datetime

CSTO_DRILLS = [
    "Troops from Russia, Tajikistan and Kyrgyzstan began joint exercises of the Collective Security Treaty "
    "Organization at the Harb-Maidon range in southern Tajikistan on Monday, about 20 kilometres from the "
    "border with Afghanistan, the Russian Defence Ministry said.",
    "More than 4,000 servicemen and 500 pieces of equipment are taking part in the drills, which rehearse "
    "the destruction of armed groups crossing the Tajik-Afghan border, according to the ministry's statement.",
    "The exercises follow weeks of fighting in northern Afghanistan that pushed hundreds of Afghan soldiers "
    "across the Pyanj river into Tajikistan, where the government in Dushanbe has mobilised reservists.",
    "Russia keeps its largest foreign ground force, the 201st military base, in Tajikistan, and its commanders "
    "said units of the base would train alongside Tajik border guards for the first time this year.",
    "Officials in Moscow have repeatedly said that the Collective Security Treaty Organization is ready to "
    "help Tajikistan if the situation on the Afghan border deteriorates further in the coming weeks.",
    "The drills are scheduled to end on Saturday with a live-fire exercise attended by the defence ministers "
    "of the three countries and observers from Uzbekistan, which left the alliance in 2012.",
]

BORDER_TALKS = [
    "Kyrgyzstan and Tajikistan agreed on Wednesday to withdraw additional troops from disputed sections of "
    "their border in the Batken region, three months after clashes there killed more than fifty people.",
    "The heads of the two countries' security services met in the town of Isfara and signed a protocol on "
    "joint patrols, the Kyrgyz border service said in a statement published on its website.",
    "Both governments blame each other for the fighting in April, which began with a dispute over a water "
    "intake facility and quickly escalated into exchanges of fire involving mortars and armoured vehicles.",
    "Russia, which has military bases in both countries, has offered to mediate, and a Russian deputy foreign "
    "minister is expected to visit Bishkek and Dushanbe next month to discuss demarcation of the frontier.",
    "Residents of border villages told reporters that many families displaced by the clashes have still not "
    "returned to their homes, and that the checkpoints on the main road remain closed to civilians.",
]

KAZAKH_ARMS = [
    "Kazakhstan will buy additional Su-30SM fighter jets and Mi-35 attack helicopters from Russia under an "
    "agreement signed during a visit by the Kazakh defence minister to Moscow, the ministry said on Thursday.",
    "The deal, whose value was not disclosed, is part of a programme to modernise the country's air force "
    "and is financed on preferential terms available to members of the Collective Security Treaty Organization.",
    "Officials in Nur-Sultan said the first aircraft would be delivered next year to an air base near the city "
    "of Shymkent, close to the border with Uzbekistan and within reach of the Afghan frontier.",
    "Russian arms account for most of the weapons used by the armed forces of Kazakhstan, although the country "
    "has also bought transport aircraft from Spain and drones from Turkey in recent years.",
    "Analysts said the purchase reflects growing concern in Central Asia about security on the southern border "
    "after the advance of the Taliban across northern Afghanistan this summer.",
]

UZBEK_REFUGEES = [
    "Uzbekistan returned a group of Afghan soldiers who crossed the Amu Darya river at Termez last week, the "
    "Uzbek foreign ministry said, adding that the men had asked to go back after talks with Afghan officials.",
    "The government in Tashkent has said it will not allow refugees to settle in the country but is ready to "
    "provide humanitarian aid through a logistics hub at Termez near the Friendship Bridge.",
    "Russian officials have urged Uzbekistan to take part in joint exercises with Russian and Tajik forces, "
    "and the Uzbek defence ministry confirmed that its troops would hold drills with Russian units in August.",
    "Border guards have reinforced patrols along the 144-kilometre frontier with Afghanistan, and the crossing "
    "at Hairatan remains closed to travellers, the state border service said.",
]

UNRELATED = [
    "Farmers in northern Kazakhstan expect a smaller wheat harvest this year after a dry spring, the agriculture "
    "ministry said, forecasting a crop of about 14 million tonnes compared with 20 million last year.",
    "Exporters said prices for Kazakh wheat in Central Asian markets have already risen, and traders in "
    "Uzbekistan and Afghanistan, the main buyers of Kazakh flour, are looking for other suppliers.",
    "The government is considering temporary limits on grain exports to keep domestic bread prices stable "
    "ahead of the winter, officials said on Friday.",
]

CP1251_PARAS = [
    "Министр обороны России Сергей Шойгу заявил, что российская военная база в Таджикистане будет усилена "
    "современным вооружением в связи с обстановкой на таджикско-афганской границе.",
    "По его словам, страны ОДКБ готовы оказать Таджикистану помощь в случае угрозы со стороны Афганистана, "
    "где движение Талибан захватило большую часть северных районов.",
    "В ближайшие недели на полигонах в Таджикистане пройдут совместные учения российских и таджикских военных, "
    "в которых примут участие подразделения 201-й военной базы.",
]


def article_page(title: str, paragraphs: list[str], *, site: str, published: datetime | None = None,
                 canonical: str | None = None, lang: str = "en", charset_meta: bool = True) -> str:
    """A news page with real-world chrome around the article (nav, share buttons, related links, footer)."""
    head = [f"<title>{html.escape(title)} | {html.escape(site)}</title>",
            f'<meta property="og:site_name" content="{html.escape(site)}">',
            f'<meta property="og:title" content="{html.escape(title)}">']
    if charset_meta:
        head.insert(0, '<meta charset="utf-8">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published.isoformat()}Z">')
    if canonical:
        head.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    return f"""<!doctype html><html lang="{lang}"><head>{''.join(head)}</head><body>
<header><nav><a href="/">Home</a> | <a href="/politics">Politics</a> | <a href="/security">Security</a></nav></header>
<main><article><h1>{html.escape(title)}</h1>
<div class="share">Share on Facebook | Share on Twitter | Email</div>
{body}</article>
<aside><h3>Related</h3><ul><li><a href="/x">Markets close higher</a></li><li><a href="/y">Weather</a></li></ul></aside>
</main><footer><p>© 2021 {html.escape(site)}. All rights reserved. Contact: editor@example.invalid</p></footer>
</body></html>"""


def rss(title: str, base: str, items: list[dict]) -> bytes:
    """RSS 2.0 with title, link, pubDate, author and description per item."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}'
             f"</title><link>{base}/</link><description>news</description>"]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{html.escape(item['title'])}</title><link>{html.escape(item['link'])}</link>")
        if item.get("published"):
            parts.append(f"<pubDate>{format_datetime(item['published'].replace(tzinfo=UTC))}</pubDate>")
        if item.get("author"):
            parts.append(f"<author>{html.escape(item['author'])}</author>")
        if item.get("summary"):
            parts.append(f"<description>{html.escape(item['summary'])}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def atom(title: str, base: str, items: list[dict]) -> bytes:
    entries = "".join(
        f"<entry><title>{html.escape(i['title'])}</title><link href=\"{html.escape(i['link'])}\"/>"
        f"<id>{html.escape(i['link'])}</id><updated>{i['published'].isoformat()}Z</updated></entry>"
        for i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{html.escape(title)}</title><id>{base}/</id><updated>2021-07-08T00:00:00Z</updated>"
            f"{entries}</feed>").encode()


def news_sitemap(entries: list[tuple[str, str, datetime]], gz: bool = False) -> bytes:
    """A Google News sitemap: (url, title, published) per entry."""
    urls = "".join(
        f"<url><loc>{html.escape(u)}</loc><news:news><news:publication><news:name>Outlet</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>{d.isoformat()}Z"
        f"</news:publication_date><news:title>{html.escape(t)}</news:title></news:news></url>"
        for u, t, d in entries)
    body = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>").encode()
    return gzip.compress(body) if gz else body
