-- one row per article: its duplicate group and the group's canonical (earliest-dated, then first-stored) copy
WITH ranked AS (
    SELECT
        d.article_id,
        d.group_id,
        d.matched_article_id,
        d.rule,
        d.similarity,
        d.containment,
        count(*) OVER (PARTITION BY d.group_id) AS group_size,
        first_value(d.article_id) OVER (
            PARTITION BY d.group_id
            ORDER BY s.published_at ASC NULLS LAST, s.first_seen_at, d.article_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS canonical_article_id
    FROM article_duplicates AS d
    JOIN stg_articles AS s USING (article_id)
)
SELECT *, article_id = canonical_article_id AS is_canonical FROM ranked
