-- one row per article version, with what changed since the previous version
SELECT
    v.article_id,
    v.version,
    v.sha256,
    v.title,
    v.published_at,
    v.word_count,
    v.run_id,
    v.extracted_at,
    p.version IS NULL AS is_first,
    p.version IS NOT NULL AND v.title IS DISTINCT FROM p.title AS title_changed,
    p.version IS NOT NULL AND v.content_hash <> p.content_hash AS body_changed,
    p.version IS NOT NULL AND v.published_at IS DISTINCT FROM p.published_at AS date_changed,
    v.word_count - p.word_count AS word_count_delta
FROM article_versions AS v
LEFT JOIN article_versions AS p ON p.article_id = v.article_id AND p.version = v.version - 1
