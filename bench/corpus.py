"""A synthetic but realistic corpus for the pipeline benchmark: N article pages made from real news HTML.

Why made from the 91 real pages of ../shared/bench/extraction and not from a template: extraction cost depends
on real markup (navigation, scripts, ads, comment blocks), so only real pages give a representative cost. Why
mutated: 2,000 copies of 91 pages would be exact duplicates, and the pipeline would store almost nothing. Each
article therefore takes the markup of one real page and rewrites its visible text (words substituted from the
whole corpus' vocabulary, sentences shuffled), its title, dates and addresses, so bodies of two variants of one
page share few word 3-grams (far below the near-duplicate threshold). A known share of articles (10 % by
default) are *near-duplicates*: an earlier article re-published elsewhere with ~3 % of its words changed, so
dedup has real work and the run can check how many it found.

Pages are written once per (N, seed, version) under a cache folder and reused by later runs; writing uses all
cores. Layout: `<root>/<outlet>/<yyyy>/<mm>/<dd>/a<i>.html` plus `manifest.json`.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_HTML = ROOT.parent / "shared" / "bench" / "extraction"
CORPUS_VERSION = 3  # bump when the generator changes, so cached corpora are rebuilt
DEFAULT_CACHE = Path(os.environ.get("NEWSDIGEST_BENCH_CACHE", "/tmp/newsdigest-bench"))
WEEK_MONDAY = date(2026, 3, 2)  # ISO week 2026-W10: every article is dated inside it, so one digest sees all
WEEK = "2026-W10"

_PROTECTED = re.compile(r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<noscript\b.*?</noscript\s*>)",
                        re.S | re.I)
_TEXT = re.compile(r">([^<>]{12,})<")
_META = re.compile(r"(<meta\b[^>]*?\bcontent=\")([^\"]{12,})(\")", re.I)
_WORD = re.compile(r"[^\W\d_]{3,}")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZА-Я])")
_ISO_DAY = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b")
_TITLE = re.compile(r"(<title[^>]*>)(.*?)(</title>)", re.S | re.I)
SECURITY_LINES = [
    "Russia and Kazakhstan held joint CSTO exercises near the border with Afghanistan this week.",
    "Officials in Dushanbe said Russian troops at the 201st base in Tajikistan were placed on alert.",
    "Kyrgyzstan and Tajikistan reported new clashes on their disputed border, the interior ministry said.",
    "Uzbekistan signed an arms deal with Russia covering helicopters and air defence systems.",
    "The CSTO secretary general met officials in Bishkek to discuss extremism and drug trafficking.",
    "Turkmenistan reinforced its frontier with Afghanistan after reports of militant activity.",
]


@dataclass(frozen=True)
class Article:
    """One page of the corpus: where it lives, what it derives from, and whether it is a near-duplicate."""

    index: int
    outlet: str
    path: str  # relative to the corpus root, also the URL path
    title: str
    published: str  # ISO datetime (naive UTC)
    base_page: str  # id of the real page whose markup it reuses
    duplicate_of: int | None  # index of the article it copies (near-duplicate), else None


@dataclass(frozen=True)
class Corpus:
    root: Path
    articles: list[Article]
    outlets: list[str]

    @property
    def n(self) -> int:
        return len(self.articles)

    def paths(self) -> Iterator[Path]:
        return (self.root / a.path for a in self.articles)

    @property
    def expected_duplicates(self) -> int:
        return sum(a.duplicate_of is not None for a in self.articles)


def shared_available() -> bool:
    return (SHARED_HTML / "ground-truth.json").is_file() and (SHARED_HTML / "html").is_dir()


@cache
def _base_pages() -> list[tuple[str, str, str]]:
    """(id, original url, html text) of the real pages, in a stable order."""
    truth = json.loads((SHARED_HTML / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for page_id in sorted(truth):
        raw = gzip.decompress((SHARED_HTML / "html" / f"{page_id}.html.gz").read_bytes())
        out.append((page_id, truth[page_id]["url"], raw.decode("utf-8", errors="replace")))
    return out


@cache
def _vocabulary() -> list[str]:
    """Every visible word of the real pages (with repeats, so substitutions keep word frequencies realistic)."""
    words: list[str] = []
    for _, _, html in _base_pages():
        for part in _PROTECTED.split(html):
            if not _PROTECTED.fullmatch(part):
                for text in _TEXT.findall(part):
                    words += _WORD.findall(text)
    return words


def _mutate_text(text: str, rng: random.Random, rate: float, shuffle: bool) -> str:
    vocab = _vocabulary()
    if shuffle:
        sentences = _SENTENCE.split(text)
        if len(sentences) > 2:
            rng.shuffle(sentences)
            text = " ".join(sentences)
    return _WORD.sub(lambda m: vocab[rng.randrange(len(vocab))] if rng.random() < rate else m.group(0), text)


def _mutate_markup(html: str, rng: random.Random, rate: float, shuffle: bool) -> str:
    """Rewrite visible text and meta descriptions; scripts, styles and comments are left as they are."""
    out = []
    for part in _PROTECTED.split(html):
        if _PROTECTED.fullmatch(part):
            out.append(part)
            continue
        part = _TEXT.sub(lambda m: ">" + _mutate_text(m.group(1), rng, rate, shuffle) + "<", part)
        part = _META.sub(lambda m: m.group(1) + (m.group(2) if "/" in m.group(2) else
                                                 _mutate_text(m.group(2), rng, rate, False)) + m.group(3), part)
        out.append(part)
    return "".join(out)


def _readdress(html: str, original_url: str, new_url: str, published: datetime, title: str) -> str:
    """New address, date and title: the variants must not claim the original page's identity or day."""
    for variant in {original_url, original_url.split("?")[0], original_url.replace("https://", "http://")}:
        html = html.replace(variant, new_url)
    html = _ISO_DAY.sub(published.strftime("%Y-%m-%d"), html)
    html, n = _TITLE.subn(lambda m: m.group(1) + title + m.group(3), html, count=1)
    return html


def _title(rng: random.Random, index: int) -> str:
    vocab = _vocabulary()
    words = [vocab[rng.randrange(len(vocab))] for _ in range(rng.randint(5, 9))]
    return f"{' '.join(words).capitalize()} ({index})"


def plan(n: int, outlets: int, dup_rate: float, seed: int) -> list[Article]:
    """Decide every article's outlet, address, date, base page and duplicate status (cheap, deterministic)."""
    rng = random.Random(seed)
    pages = _base_pages()
    names = [f"outlet{k}" for k in range(outlets)]
    articles: list[Article] = []
    originals: list[int] = []
    for i in range(n):
        outlet = names[i % outlets]
        published = datetime.combine(WEEK_MONDAY, datetime.min.time()) + timedelta(
            days=rng.randrange(7), hours=rng.randrange(6, 22), minutes=rng.randrange(60))
        dup = originals[rng.randrange(len(originals))] if originals and rng.random() < dup_rate else None
        base = pages[i % len(pages)][0] if dup is None else articles[dup].base_page
        path = f"{outlet}/{published:%Y/%m/%d}/a{i}.html"
        articles.append(Article(i, outlet, path, _title(rng, i), published.isoformat(), base, dup))
        if dup is None:
            originals.append(i)
    return articles


def render(article: Article, articles: list[Article], base_url: str, seed: int) -> str:
    """The HTML of one article (a near-duplicate re-renders its original, then changes ~3 % of its words)."""
    pages = {pid: (url, html) for pid, url, html in _base_pages()}
    rng = random.Random(seed * 1_000_003 + article.index)
    if article.duplicate_of is not None:
        html = render(articles[article.duplicate_of], articles, base_url, seed)
        html = _mutate_markup(html, rng, 0.03, False)
        original = f"{base_url}/{articles[article.duplicate_of].path}"
    else:
        original_url, html = pages[article.base_page]
        html = _mutate_markup(html, rng, 0.5, True)
        if rng.random() < 0.4:  # some articles are on topic, so the digest has something to rank
            line = SECURITY_LINES[rng.randrange(len(SECURITY_LINES))]
            html = re.sub(r"(<p\b[^>]*>)", lambda m: m.group(1) + line + " ", html, count=1)
        original = original_url
    return _readdress(html, original, f"{base_url}/{article.path}", datetime.fromisoformat(article.published),
                      article.title)


def _write_chunk(args: tuple[Path, list[Article], list[int], str, int]) -> int:
    root, articles, indices, base_url, seed = args
    for i in indices:
        target = root / articles[i].path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(articles[i], articles, base_url, seed), encoding="utf-8")
    return len(indices)


def build(n: int, *, outlets: int = 4, dup_rate: float = 0.10, seed: int = 7, cache_dir: Path = DEFAULT_CACHE,
          base_url: str = "http://127.0.0.1:{port}", workers: int | None = None) -> Corpus:
    """Write (or reuse) the corpus. Pages link to `base_url` with a `{port}` placeholder the site fills in.

    The placeholder keeps the cached files valid whatever port the server gets: the site substitutes it while
    serving, which is a cheap bytes.replace.
    """
    root = cache_dir / f"corpus-v{CORPUS_VERSION}-n{n}-o{outlets}-d{int(dup_rate * 100)}-s{seed}"
    manifest = root / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return Corpus(root, [Article(**a) for a in data["articles"]], data["outlets"])
    articles = plan(n, outlets, dup_rate, seed)
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    workers = workers or os.cpu_count() or 1
    step = max(1, min(200, n // (workers * 4) or 1))
    chunks = [(tmp, articles, list(range(i, min(n, i + step))), base_url, seed) for i in range(0, n, step)]
    if workers > 1 and n > 50:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_chunk, chunks))
    else:
        for chunk in chunks:
            _write_chunk(chunk)
    outlet_names = sorted({a.outlet for a in articles})
    (tmp / "manifest.json").write_text(json.dumps({"articles": [asdict(a) for a in articles],
                                                   "outlets": outlet_names}), encoding="utf-8")
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return Corpus(root, articles, outlet_names)
