"""Entity finder: aliases merged to one key, Russian inflection, acronyms, fuzzy names, lexicon syntax."""

from __future__ import annotations

import pytest

from newsdigest.entities import EntityMention, Lexicon, find_entities, lexicon, mention_counts, mention_spans


def by_key(title: str | None, body: str) -> dict[str, EntityMention]:
    return {m.key: m for m in find_entities(title, body)}


def test_lexicon_loads_with_unique_keys_and_known_groups():
    entries = lexicon().entries
    assert len(entries) > 100
    sides = {"russia", "central_asia", "moscow_led", "extremist", "afghanistan", "other"}
    for entry in entries.values():
        assert entry.kind in {"country", "place", "person", "org", "theme"}
        if entry.kind != "theme":
            assert entry.group in sides, entry
        assert min(entry.russia, entry.central_asia, entry.security) >= 0
        assert max(entry.russia, entry.central_asia, entry.security) <= 1
    assert entries["lavrov"].russia == 1 and entries["rahmon"].central_asia == 1
    assert entries["rahmon"].country == "tajikistan"
    base = entries["base_201"]
    assert (base.russia, base.central_asia, base.security) == (1, 1, 1)


def test_mention_fields_and_positional_construction():
    m = by_key(None, "Sergei Lavrov arrived in Dushanbe.")["lavrov"]
    assert m == EntityMention("person", "lavrov", "Sergei Lavrov", "russia", 1, ("Lavrov",), False)


def test_islamic_state_aliases_merge_into_one_key():
    text = ("Daesh fighters, also known as ISIS or ISIL, regrouped. The Islamic State (ИГИЛ) claimed it; "
            "Russian media call it ИГ or Исламское государство.")
    found = by_key(None, text)
    state = found["islamic_state"]
    assert state.kind == "org" and state.group == "extremist"
    assert state.count == 7
    assert state.surfaces == ("Daesh", "ISIS", "ISIL", "Islamic State", "ИГИЛ", "ИГ", "Исламское государство")
    assert not any(m.kind == "org" and m.key != "islamic_state" for m in found.values())


@pytest.mark.parametrize(("key", "spellings"), [
    ("shoigu", ["Shoigu", "Шойгу", "Shoygu"]),
    ("lavrov", ["Lavrov", "Лавров", "Лаврова", "Лавровым"]),
    ("putin", ["Putin", "Путин", "Путина", "Путину"]),
    ("tokayev", ["Tokayev", "Tokaev", "Токаев", "Токаева"]),
    ("rahmon", ["Rahmon", "Rakhmon", "Rahmonov", "Рахмон", "Рахмона", "Emomali"]),
    ("mirziyoyev", ["Mirziyoyev", "Mirziyoev", "Мирзиёев", "Мирзиеев", "Мирзиёевым"]),
    ("japarov", ["Japarov", "Zhaparov", "Жапаров", "Жапарова"]),
    ("berdimuhamedov", ["Berdimuhamedov", "Berdymukhamedov", "Berdymukhammedov", "Бердымухамедов"]),
    ("taliban", ["Taliban", "Taleban", "Талибан", "талибы", "талибов"]),
    ("csto", ["CSTO", "ОДКБ", "Collective Security Treaty Organization", "Организации Договора о коллективной "
              "безопасности"]),
    ("sco", ["SCO", "ШОС", "Shanghai Cooperation Organisation"]),
    ("cis", ["CIS", "СНГ", "Commonwealth of Independent States"]),
    ("tajikistan", ["Tajikistan", "Tadzhikistan", "Tajik", "Таджикистана", "Таджикистане", "таджикский"]),
    ("kyrgyzstan", ["Kyrgyzstan", "Kirgizia", "Kyrgystan", "Кыргызстане", "Киргизии", "киргизский"]),
    ("dushanbe", ["Dushanbe", "Душанбе"]),
    ("base_201", ["201st military base", "201st Motor Rifle Division", "201-я российская военная база",
                  "201-й военной базы"]),
    ("kant_air_base", ["Kant air base", "авиабаза Кант", "авиабазы «Кант»"]),
])
def test_spellings_and_inflections_map_to_one_key(key, spellings):
    for spelling in spellings:
        found = by_key(None, f"В сообщении: {spelling} – said. ")
        assert key in found, spelling
        assert found[key].surfaces == (spelling.rstrip("»"),)


def test_counts_and_surfaces_over_title_and_body():
    found = by_key("Shoigu visits Dushanbe", "Шойгу прибыл в Душанбе. Shoigu said the 201st base would grow.")
    assert found["shoigu"].count == 3 and found["shoigu"].surfaces == ("Shoigu", "Шойгу")
    assert found["dushanbe"].count == 2


def test_russian_inflections_in_context():
    found = by_key(None, "Учения ОДКБ прошли в Кыргызстане. Граница Таджикистана с Афганистаном укреплена.")
    assert {"csto", "kyrgyzstan", "tajikistan", "afghanistan", "exercises", "border"} <= set(found)
    assert found["kyrgyzstan"].surfaces == ("Кыргызстане",)
    assert found["tajikistan"].surfaces == ("Таджикистана",)


def test_acronyms_are_case_sensitive():
    assert "islamic_state" not in by_key(None, "the isis flower... RUSSIA IS READY TO HELP, it is said.")
    assert "islamic_state" in by_key(None, "The Guardian style is Isis.")
    assert "csto" not in by_key(None, "the csto of things")


def test_long_names_consume_their_words():
    found = by_key(None, "The Collective Security Treaty Organization met. Energy security was discussed.")
    assert "csto" in found and "economy" in found
    assert "security" not in found  # neither "Security" in the bloc's name nor "energy security"


def test_stop_phrases_count_for_nothing():
    found = by_key(None, "Он работает за границей и за рубежом. Victory in the Second World War was marked.")
    assert set(found) == set()


def test_rodenko_is_fuzzy_matched_to_rudenko(seed_texts):
    body = seed_texts["002_814f9eb546266c95.txt"]
    rudenko = by_key(None, body)["rudenko"]
    assert rudenko.fuzzy is True
    assert rudenko.surfaces == ("Rodenko", "Rudenko")
    assert rudenko.count == 5
    exact = by_key(None, "Rudenko said.")["rudenko"]
    assert exact.fuzzy is False


ORDINARY = [
    "Reading", "Russian", "Rodent", "Rodents", "Research", "Regional", "Recently", "Reports", "Remains", "Republic",
    "Should", "Shogun", "Putting", "Talisman", "Tokens", "Lavender", "Overall", "Overseas", "Moreover", "Patrick",
    "Berlin", "Belgium", "Galilee", "Emotional", "Ambassador", "Kremlev", "Nazareth", "Japanese", "Medvedeva",
    "Zakharov", "Gerasimova", "Rakhman", "Rahman", "Министр", "Медведем", "Захаров", "Лаврентий", "Путевка",
    "Песка",
]


def test_no_fuzzy_match_on_ordinary_capitalised_words():
    lex = lexicon()
    assert [w for w in ORDINARY if lex.fuzzy_key(w)] == []
    text = ". ".join(f"{w} was the first word" for w in ORDINARY)
    assert [m for m in find_entities(None, text) if m.fuzzy] == []


def test_fuzzy_needs_a_capitalised_unmatched_word_of_six_letters():
    assert "rudenko" not in by_key(None, "the rodenko report")  # lower case: never fuzzy
    assert by_key(None, "Rodenko said")["rudenko"].fuzzy


def test_order_is_kind_then_key():
    found = find_entities("Lavrov in Tashkent", "Russia, Uzbekistan and the CSTO discussed the border and drugs.")
    assert [(m.kind, m.key) for m in found] == sorted((m.kind, m.key) for m in found)


def test_empty_and_none():
    assert find_entities(None, "") == []
    assert mention_counts(None) == {}
    assert mention_counts("Lavrov and Lavrov") == {"lavrov": 2}


def _lex(*tables: dict) -> Lexicon:
    return Lexicon([{"kind": "org", **{t["key"]: t for t in tables}}])


def test_lexicon_syntax_gap_stem_and_conflicts():
    lex = _lex({"key": "a", "name": "A", "group": "other", "terms": ["alpha* ~ beta", "=Gam"]})
    assert lex.classify("alphas")[1][0].key == "a"
    with pytest.raises(ValueError, match="belongs to both"):
        _lex({"key": "a", "name": "A", "terms": ["Same"]}, {"key": "b", "name": "B", "terms": ["same"]})
    with pytest.raises(ValueError, match="shorter than"):
        _lex({"key": "a", "name": "A", "terms": ["ab*"]})
    with pytest.raises(ValueError, match="bad term"):
        _lex({"key": "a", "name": "A", "terms": ["~ x"]})


def test_mention_spans_give_offsets_in_reading_order():
    text = "Ёлки: Шойгу прибыл в Душанбе; the Collective Security Treaty Organization met in Dushanbe."
    spans = mention_spans(text)
    assert [(key, text[start:end]) for key, start, end in spans] == [
        ("shoigu", "Шойгу"), ("dushanbe", "Душанбе"), ("csto", "Collective Security Treaty Organization"),
        ("dushanbe", "Dushanbe")]
    assert mention_spans(None) == mention_spans("") == []
    counts: dict[str, int] = {}
    for key, _, _ in spans:
        counts[key] = counts.get(key, 0) + 1
    assert counts == mention_counts(text) == {m.key: m.count for m in find_entities(None, text)}


def test_cached_scans_do_not_leak_between_texts():
    first = by_key("Lavrov in Dushanbe", "Lavrov said the border was calm.")
    second = by_key("Lavrov in Dushanbe", "Shoigu said the border was calm.")
    assert first["lavrov"].count == 2 and "shoigu" not in first
    assert second["lavrov"].count == 1 and second["shoigu"].count == 1
    assert by_key("Lavrov in Dushanbe", "Lavrov said the border was calm.") == first


def test_starts_marks_exactly_the_words_classify_accepts_and_survives_a_full_memo(monkeypatch):
    import newsdigest.entities as entities

    lex = _lex({"key": "a", "name": "Alphaorg", "group": "other", "terms": ["alpha* ~ beta", "=Gam", "Deltaville"]})
    words = ["the", "alphas", "Gam", "gam", "Deltavile", "beta", "the", "Gam"]
    expected = [i for i, w in enumerate(words) if lex.classify(w) is not None]
    assert expected == [1, 2, 4, 7]  # the stem, the forced-case acronym, a fuzzy near-miss of Deltaville
    assert lex.starts(words) == expected
    assert lex.starts(words[::-1]) == [len(words) - 1 - i for i in reversed(expected)]  # memo hits, same answer
    monkeypatch.setattr(entities, "MEMO_LIMIT", 3)  # the next new words overflow the memo: cleared, not grown
    assert lex.starts(["gamma", "Gam", "alphabet"]) == [1, 2]
    assert len(lex._memo) <= 3
    assert lex.starts(words) == expected
