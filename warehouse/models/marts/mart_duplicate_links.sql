-- one row per non-canonical copy: the copy, its canonical article, and the rule and similarity linking them
-- (the copy's own match, or, when the copy was stored first, the match that joined the canonical to its group)
SELECT
    g.article_id AS copy_article_id,
    c.title AS copy_title,
    c.site AS copy_site,
    c.source AS copy_source,
    c.uri AS copy_uri,
    g.canonical_article_id,
    k.title AS canonical_title,
    k.site AS canonical_site,
    k.uri AS canonical_uri,
    CASE WHEN g.rule = 'first' THEN kg.rule ELSE g.rule END AS rule,
    CASE WHEN g.rule = 'first' THEN kg.similarity ELSE g.similarity END AS similarity,
    CASE WHEN g.rule = 'first' THEN kg.containment ELSE g.containment END AS containment,
    g.group_size AS copies
FROM stg_duplicate_groups AS g
JOIN stg_duplicate_groups AS kg ON kg.article_id = g.canonical_article_id
JOIN stg_articles AS c ON c.article_id = g.article_id
JOIN stg_articles AS k ON k.article_id = g.canonical_article_id
WHERE NOT g.is_canonical
