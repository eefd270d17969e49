-- An outlet's coverage over time: one row per (outlet, digest week) with the articles stored (every copy), how
-- many were relevant, canonical (first of their duplicate group) and undated, and their publication span.
-- Variables: outlet (case-insensitive part of the outlet's name; default: every outlet), e.g.
--   SET VARIABLE outlet = 'devdiscourse';
SELECT
    coalesce(a.site, a.source) AS outlet,
    a.digest_week AS week,
    count(*) AS articles,
    count(*) FILTER (WHERE r.relevant) AS relevant,
    count(*) FILTER (WHERE a.is_canonical) AS canonical,
    count(*) FILTER (WHERE a.published_at IS NULL) AS undated,
    round(avg(r.score), 3) AS mean_relevance,
    min(a.published_at) AS first_published,
    max(a.published_at) AS last_published
FROM mart_articles AS a
LEFT JOIN article_relevance AS r ON r.article_id = a.article_id AND r.version = a.version
WHERE getvariable('outlet') IS NULL
   OR coalesce(a.site, a.source) ILIKE '%' || getvariable('outlet') || '%'
GROUP BY ALL
ORDER BY outlet, week;
