-- Undated articles: one row per stored article with no trustworthy publication date (published_at is NULL,
-- date_source 'none'); each counts in the ISO week it was first stored. Newest first, to check by hand.
-- Variables: none.
SELECT
    coalesce(a.site, a.source) AS outlet,
    a.title,
    a.first_seen_at,
    a.digest_week AS counted_in_week,
    a.word_count,
    r.relevant,
    a.is_canonical,
    a.source,
    a.uri,
    a.url
FROM mart_articles AS a
LEFT JOIN article_relevance AS r ON r.article_id = a.article_id AND r.version = a.version
WHERE a.published_at IS NULL
ORDER BY a.first_seen_at DESC, a.source, a.uri;
