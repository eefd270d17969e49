-- Core tables: raw inputs, articles and their versions, duplicate links, pipeline runs and their errors.

-- one row per pipeline (Prefect flow) run that wrote to the warehouse
CREATE TABLE pipeline_runs (
    run_id VARCHAR PRIMARY KEY,          -- Prefect flow run id (a uuid when run outside Prefect)
    flow_name VARCHAR NOT NULL,
    flow_run_name VARCHAR,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,             -- running | completed | failed
    parameters JSON,
    documents_seen INTEGER,
    documents_new INTEGER,
    articles_new INTEGER,
    versions_new INTEGER,
    errors INTEGER
);

-- one row per distinct input (by sha256 of its bytes), archived compressed so it can be re-extracted
CREATE TABLE raw_documents (
    sha256 VARCHAR PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    media_type VARCHAR NOT NULL,
    compression VARCHAR NOT NULL,        -- codec of `content`: zlib
    content BLOB NOT NULL,
    first_run_id VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL
);

-- one row per place a document was found: (source, uri) holding given bytes
CREATE TABLE document_locations (
    source VARCHAR NOT NULL,
    uri VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    url VARCHAR,
    article_id VARCHAR,                  -- the article it became (NULL when extraction failed)
    first_run_id VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, uri, sha256)
);

-- one row per article: a stable identity (source location or canonical web address) across versions
CREATE TABLE articles (
    article_id VARCHAR PRIMARY KEY,
    article_key VARCHAR NOT NULL UNIQUE,
    source VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    first_run_id VARCHAR NOT NULL,
    current_version INTEGER NOT NULL
);

-- one row per extracted version of an article (a changed input adds a version, never a second article)
CREATE TABLE article_versions (
    article_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL,             -- raw_documents it was extracted from
    source VARCHAR NOT NULL,
    uri VARCHAR NOT NULL,
    url VARCHAR,
    canonical_url VARCHAR,
    title VARCHAR,
    lead VARCHAR,
    body VARCHAR NOT NULL,               -- paragraphs separated by a blank line
    paragraph_count INTEGER NOT NULL,
    word_count INTEGER NOT NULL,
    published_at TIMESTAMP,              -- NULL when no trustworthy date was found
    published_has_time BOOLEAN NOT NULL,
    date_source VARCHAR NOT NULL,        -- jsonld | meta | html | url | dateline | feed | none
    site VARCHAR,
    agency VARCHAR,
    authors VARCHAR[],
    language VARCHAR,
    content_hash VARCHAR NOT NULL,       -- sha256 of the case-folded word tokens of the body
    minhash BLOB NOT NULL,               -- MinHash (128 x uint64) of word 3-gram shingles
    shingle_count INTEGER NOT NULL,
    extractor VARCHAR NOT NULL,          -- which extractor (and version) produced it
    run_id VARCHAR NOT NULL,
    extracted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- one row per article: the duplicate group it belongs to and the rule that put it there
CREATE TABLE article_duplicates (
    article_id VARCHAR PRIMARY KEY,
    group_id VARCHAR NOT NULL,           -- article_id of the group's first stored member
    matched_article_id VARCHAR,          -- the stored article it matched; NULL for a group's first member
    rule VARCHAR NOT NULL,               -- first | canonical_url | content_hash | near_duplicate
    similarity DOUBLE,                   -- estimated Jaccard of word 3-gram shingles
    containment DOUBLE,                  -- share of the shorter body's shingles inside the other
    run_id VARCHAR NOT NULL
);

-- one row per input that failed in a run (it is retried on the next run)
CREATE TABLE run_errors (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    uri VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,              -- fetch | extract | store
    error_class VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    sha256 VARCHAR,
    logged_at TIMESTAMP NOT NULL
);
