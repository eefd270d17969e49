"""SQL behind the reports: which canonical articles a week's listing shows."""

from __future__ import annotations

import duckdb

from newsdigest.listing import ListingItem

_LISTING = """
SELECT article_id, title, published_at, date_source, site, agency, url, uri, source, body, copies, digest_week
FROM mart_articles
WHERE is_canonical AND {where}
ORDER BY published_at DESC NULLS LAST, first_seen_at DESC, article_id
"""


def listing_items(con: duckdb.DuckDBPyConnection, week: str) -> tuple[list[ListingItem], list[ListingItem]]:
    """(articles counted in the week, late arrivals: first stored in the week but published earlier)."""
    counted = con.execute(_LISTING.format(where="digest_week = ?"), [week]).fetchall()
    late = con.execute(
        _LISTING.format(where="week_basis = 'published' AND digest_week < ? AND strftime(first_seen_at, '%G-W%V') = ?"),
        [week, week],
    ).fetchall()
    return [ListingItem(*row) for row in counted], [ListingItem(*row) for row in late]
