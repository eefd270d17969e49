"""CPU cost per page of extraction with trafilatura's pruning XPaths, then with `newsdigest.trafilatura_speedups`.

Runs `trafilatura.extract` (defaults) and `newsdigest.extract.extract_document` over the pages of the extraction
benchmark (../shared/bench/extraction, loaded as in bench/extract_cost.py), first with trafilatura's original
XPath objects, then after `install()`, and prints CPU milliseconds per page (`time.process_time`, best of N
passes, trafilatura's caches reset before each pass). Exits 0 without measuring when the data is absent.

    python bench/prune_cost.py             # best of 3 passes
    python bench/prune_cost.py --passes 5
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract_cost import arguments, cpu_ms_per_page, workload  # noqa: E402

from newsdigest import trafilatura_speedups  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__.splitlines()[0])
    if args is None:
        return 0
    work = workload(args.data)

    trafilatura_speedups.uninstall()
    results: dict[str, tuple[float, float]] = {}
    for label in ("original XPaths", "install()"):
        if label == "install()" and not trafilatura_speedups.install():
            print(f"install() refused: trafilatura is not {trafilatura_speedups.TRAFILATURA_VERSION} as expected")
            return 1
        work.warm_up()
        results[label] = (cpu_ms_per_page(work.bare, work.pages, args.passes),
                          cpu_ms_per_page(work.ours, work.pages, args.passes))
    trafilatura_speedups.uninstall()

    (bare_before, ours_before), (bare_after, ours_after) = results.values()
    print(f"pages={work.pages}  CPU ms/page (single process, process_time, best of {args.passes})")
    print(f"  {'':30} {'original':>9} {'install()':>9} {'saved':>7}")
    for name, before, after in (("trafilatura.extract (defaults)", bare_before, bare_after),
                                ("extract_document", ours_before, ours_after)):
        print(f"  {name:30} {before:9.1f} {after:9.1f} {100 * (1 - after / before):6.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
