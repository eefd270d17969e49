-- The weekly digest: per-article relevance and entities, the week's stories, and the digests built from them.
-- Regenerating a week's digest replaces its rows (stories, story_articles, digests, digest_items) in one
-- transaction; relevance and entities are per article version, so re-scoring is idempotent.

-- one row per article version scored for Russia-Central Asia security relevance
CREATE TABLE article_relevance (
    article_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    score DOUBLE NOT NULL,               -- 0..1
    relevant BOOLEAN NOT NULL,           -- score >= threshold at scoring time
    threshold DOUBLE NOT NULL,
    reasons VARCHAR[] NOT NULL,          -- human-readable evidence, e.g. 'Central Asia: Tajikistan (5)'
    scored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- one row per (article version, entity): countries, people, organisations and themes, aliases merged
CREATE TABLE article_entities (
    article_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    kind VARCHAR NOT NULL,               -- country | person | org | theme
    entity_key VARCHAR NOT NULL,         -- stable lexicon id, e.g. 'tajikistan', 'shoigu', 'csto'
    name VARCHAR NOT NULL,               -- display name
    entity_group VARCHAR,                -- russia | central_asia | moscow_led | extremist | other
    mentions INTEGER NOT NULL,
    surfaces VARCHAR[] NOT NULL,         -- spellings found, e.g. ['ISIS', 'ИГИЛ']
    fuzzy BOOLEAN NOT NULL,              -- matched (also) by fuzzy spelling
    PRIMARY KEY (article_id, version, entity_key)
);

-- one row per story of a digest week: a development reported by one or more outlets
CREATE TABLE stories (
    story_id VARCHAR NOT NULL,
    week VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    keywords VARCHAR[] NOT NULL,
    entities VARCHAR[] NOT NULL,         -- entity keys shared by the story's articles
    continues_story_id VARCHAR,          -- the earlier week's story this one develops
    continues_week VARCHAR,
    rank INTEGER NOT NULL,               -- 1 = top story of the week
    article_count INTEGER NOT NULL,      -- distinct articles (duplicate copies folded)
    copy_count INTEGER NOT NULL,         -- stored copies including duplicates
    outlet_count INTEGER NOT NULL,
    relevance DOUBLE NOT NULL,           -- best article relevance in the story
    first_published TIMESTAMP,
    last_published TIMESTAMP,
    PRIMARY KEY (week, story_id)
);

-- one row per (story, article): the canonical articles of a story, in story order
CREATE TABLE story_articles (
    week VARCHAR NOT NULL,
    story_id VARCHAR NOT NULL,
    article_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    late_arrival BOOLEAN NOT NULL,       -- published in an earlier week, first stored in this one
    PRIMARY KEY (week, story_id, article_id)
);

-- one row per generated weekly digest (the latest generation of each week)
CREATE TABLE digests (
    week VARCHAR PRIMARY KEY,
    generated_at TIMESTAMP NOT NULL,
    run_id VARCHAR,
    articles INTEGER NOT NULL,           -- relevant canonical articles counted in the week
    outlets INTEGER NOT NULL,
    stories INTEGER NOT NULL,
    left_out INTEGER NOT NULL,           -- canonical articles of the week below the relevance threshold
    undated INTEGER NOT NULL,
    late_arrivals INTEGER NOT NULL,
    threshold DOUBLE NOT NULL,
    markdown VARCHAR NOT NULL,
    html VARCHAR NOT NULL,
    json JSON NOT NULL
);

-- one row per cited line of a digest: summary sentences and quotes, each with the article it comes from
CREATE TABLE digest_items (
    week VARCHAR NOT NULL,
    story_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    kind VARCHAR NOT NULL,               -- summary | quote
    text VARCHAR NOT NULL,               -- verbatim from the cited article's stored body
    speaker VARCHAR,                     -- quotes only
    article_id VARCHAR NOT NULL,
    article_version INTEGER NOT NULL,
    url VARCHAR,
    PRIMARY KEY (week, story_id, kind, position)
);
