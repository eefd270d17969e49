-- one row per stored article (every copy, canonical or not), with dates, outlet, duplicate group, digest week and whether its page has gone
SELECT
    s.article_id,
    s.title,
    s.published_at,
    s.date_source,
    s.site,
    s.agency,
    s.language,
    s.source,
    src.country AS source_country,     -- the outlet's country as configured in the sources file
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
    x.gone_at,                 -- set when the page answered 404/410 after it was stored (the article is kept)
    x.status AS gone_status,
    s.body
FROM stg_articles AS s
JOIN stg_duplicate_groups AS g USING (article_id)
LEFT JOIN article_gone AS x USING (article_id)
LEFT JOIN sources AS src ON src.name = s.source
