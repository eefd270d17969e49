-- every article's current version exists, and versions are numbered 1..n without gaps
SELECT a.article_id FROM articles AS a
LEFT JOIN (SELECT article_id, max(version) AS top, count(*) AS n FROM article_versions GROUP BY article_id) AS v
  USING (article_id)
WHERE v.top IS NULL OR v.top <> a.current_version OR v.n <> v.top
