"""Dedup on constructed copies of real articles (the seeds): copies found, different articles kept apart."""

import itertools

from newsdigest.dedupe import DuplicateIndex, assign_group, fingerprint


def _body(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(p.split()) > 12]


def test_seeds_are_five_different_articles(seed_texts):
    index = DuplicateIndex()
    links = [assign_group(index, name, fingerprint(text)) for name, text in seed_texts.items()]
    assert [link.rule for link in links] == ["first"] * 5
    # 003 and 004 report the same week's events (Tajik border, CSTO help): still not copies.
    fps = {name: fingerprint(text) for name, text in seed_texts.items()}
    for a, b in itertools.combinations(fps, 2):
        solo = DuplicateIndex()
        solo.add(a, a, fps[a])
        assert solo.match(b, fps[b]).rule == "first", (a, b)


def test_syndicated_copy_with_other_boilerplate_headline_and_trimmed_end(seed_texts):
    original = seed_texts["003_bbbd152a2ce05057.txt"]
    paras = _body(original)
    copy = "\n\n".join(
        ["Tajik border: Putin offers help (updated headline)", "Share on Facebook | Tweet | Email"]
        + paras[:-1]  # the last paragraph trimmed
        + ["Read more: Russia's Defence Ministry holds drills", "© 2021 Another Outlet. All rights reserved."]
    )
    index = DuplicateIndex()
    assign_group(index, "orig", fingerprint(original))
    link = assign_group(index, "copy", fingerprint(copy))
    assert link.rule == "near_duplicate"
    assert link.group_id == "orig" and link.matched_article_id == "orig"
    assert link.similarity is not None and link.similarity > 0.7


def test_exact_copy_ignores_case_and_punctuation(seed_texts):
    original = seed_texts["001_0acae4aa53c38f04.txt"]
    index = DuplicateIndex()
    assign_group(index, "a", fingerprint(original))
    link = assign_group(index, "b", fingerprint(original.upper().replace("«", '"').replace("»", '"')))
    assert (link.rule, link.similarity, link.group_id) == ("content_hash", 1.0, "a")


def test_same_canonical_url_links_copies(seed_texts):
    text = seed_texts["000_7cfd1a385b78c9bd.txt"]
    index = DuplicateIndex()
    assign_group(index, "a", fingerprint(text), "https://example.com/story")
    link = assign_group(index, "b", fingerprint(text[: len(text) // 2]), "https://example.com/story")
    assert link.rule == "canonical_url" and link.group_id == "a"


def test_copies_within_one_batch_chain_to_the_first(seed_texts):
    paras = _body(seed_texts["004_017209d9a1e91163.txt"])
    index = DuplicateIndex()
    a = assign_group(index, "a", fingerprint("\n".join(paras)))
    b = assign_group(index, "b", fingerprint("\n".join(paras[:-1])))
    c = assign_group(index, "c", fingerprint("\n".join(["Intro line added by a blog."] + paras)))
    assert a.rule == "first" and {b.group_id, c.group_id} == {"a"}


def test_short_texts_only_match_exactly():
    index = DuplicateIndex()
    assign_group(index, "a", fingerprint("Russia and Tajikistan hold talks."))
    link = assign_group(index, "b", fingerprint("Russia and Tajikistan hold new talks."))
    assert link.rule == "first"
