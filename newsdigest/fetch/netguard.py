"""Guards against hostile or broken network input: where we may connect, how much we read, how long we wait.

Policies live here so the HTTP client stays about scheduling and retries:

* the *address policy* — a URL list or a redirect must not be able to point the crawler at our own
  infrastructure (loopback, RFC 1918 / ULA networks, link-local metadata endpoints such as 169.254.169.254,
  multicast, reserved ranges). Hosts are resolved before connecting and every resolved address is checked;
  IP-literal hosts are checked the same way without a lookup.
* the *body policy* — bodies are decoded incrementally with a hard cap on decoded bytes, so a small gzip or
  brotli "bomb" cannot expand into gigabytes of memory before anyone notices;
* Retry-After parsing, since a server's "come back later" is untrusted input the client then caps.

Known limit: httpx resolves the host again when it connects, so a DNS answer that changes between our check
and the connection (DNS rebinding) is not caught. Pinning the checked address would need a custom transport.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

try:  # httpx[brotli] installs it; without a bounded decoder we simply do not advertise br
    import brotli

    brotli.Decompressor().process(b"", output_buffer_limit=1)
    HAVE_BROTLI = True
except (ImportError, TypeError, AttributeError):  # missing, or an old API without output_buffer_limit
    brotli = None  # type: ignore[assignment]
    HAVE_BROTLI = False

ACCEPT_ENCODING = "gzip, deflate, br" if HAVE_BROTLI else "gzip, deflate"
ALLOWED_SCHEMES = ("http", "https")

# Networks an operator may deliberately allow (allow_private); everything else non-global stays blocked.
_PRIVATE_NETS = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]


class PolicyError(Exception):
    """A URL we refuse to fetch (or a body we refuse to keep); `error_class` becomes HttpResponse.error_class."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message


def parse_target(url: str) -> httpx.URL:
    """Parse and vet a URL's shape: absolute, http(s), with a host. Raises PolicyError."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise PolicyError("InvalidURL", f"cannot parse URL {url!r}: {exc}") from None
    if not parsed.scheme:
        raise PolicyError("InvalidURL", f"{url!r} is not an absolute URL (no scheme)")
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise PolicyError("UnsupportedScheme", f"scheme {parsed.scheme!r} in {url!r} is not fetched; "
                                               "only http and https are")
    if not parsed.raw_host:
        raise PolicyError("InvalidURL", f"URL {url!r} has no host")
    return parsed.copy_with(fragment=None)


def resolve_location(base: httpx.URL, location: str) -> str:
    """Absolute target of a (possibly relative) Location header; vetted by parse_target on the next hop."""
    try:
        return str(base.join(location.strip()))
    except (httpx.InvalidURL, ValueError, TypeError):
        return location  # parse_target reports it as InvalidURL on the next hop


def loop_key(url: str) -> str:
    """Comparable form of a URL for redirect-loop detection (normalised, no fragment)."""
    try:
        return str(httpx.URL(url).copy_with(fragment=None))
    except (httpx.InvalidURL, ValueError, TypeError):
        return url


def blocked_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool,
                   allow_private: bool) -> str | None:
    """Why an address is off limits ("loopback", "private", ...), or None if we may connect to it."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for label, flag in (("unspecified", ip.is_unspecified), ("link-local", ip.is_link_local),
                        ("multicast", ip.is_multicast), ("reserved", ip.is_reserved)):
        if flag:
            return label
    if any(ip in net for net in _PRIVATE_NETS):
        return None if allow_private else "private"
    return None if ip.is_global else "non-public"


class AddressGuard:
    """Resolves hosts (once per client) and refuses those with any forbidden address."""

    def __init__(self, allow_loopback: bool, allow_private: bool) -> None:
        self.allow_loopback = allow_loopback
        self.allow_private = allow_private
        self._verdicts: dict[tuple[str, int], PolicyError | None] = {}

    async def check(self, url: httpx.URL) -> None:
        host = url.raw_host.decode("ascii").lower()
        port = url.port or (443 if url.scheme == "https" else 80)
        key = (host, port)
        if key not in self._verdicts:
            self._verdicts[key] = await self._verdict(host, port)
        if (error := self._verdicts[key]) is not None:
            raise error

    async def _verdict(self, host: str, port: int) -> PolicyError | None:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                return PolicyError("ConnectError", f"cannot resolve host {host!r}: {exc}")
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for ip in addresses:
            if reason := blocked_reason(ip, self.allow_loopback, self.allow_private):
                hint = {"loopback": " (to permit: allow_loopback = true in the sources file's [http] table,"
                                    " or NEWSDIGEST_ALLOW_LOOPBACK=1)",
                        "private": " (to permit: allow_private = true in the sources file's [http] table,"
                                   " or NEWSDIGEST_ALLOW_PRIVATE=1)"}
                return PolicyError("BlockedAddress", f"host {host!r} resolves to {reason} address {ip}; "
                                                     f"refused by the address policy{hint.get(reason, '')}")
        return None


class ByteCounter(Protocol):
    received: int


async def read_capped_body(response: httpx.Response, counter: ByteCounter, max_bytes: int) -> bytes:
    """Stream the raw body, capping wire bytes and decoded bytes; stop reading at the first overflow.

    `counter.received` is kept current so the caller can log how much arrived even when this raises.
    """
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise PolicyError("TooLarge", f"Content-Length {length} exceeds max_bytes={max_bytes}; not downloaded "
                                      "(raise HttpSettings.max_bytes if this source needs it)")
    decoder = BodyDecoder(response.headers.get("content-encoding"), max_bytes)
    parts: list[bytes] = []
    async for chunk in response.aiter_raw():
        counter.received += len(chunk)
        if counter.received > max_bytes:
            raise PolicyError("TooLarge", f"body exceeds max_bytes={max_bytes}; download stopped "
                                          "(raise HttpSettings.max_bytes if this source needs it)")
        parts.append(decoder.feed(chunk))
    parts.append(decoder.flush())
    return b"".join(parts)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date (past dates mean 0). Callers cap it."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BodyDecoder:
    """Undo Content-Encoding chunk by chunk, refusing to produce more than `limit` decoded bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        self.limit = limit
        self.produced = 0
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate") and not (coding == "br" and HAVE_BROTLI):
                raise PolicyError("UnsupportedEncoding", f"server sent Content-Encoding {coding!r}, which we "
                                                         f"cannot decode (we accept {ACCEPT_ENCODING})")
        self._stages = [_Stage(c) for c in reversed(codings)]  # applied last → undone first

    def feed(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = stage.feed(data, self.limit - self.produced)
        return self._count(data)

    def flush(self) -> bytes:
        data = b""
        for stage in self._stages:
            data = stage.feed(data, self.limit - self.produced) + stage.flush()
        return self._count(data)

    def _count(self, data: bytes) -> bytes:
        self.produced += len(data)
        if self.produced > self.limit:
            raise PolicyError("DecompressionBomb", f"decoded body exceeds max_bytes={self.limit} while the "
                                                   f"compressed body did not; refused as a decompression bomb")
        return data


class _Stage:
    """One decoding step; asks for at most remaining+1 bytes so overflow shows without expanding further."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib = None
        self._brotli = None
        if coding == "br":
            self._brotli = brotli.Decompressor()
        else:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding != "deflate" else zlib.MAX_WBITS)
        self._first = True

    def feed(self, data: bytes, remaining: int) -> bytes:
        cap = max(remaining, 0) + 1
        if self._brotli is not None:
            try:
                return self._brotli.process(data, output_buffer_limit=cap) if data else b""
            except brotli.error as exc:
                raise PolicyError("DecodingError", f"invalid brotli body: {exc}") from None
        try:
            out = self._zlib.decompress(data, cap)
        except zlib.error as exc:
            if not (self._first and self.coding == "deflate"):
                raise PolicyError("DecodingError", f"invalid {self.coding} body: {exc}") from None
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" servers often send a raw stream
            self._first = False
            return self.feed(data, remaining)
        self._first = self._first and not data
        return out

    def flush(self) -> bytes:
        """Whatever zlib still buffers; small, since feed() consumed all input below the cap."""
        if self._zlib is None:
            return b""
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise PolicyError("DecodingError", f"invalid {self.coding} body: {exc}") from None
