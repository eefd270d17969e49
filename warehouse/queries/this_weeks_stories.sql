-- This week's stories: one row per story of a digest week, top story first, with its outlets, dates, late
-- arrivals and first summary line (quoted verbatim from the cited article).
-- Variables: week (default: the latest generated digest), e.g.  SET VARIABLE week = '2021-W27';
WITH chosen AS (
    SELECT coalesce(getvariable('week'), (SELECT max(week) FROM digests)) AS week
),
members AS (
    SELECT
        sa.week,
        sa.story_id,
        list_sort(list_distinct(list(coalesce(a.site, a.source)))) AS outlets,
        count(*) FILTER (WHERE sa.late_arrival) AS late_arrivals
    FROM story_articles AS sa
    JOIN mart_articles AS a USING (article_id)
    GROUP BY ALL
)
SELECT
    s.week,
    s.rank,
    s.label,
    s.article_count,
    s.outlet_count,
    m.outlets,
    s.first_published,
    s.last_published,
    m.late_arrivals,
    s.continues_week,
    (SELECT i.text FROM digest_items AS i
     WHERE i.week = s.week AND i.story_id = s.story_id AND i.kind = 'summary'
     ORDER BY i.position LIMIT 1) AS first_line,
    s.story_id
FROM stories AS s
JOIN chosen USING (week)
LEFT JOIN members AS m USING (week, story_id)
ORDER BY s.rank;
