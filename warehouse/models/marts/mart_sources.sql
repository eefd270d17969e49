-- one row per configured source: its settings, what it has stored, and how the latest ingest run went for it
WITH latest_run AS (
    SELECT run_id FROM pipeline_runs WHERE flow_name = 'ingest' ORDER BY started_at DESC LIMIT 1
), stored AS (
    SELECT source, count(DISTINCT article_id) AS articles, max(first_seen_at) AS last_new_document_at
    FROM document_locations WHERE article_id IS NOT NULL GROUP BY source
), latest_errors AS (
    SELECT e.source, count(*) AS errors, string_agg(DISTINCT e.error_class, ', ' ORDER BY e.error_class) AS error_classes
    FROM run_errors AS e JOIN latest_run USING (run_id) GROUP BY e.source
), latest_requests AS (
    SELECT f.source, count(*) AS requests, count(*) FILTER (WHERE f.status = 304) AS not_modified,
           count(*) FILTER (WHERE f.error_class IS NOT NULL) AS failed_requests
    FROM fetch_log AS f JOIN latest_run USING (run_id) GROUP BY f.source
)
SELECT
    s.name AS source,
    s.kind,
    s.location,
    s.country,
    s.language,
    s.enabled,
    coalesce(st.articles, 0) AS articles,
    st.last_new_document_at,
    coalesce(r.requests, 0) AS latest_run_requests,
    coalesce(r.not_modified, 0) AS latest_run_not_modified,
    coalesce(r.failed_requests, 0) AS latest_run_failed_requests,
    coalesce(e.errors, 0) AS latest_run_errors,
    e.error_classes AS latest_run_error_classes
FROM sources AS s
LEFT JOIN stored AS st ON st.source = s.name
LEFT JOIN latest_requests AS r ON r.source = s.name
LEFT JOIN latest_errors AS e ON e.source = s.name
