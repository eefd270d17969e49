-- one row per stored article (every copy, canonical or not), with dates, outlet, duplicate group and digest week
SELECT
    s.article_id,
    s.title,
    s.published_at,
    s.date_source,
    s.site,
    s.agency,
    s.language,
    s.source,
    s.uri,
    s.url,
    s.word_count,
    s.version,
    s.first_seen_at,
    g.group_id AS duplicate_group_id,
    g.canonical_article_id,
    g.is_canonical,
    g.group_size AS copies,
    -- the week an article is counted in: by publication date, or, when undated, by the week first stored
    strftime(coalesce(s.published_at, s.first_seen_at), '%G-W%V') AS digest_week,
    CASE WHEN s.published_at IS NULL THEN 'first_stored' ELSE 'published' END AS week_basis,
    s.body
FROM stg_articles AS s
JOIN stg_duplicate_groups AS g USING (article_id)
