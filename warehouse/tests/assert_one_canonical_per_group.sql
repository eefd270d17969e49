-- every duplicate group has exactly one canonical article
SELECT group_id, count(*) FILTER (WHERE is_canonical) AS canonicals
FROM stg_duplicate_groups GROUP BY group_id HAVING canonicals <> 1
