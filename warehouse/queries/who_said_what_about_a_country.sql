-- Who said what about a country: one row per quote cited in a digest, from an article that mentions the
-- country, with the speaker (and the person entity it matches), whether the quote itself names the country,
-- the story, outlet and link. Newest week first.
-- Variables: country (an entity key; default 'tajikistan'), e.g.  SET VARIABLE country = 'uzbekistan';
--   the keys: SELECT DISTINCT entity_key, name FROM article_entities WHERE kind = 'country' ORDER BY 1;
SELECT
    i.week,
    i.speaker,
    (SELECT p.name FROM article_entities AS p
     WHERE p.article_id = i.article_id AND p.version = i.article_version AND p.kind = 'person'
       AND list_contains(p.surfaces, i.speaker)
     LIMIT 1) AS speaker_entity,
    i.text AS quote,
    c.name AS country,
    list_bool_or(list_transform(c.surfaces, lambda s: contains(lower(i.text), lower(s)))) AS quote_names_country,
    c.mentions AS country_mentions_in_article,
    st.label AS story,
    coalesce(a.site, a.source) AS outlet,
    a.title,
    coalesce(i.url, a.url) AS url,
    i.article_id
FROM digest_items AS i
JOIN article_entities AS c
    ON c.article_id = i.article_id AND c.version = i.article_version AND c.kind = 'country'
JOIN stories AS st ON st.week = i.week AND st.story_id = i.story_id
JOIN mart_articles AS a ON a.article_id = i.article_id
WHERE i.kind = 'quote'
  AND c.entity_key = coalesce(getvariable('country'), 'tajikistan')
ORDER BY i.week DESC, st.rank, i.position;
