-- Web ingestion: every HTTP attempt, the conditional-GET state per URL, archived response headers, feed and
-- sitemap metadata, and articles whose page has gone.

-- one row per HTTP attempt (retries are separate rows), including refusals decided before sending
CREATE TABLE fetch_log (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,               -- page | feed | sitemap | robots
    url VARCHAR NOT NULL,                -- the URL requested
    final_url VARCHAR,                   -- after redirects
    status INTEGER,                      -- NULL when no response (timeout, refused, blocked)
    bytes BIGINT NOT NULL,               -- body bytes received (decoded)
    elapsed_ms INTEGER NOT NULL,
    error_class VARCHAR,                 -- NULL on success; e.g. Timeout, TooLarge, RobotsDisallowed
    error VARCHAR,
    attempt INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL
);

-- one row per URL the pipeline has fetched: what to send for a conditional GET next time
CREATE TABLE http_cache (
    url VARCHAR PRIMARY KEY,
    etag VARCHAR,
    last_modified VARCHAR,
    last_status INTEGER,
    last_sha256 VARCHAR,                 -- raw_documents row of the last 200 body
    last_fetched_at TIMESTAMP NOT NULL,
    last_changed_at TIMESTAMP            -- last time a 200 brought different bytes
);

-- one row per archived HTTP response body: the headers it came with (the body is in raw_documents)
CREATE TABLE http_responses (
    sha256 VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    final_url VARCHAR,
    status INTEGER NOT NULL,
    headers JSON NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    run_id VARCHAR NOT NULL,
    PRIMARY KEY (sha256, url)
);

-- one row per (source, item URL) seen in a feed or sitemap: the metadata merged into extraction
CREATE TABLE feed_items (
    source VARCHAR NOT NULL,
    url VARCHAR NOT NULL,                -- as listed
    canonical_url VARCHAR NOT NULL,
    title VARCHAR,
    published_at TIMESTAMP,
    author VARCHAR,
    summary VARCHAR,
    first_seen_at TIMESTAMP NOT NULL,
    first_run_id VARCHAR NOT NULL,
    PRIMARY KEY (source, url)
);

-- one row per article whose page answered 404/410 after it was stored (the article itself is kept)
CREATE TABLE article_gone (
    article_id VARCHAR PRIMARY KEY,
    url VARCHAR NOT NULL,
    status INTEGER NOT NULL,
    gone_at TIMESTAMP NOT NULL,
    run_id VARCHAR NOT NULL
);

-- what changed between an article version and the one before it (NULL for first versions)
ALTER TABLE article_versions ADD COLUMN changes VARCHAR;
