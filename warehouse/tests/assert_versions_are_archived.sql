-- every extracted version can be re-extracted: its raw bytes are archived
SELECT v.article_id, v.version FROM article_versions AS v
LEFT JOIN raw_documents AS r USING (sha256) WHERE r.sha256 IS NULL
