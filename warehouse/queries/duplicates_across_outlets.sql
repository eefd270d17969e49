-- Duplicates across outlets: one row per stored copy of an article whose outlet differs from the outlet of its
-- group's canonical (earliest) copy: syndicated wire copy, republished or lightly edited stories. With the rule
-- that matched them (canonical_url, content_hash, near_duplicate) and the estimated similarity.
-- Variables: none.
SELECT
    k.title AS canonical_title,
    coalesce(k.site, k.source) AS canonical_outlet,
    k.published_at AS canonical_published,
    coalesce(c.site, c.source) AS copy_outlet,
    c.title AS copy_title,
    c.published_at AS copy_published,
    d.rule,
    round(d.similarity, 3) AS similarity,
    round(d.containment, 3) AS containment,
    d.copies AS group_size,
    c.source AS copy_source,
    c.uri AS copy_uri,
    c.url AS copy_url
FROM mart_duplicate_links AS d
JOIN mart_articles AS c ON c.article_id = d.copy_article_id
JOIN mart_articles AS k ON k.article_id = d.canonical_article_id
WHERE coalesce(c.site, c.source) IS DISTINCT FROM coalesce(k.site, k.source)
ORDER BY canonical_published DESC NULLS LAST, canonical_title, copy_outlet;
