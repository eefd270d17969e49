-- one row per pipeline run, with its error count by stage
SELECT
    r.run_id,
    r.flow_name,
    r.flow_run_name,
    r.started_at,
    r.finished_at,
    r.status,
    r.documents_seen,
    r.documents_new,
    r.articles_new,
    r.versions_new,
    r.errors,
    count(e.uri) FILTER (WHERE e.stage = 'fetch') AS fetch_errors,
    count(e.uri) FILTER (WHERE e.stage = 'extract') AS extract_errors
FROM pipeline_runs AS r
LEFT JOIN run_errors AS e USING (run_id)
GROUP BY ALL
