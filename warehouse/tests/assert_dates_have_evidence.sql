-- a date is stored with where it came from, and no date means date_source 'none'
SELECT article_id, version FROM article_versions
WHERE (published_at IS NULL) <> (date_source = 'none')
   OR date_source NOT IN ('jsonld', 'meta', 'html', 'url', 'dateline', 'feed', 'text', 'none')
