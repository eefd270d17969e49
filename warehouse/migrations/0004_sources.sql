-- Sources as configured when the pipeline last ran with them: the outlet's country and language for
-- analysts, and the basis of the per-source health view (mart_sources) for operators.

-- one row per source named in a sources file the pipeline has run with (updated only when its settings change)
CREATE TABLE sources (
    name VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,               -- folder | feed | sitemap | urls | homepage
    location VARCHAR NOT NULL,           -- folder path, feed/sitemap/home page URL, or the URL list's first address
    country VARCHAR,                     -- ISO 3166 alpha-2 of the outlet, when configured
    language VARCHAR,                    -- ISO 639-1 default language of its pages, when configured
    enabled BOOLEAN NOT NULL,
    sources_file VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_run_id VARCHAR NOT NULL
);
