-- every article belongs to exactly one duplicate group, and bodies are never empty
SELECT a.article_id FROM articles AS a LEFT JOIN article_duplicates AS d USING (article_id)
WHERE d.article_id IS NULL
UNION ALL
SELECT article_id FROM article_versions WHERE length(trim(body)) = 0
