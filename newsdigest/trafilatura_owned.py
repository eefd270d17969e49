"""trafilatura's fast-mode body extraction on a tree the caller gives away: the same answer, three tree copies fewer.

Why: `trafilatura.bare_extraction(tree, fast=True, ...)` deep-copies the caller's tree before touching it, then
copies it again to clean it (`_prepare_tree`), then copies the cleaned tree as a backup that fast mode never
reads. On the benchmark corpus those copies were ~0.6-0.9 of our extractor's ~11-12 CPU ms per page. When the
caller has read everything else it needs from the page (metadata, dates, head links) and hands the tree over,
none of the copies is needed.

What it mirrors: `bare_extraction` with `fast=True, favor_precision=True, include_comments=False,
with_metadata=False, output_format="python"` and no language, prune or dedup options (exactly how
`newsdigest.html_extract` calls it), down through `trafilatura_sequence` and `_extract_and_compare`. With
precision on, the cascade's stage 3 (baseline, `focus != "precision"`) and stage 4 (recall escalation,
`focus == "balanced"`) never run, and fast mode skips stage 2 (the external comparison); what remains is
raw-tree pruning, cleaning, tag conversion, comment pruning and `extract_content`, each called here as
trafilatura calls it, on the tree itself.

Version guard, as in `trafilatura_speedups`: `fast_body` is only used when trafilatura is exactly
`trafilatura_speedups.TRAFILATURA_VERSION` and the source of every function mirrored here still hashes to the
fingerprint below; otherwise `available()` is False and callers use `bare_extraction` (with its copies).
tests/test_trafilatura_owned.py checks the output is identical to `bare_extraction` on the extraction and
date benchmark pages and the test fixtures, and that the guard trips on a changed source.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from configparser import ConfigParser
from typing import Any

from newsdigest.trafilatura_speedups import TRAFILATURA_VERSION, installed_trafilatura_version

__all__ = ["MIRRORED", "available", "fast_body", "source_fingerprints"]

# trafilatura function -> sha256 prefix of its source (inspect.getsource) this module was written against.
MIRRORED = {
    "core.bare_extraction": "2e57adb3062086f9",
    "core.trafilatura_sequence": "f03dc4d2946dacbd",
    "core._prepare_tree": "9595f0642825c2c7",
    "core._extract_and_compare": "f7d056c2118222e8",
}


def _function(dotted: str) -> Callable[..., Any]:
    import importlib

    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(f"trafilatura.{module}"), name)


def source_fingerprints() -> dict[str, str]:
    """The current sha256 prefix of each mirrored function's source (to update MIRRORED after a review)."""
    return {name: hashlib.sha256(inspect.getsource(_function(name)).encode("utf-8")).hexdigest()[:16]
            for name in MIRRORED}


@functools.cache
def available() -> bool:
    """True when the installed trafilatura is the version, and the very code, that `fast_body` mirrors."""
    if installed_trafilatura_version() != TRAFILATURA_VERSION:
        return False
    try:
        return source_fingerprints() == MIRRORED
    except (ImportError, AttributeError, OSError, TypeError):
        return False


def fast_body(tree: Any, url: str | None, config: ConfigParser, include_tables: bool = True) -> Any:
    """`bare_extraction(tree, url=url, fast=True, favor_precision=True, include_comments=False,
    include_tables=include_tables, config=config)` on `tree` itself, which it consumes (prunes and rewrites).

    Returns trafilatura's `Document` (body, text, raw_text) or None, as `bare_extraction` does. Call only
    when `available()`.
    """
    from lxml.etree import strip_tags
    from trafilatura.core import _forum_thread_page
    from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
    from trafilatura.main_extractor import extract_content
    from trafilatura.metadata import Document
    from trafilatura.settings import Extractor
    from trafilatura.xml import xmltotxt
    from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH, REMOVE_COMMENTS_XPATH

    options = Extractor(config=config, output_format="python", fast=True, precision=True, recall=False,
                        comments=False, formatting=None, links=False, images=False, tables=include_tables,
                        dedup=False, lang=None, url=url, with_metadata=False, only_with_metadata=False,
                        author_blacklist=None, url_blacklist=None, date_params=None)
    try:
        if tree is None:
            raise ValueError
        # trafilatura_sequence, fast + precision + no comments: stages 3 and 4 cannot run (see module doc)
        is_forum = _forum_thread_page(tree)
        tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
        cleaned = convert_tags(tree_cleaning(tree, options), options, url)
        if not is_forum:
            cleaned = prune_unwanted_nodes(cleaned, REMOVE_COMMENTS_XPATH)
        postbody, temp_text = extract_content(cleaned, options)
        # bare_extraction's checks after the sequence
        if options.max_tree_size:
            if len(postbody) > options.max_tree_size:
                strip_tags(postbody, "hi")
            if len(postbody) > options.max_tree_size:
                raise ValueError
        if len(temp_text) < options.min_output_size and options.min_output_comm_size > 0:  # no comments: 0 chars
            raise ValueError
    except (TypeError, ValueError):
        return None
    document = Document()
    document.text = xmltotxt(postbody, options.formatting)
    document.raw_text = document.text
    document.body = postbody
    return document
