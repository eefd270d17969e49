"""CPU cost per HTML page of `newsdigest.extract.extract_document` against bare `trafilatura.extract`.

Runs both over the pages of the extraction benchmark (dev half in ../shared/bench/extraction/html), in this
single process, and prints CPU milliseconds per page (`time.process_time`, best of N passes; trafilatura's
and htmldate's caches are reset before every pass so a pass never profits from the previous one) and the
ratio. The pages go to `extract_document` as the pipeline hands them over: raw bytes, "text/html", the URL.

    python bench/extract_cost.py             # best of 3 passes
    python bench/extract_cost.py --passes 5
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdigest.decode import decode_bytes  # noqa: E402
from newsdigest.extract import extract_document  # noqa: E402
from newsdigest.models import RawDocument  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "extraction"


def load_pages(data: Path) -> list[tuple[str, bytes]]:
    """(url, raw html bytes) for every page in the benchmark."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return [(item["url"], gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes()))
            for page_id, item in sorted(truth.items())]


def _reset_caches() -> None:
    try:
        from trafilatura.meta import reset_caches
    except ImportError:  # pragma: no cover - older trafilatura
        return
    reset_caches()


def cpu_ms_per_page(run: Callable[[], object], n_pages: int, passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        _reset_caches()
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return 1000 * best / n_pages


@dataclass(frozen=True)
class Workload:
    """The benchmark pages, ready to time: `bare` runs `trafilatura.extract` (defaults) over every page's decoded
    text, `ours` runs `extract_document` over the raw bytes as the pipeline hands them over."""

    pages: int
    bare: Callable[[], None]
    ours: Callable[[], None]
    warm_up: Callable[[], None]  # imports, vocabularies, compiled patterns: run before timing


def workload(data: Path) -> Workload:
    import trafilatura

    pages = load_pages(data)
    texts = [decode_bytes(raw, "text/html").text for _, raw in pages]
    docs = [RawDocument("bench", url, raw, "text/html", datetime(2024, 1, 1), url=url) for url, raw in pages]
    max_bytes = 50 * 1024 * 1024

    def bare() -> None:
        for html in texts:
            trafilatura.extract(html)

    def ours() -> None:
        for doc in docs:
            extract_document(doc, max_bytes)

    def warm_up() -> None:
        for doc in docs[:3]:
            extract_document(doc, max_bytes)
            trafilatura.extract(texts[0])

    return Workload(len(pages), bare, ours, warm_up)


def arguments(argv: list[str] | None, description: str) -> argparse.Namespace | None:
    """--data and --passes; None (after saying so) when the benchmark data is absent."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").exists():
        print(f"skipped: benchmark data not found at {args.data}")
        return None
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__.splitlines()[0])
    if args is None:
        return 0
    work = workload(args.data)
    work.warm_up()
    bare, ours, pages = work.bare, work.ours, work.pages

    from newsdigest import parse_speedups, trafilatura_speedups

    trafilatura_speedups.uninstall()  # bare = trafilatura as installed, without our equivalent XPaths
    parse_speedups.uninstall()  # nor our shortcuts in its page loading
    bare_ms = cpu_ms_per_page(bare, pages, args.passes)
    trafilatura_speedups.install()  # as newsdigest.html_extract runs them
    parse_speedups.install()
    ours_ms = cpu_ms_per_page(ours, pages, args.passes)
    print(f"pages={pages}  CPU ms/page (single process, process_time, best of {args.passes})")
    print(f"  trafilatura.extract (defaults) {bare_ms:6.1f}")
    print(f"  extract_document               {ours_ms:6.1f}")
    print(f"  ratio extract_document / bare  {ours_ms / bare_ms:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
