"""URL hygiene for ingestion: canonical form, a looser dedup key, site comparison and rel=canonical choice.

Pure functions, no network. Two notions of identity, on purpose:

``canonicalize_url(url)``
    A normalised URL that still *works*: it keeps the scheme as given (``http`` is not silently
    upgraded, since some sites really do serve different things) and keeps the path's slashes.
    Steps, in order:

    * scheme and host lower-cased; unicode hosts IDNA-encoded (UTS #46), trailing dot dropped;
      user:password dropped (never wanted in stored URLs); default ports (``:80`` http, ``:443`` https) dropped;
    * Google AMP cache / AMP viewer URLs (``*.cdn.ampproject.org/c/s/...``, ``www.google.com/amp/s/...``)
      replaced by the origin URL they wrap;
    * mobile/AMP host label: a leading ``m.``, ``mobile.`` or ``amp.`` label is dropped when what remains is
      still a registrable domain or deeper (``m.lenta.ru`` -> ``lenta.ru``). This is a *heuristic*: most
      news sites serve their mobile/AMP copy under such a label and the desktop copy one label up
      (or under ``www.``, which :func:`url_key` ignores);
    * AMP path variants: a ``/amp`` path segment (anywhere, including trailing ``/amp`` or ``/amp/``) is
      removed, ``.amp.html`` -> ``.html``; query flags ``amp`` (empty, ``1`` or ``true``) and ``outputType=amp``
      are removed;
    * path: dot segments resolved, empty path -> ``/``; duplicate slashes are **kept** (they may address
      a different resource; :func:`url_key` collapses them);
    * percent-encoding normalised everywhere: hex upper-cased, escaped unreserved characters
      (``A-Z a-z 0-9 - . _ ~``) decoded, characters that must be escaped (spaces, non-ASCII as UTF-8, ...)
      escaped, a stray ``%`` becomes ``%25``;
    * query: tracking parameters removed (see :data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`,
      :data:`TRACKING_PATTERN` and :data:`FEED_REFERRER_PARAMS`), the remaining ``key=value`` pairs sorted
      (by key, then value; pairs are otherwise kept byte-for-byte, blank values included); an empty query
      is dropped;
    * session identifiers removed: ``;jsessionid=...`` path parameters and ``PHPSESSID``-style query parameters;
    * fragment dropped, except an AJAX "hashbang" fragment (``#!...``), which addresses content.

``url_key(url)``
    The dedup key: the canonical URL without its scheme, with a leading ``www.`` dropped from the host,
    duplicate slashes collapsed and a trailing slash removed (except for the root). So
    ``http://www.example.com/a/`` and ``https://example.com//a`` share one key.

Both raise ``ValueError`` for anything that is not an absolute http(s) URL with a valid host.
"""

from __future__ import annotations

import ipaddress
import re
import string
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

import idna

__all__ = [
    "FEED_REFERRER_PARAMS",
    "TRACKING_PARAMS",
    "TRACKING_PATTERN",
    "TRACKING_PREFIXES",
    "absolute_url",
    "canonicalize_url",
    "choose_canonical",
    "registrable_domain",
    "same_site",
    "url_key",
]

_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Query parameters removed wherever they appear (compared case-insensitively).
TRACKING_PARAMS = frozenset(
    {
        # ad-click identifiers
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "twclid", "ttclid", "li_fat_id",
        "yclid", "ysclid", "ymclid", "_openstat",  # Yandex / Openstat (common on Russian-language sites)
        # analytics / e-mail campaign tools
        "_ga", "_gl", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "vero_conv",
        "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "ncid", "sr_share", "cmpid", "cmp", "ito",
        "igshid", "igsh", "ref_src", "ref_url", "xtor", "__twitter_impression", "amp_js_v", "amp_gsa", "usqp",
        # session identifiers (not tracking, but never part of a page's identity)
        "phpsessid", "jsessionid", "aspsessionid", "cfid", "cftoken",
    }
)  # fmt: skip
#: Parameter-name prefixes removed (``utm_source``, ``utm_medium``, ... ``utm_anything``).
TRACKING_PREFIXES = ("utm_",)
#: AT Internet / Piano parameters used by the BBC and others (``at_medium``, ``at_campaign``, ``at_custom1`` ...).
TRACKING_PATTERN = re.compile(r"at_(medium|campaign|campaign_type|custom\d*|link\w*|format|ptr_name|bbc_team)")
#: "Where did the click come from" parameters: removed only when the value names a feed or a social network,
#: e.g. ``?from=rss``, ``?ref=yxnews``, ``?rss=1``; ``?ref=2024-report`` is kept.
FEED_REFERRER_PARAMS = frozenset({"ref", "from", "source", "src", "rss", "feed", "utm"})
_FEED_REFERRER_VALUES = frozenset(
    {
        "", "1", "true", "rss", "rss2", "rss20", "rssfeed", "rss_feed", "feed", "feeds", "atom", "newsfeed",
        "yxnews", "yandex", "yandexnews", "yandex_news", "dzen", "zen", "newsletter", "email", "mail",
        "twitter", "x", "facebook", "fb", "telegram", "tg", "vk", "vkontakte", "ok", "whatsapp", "share",
        "google", "googlenews", "google_news", "flipboard", "smi2", "mirtesen", "24smi",
    }
)  # fmt: skip

_MOBILE_LABELS = ("m", "mobile", "amp")
_SESSION_PATH_PARAM = re.compile(r";jsessionid=[^/;]*", re.I)  # Java servlet session id in the path
_AMP_CACHE_SUFFIX = ".cdn.ampproject.org"

# Two-level public suffixes common in our sources, plus a few hosting platforms whose sub-domains belong to
# different owners (they sit in the "private" section of the public-suffix list). A heuristic, not the PSL.
_TWO_LEVEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.za", "org.za",
        "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr", "com.cn", "net.cn", "org.cn", "gov.cn",
        "com.hk", "org.hk", "com.tw", "org.tw", "com.sg", "com.my", "co.in", "org.in", "net.in", "gov.in",
        "com.pk", "org.pk", "com.af", "org.af", "gov.af", "co.ir", "org.ir", "ac.ir", "gov.ir",
        "co.il", "org.il", "com.eg", "com.sa", "com.br", "com.ar", "com.mx", "co.id", "or.id", "go.id",
        "com.tr", "org.tr", "net.tr", "gov.tr", "edu.tr", "gen.tr", "web.tr",
        "com.ru", "org.ru", "net.ru", "pp.ru", "msk.ru", "spb.ru", "gov.ru",
        "com.ua", "org.ua", "net.ua", "gov.ua", "in.ua", "kiev.ua", "com.by", "org.by", "net.by", "gov.by",
        "com.kz", "org.kz", "net.kz", "gov.kz", "edu.kz", "com.kg", "org.kg", "net.kg", "gov.kg", "edu.kg",
        "com.tj", "org.tj", "net.tj", "gov.tj", "com.uz", "org.uz", "co.uz", "net.uz", "gov.uz",
        "com.tm", "org.tm", "gov.tm", "com.az", "org.az", "net.az", "gov.az", "com.ge", "org.ge", "gov.ge",
        "com.am", "org.am", "net.am", "com.mn", "org.mn", "gov.mn", "com.md", "org.md",
        # hosting platforms: each sub-domain is a separate site
        "blogspot.com", "livejournal.com", "wordpress.com", "substack.com", "medium.com", "github.io",
        "tumblr.com", "narod.ru", "ucoz.ru", "appspot.com", "dreamwidth.org", "telegra.ph",
    }
)  # fmt: skip

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = frozenset(_UNRESERVED | set(_SUB_DELIMS) | set(":@/"))
_QUERY_KEY_SAFE = frozenset(_UNRESERVED | set("!$'()*+,;:@/?"))  # "&" and "=" stay escaped inside a key
_QUERY_VALUE_SAFE = frozenset(_QUERY_KEY_SAFE | {"="})  # base64 padding etc.: a raw "=" in a value is left alone
_FRAGMENT_SAFE = frozenset(_PATH_SAFE | {"?"})
_HEX = frozenset(string.hexdigits)
_HOST_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$")
_WS_RE = re.compile(r"[\t\n\r]")


# --------------------------------------------------------------------------------------------------- helpers


def _normalise_escapes(text: str, safe: frozenset[str]) -> str:
    """Upper-case percent escapes, decode escaped unreserved characters, escape what must be escaped."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                code = int(text[i + 1 : i + 3], 16)
                decoded = chr(code)
                out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", errors="surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for seg in segments[1:] if path.startswith("/") else segments:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    result = "/" + "/".join(out) if path.startswith("/") else "/".join(out)
    if segments[-1] in (".", "..") and not result.endswith("/"):
        result += "/"
    return result


def _encode_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        raise ValueError("URL has no host")
    if host.startswith("["):  # IPv6 literal; urlsplit already validated the brackets
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1].split("%")[0]).compressed + "]"
        except ValueError as exc:
            raise ValueError(f"invalid IPv6 host {host!r}") from exc
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"invalid internationalised host {host!r}: {exc}") from exc
    elif "%" in host:
        raise ValueError(f"invalid host {host!r}")
    if not _HOST_RE.match(host):
        raise ValueError(f"invalid host {host!r}")
    return host


def _split(url: str) -> SplitResult:
    if not isinstance(url, str):
        raise ValueError(f"URL must be a string, got {type(url).__name__}")
    url = _WS_RE.sub("", url.strip())
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"unparsable URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if not parts.netloc or not parts.hostname:
        raise ValueError(f"URL has no host: {url!r}")
    return parts


def _host_and_port(parts: SplitResult, scheme: str) -> tuple[str, int | None]:
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid port in {parts.geturl()!r}") from exc
    raw = parts.netloc.rpartition("@")[2]
    if raw.startswith("["):
        raw_host = raw[: raw.index("]") + 1]
    else:
        raw_host = raw.rsplit(":", 1)[0] if port is not None or raw.endswith(":") else raw
    host = _encode_host(raw_host)
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return host, port


def _unwrap_amp_cache(host: str, path: str, query: str) -> str | None:
    """``https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a`` -> ``https://www.example.com/a``."""
    if host.endswith(_AMP_CACHE_SUFFIX):
        m = re.match(r"^/(?:c|v|wp|i|r)/(s/)?([^/]+\.[^/]+)(/.*)?$", path)
    elif re.match(r"^(www\.)?google\.[a-z.]+$", host):
        m = re.match(r"^/amp/(s/)?([^/]+\.[^/]+)(/.*)?$", path)
    else:
        return None
    if not m:
        return None
    scheme = "https" if m.group(1) else "http"
    inner = f"{scheme}://{m.group(2)}{m.group(3) or '/'}"
    if query:
        inner += "?" + query
    return inner


def _strip_mobile_label(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and labels[0] in _MOBILE_LABELS and not host.startswith("["):
        rest = ".".join(labels[1:])
        if rest not in _TWO_LEVEL_SUFFIXES:
            return rest
    return host


def _strip_amp_path(path: str) -> str:
    if path.endswith(".amp.html") or path.endswith(".amp.htm"):
        path = path[: path.rindex(".amp.")] + path[path.rindex(".amp.") + 4 :]
    if "/amp" not in path.lower():
        return path
    segments = path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    if len(kept) == len(segments):
        return path
    new = "/".join(kept)
    if not new.startswith("/"):
        new = "/" + new
    if path.endswith("/") and not new.endswith("/"):
        new += "/"
    return new or "/"


def _is_tracking(key: str, value: str) -> bool:
    k = key.lower()
    if k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES) or TRACKING_PATTERN.fullmatch(k):
        return True
    v = value.lower()
    if k == "amp" and v in ("", "1", "true"):
        return True
    if k == "outputtype" and v == "amp":
        return True
    return k in FEED_REFERRER_PARAMS and v in _FEED_REFERRER_VALUES


def _normalise_query(query: str) -> str:
    pairs: list[tuple[str, str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        key_n = _normalise_escapes(key, _QUERY_KEY_SAFE)
        value_n = _normalise_escapes(value, _QUERY_VALUE_SAFE)
        if _is_tracking(unquote_plus(key_n), unquote_plus(value_n)):
            continue
        pairs.append((key_n, value_n, f"{key_n}{eq}{value_n}"))
    pairs.sort(key=lambda p: (p[0], p[1]))
    return "&".join(p[2] for p in pairs)


# ------------------------------------------------------------------------------------------------ public API


def canonicalize_url(url: str) -> str:
    """The canonical form of an absolute http(s) URL (see the module docstring). ``ValueError`` otherwise."""
    for _ in range(3):  # an AMP-cache URL wraps another URL; unwrap at most a couple of levels
        parts = _split(url)
        scheme = parts.scheme.lower()
        host, port = _host_and_port(parts, scheme)
        inner = _unwrap_amp_cache(host, parts.path, parts.query)
        if inner is None:
            break
        url = inner
    host = _strip_mobile_label(host)
    netloc = host if port is None else f"{host}:{port}"

    path = _normalise_escapes(parts.path, _PATH_SAFE)
    path = _remove_dot_segments(path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    path = _strip_amp_path(_SESSION_PATH_PARAM.sub("", path))

    query = _normalise_query(parts.query)
    fragment = ""
    if parts.fragment.startswith("!"):
        fragment = _normalise_escapes(parts.fragment, _FRAGMENT_SAFE)
    return urlunsplit((scheme, netloc, path, query, fragment))


def url_key(url: str) -> str:
    """Scheme-less dedup key: ``http``/``https``, ``www.``, duplicate and trailing slashes all ignored."""
    parts = urlsplit(canonicalize_url(url))
    host = parts.netloc
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    path = re.sub(r"/{2,}", "/", parts.path)
    if len(path) > 1:
        path = path.rstrip("/")
    key = host + path
    if parts.query:
        key += "?" + parts.query
    if parts.fragment:
        key += "#" + parts.fragment
    return key


def _hostname(url_or_host: str) -> str | None:
    text = url_or_host.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = _split(text)
        return _host_and_port(parts, parts.scheme.lower())[0]
    except ValueError:
        return None


def registrable_domain(host: str) -> str:
    """``news.example.co.uk`` -> ``example.co.uk``; ``m.lenta.ru`` -> ``lenta.ru``; IP literals unchanged.

    Uses a small built-in list of two-level suffixes (no public-suffix-list download).
    """
    host = host.lower().rstrip(".")
    if host.startswith("["):
        return host
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) <= 2:
        return host
    if ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Whether two URLs (or bare hosts) belong to the same registrable domain. Unparsable input -> False."""
    ha, hb = _hostname(a), _hostname(b)
    if not ha or not hb:
        return False
    return registrable_domain(ha) == registrable_domain(hb)


def absolute_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``; ``None`` unless the result is an http(s) URL with a host.

    Tabs and newlines inside ``href`` are removed (as browsers do). The result is not canonicalised.
    """
    if href is None:
        return None
    href = _WS_RE.sub("", href.strip())
    if not href:
        return None
    try:
        joined = urljoin(_WS_RE.sub("", (base or "").strip()), href)
        parts = urlsplit(joined)
        if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
            return None
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    return joined


def choose_canonical(page_url: str, rel_canonical: str | None, og_url: str | None) -> str:
    """The canonical URL of a page, always passed through :func:`canonicalize_url`.

    ``rel=canonical`` (resolved against ``page_url``) wins if it is http(s) and on the same site, else
    ``og:url`` under the same rule, else ``page_url`` itself. A candidate pointing at the site's home page
    while the page is deeper is ignored (a common CMS bug), as is one on another site (syndication partners,
    hijacks). If the page is https and the candidate is the same host over plain http, https is kept.
    Raises ``ValueError`` only if ``page_url`` itself is not a valid http(s) URL.
    """
    page = canonicalize_url(page_url)
    page_parts = urlsplit(page)
    for candidate in (rel_canonical, og_url):
        if not candidate:
            continue
        absolute = absolute_url(page_url, candidate)
        if absolute is None or not same_site(absolute, page_url):
            continue
        try:
            chosen = canonicalize_url(absolute)
        except ValueError:
            continue
        parts = urlsplit(chosen)
        if parts.path == "/" and not parts.query and (page_parts.path != "/" or page_parts.query):
            continue  # canonical -> home page while the page is an article: ignore
        if parts.scheme == "http" and page_parts.scheme == "https" and _bare(parts.netloc) == _bare(page_parts.netloc):
            chosen = urlunsplit(("https", *parts[1:]))
        return chosen
    return page


def _bare(netloc: str) -> str:
    return netloc[4:] if netloc.startswith("www.") else netloc
