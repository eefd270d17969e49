-- one row per article: its current version's extracted fields
SELECT
    a.article_id,
    a.article_key,
    a.source,
    a.first_seen_at,
    a.first_run_id,
    v.version,
    v.uri,
    v.url,
    v.canonical_url,
    v.title,
    v.lead,
    v.body,
    v.paragraph_count,
    v.word_count,
    v.published_at,
    v.published_has_time,
    v.date_source,
    v.site,
    v.agency,
    v.authors,
    v.language,
    v.content_hash,
    v.sha256,
    v.extractor,
    v.run_id AS version_run_id
FROM articles AS a
JOIN article_versions AS v ON v.article_id = a.article_id AND v.version = a.current_version
