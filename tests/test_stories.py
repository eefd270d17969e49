"""Story clustering: a constructed week with known stories, stable ids, developing links, Russian text, DUC."""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdigest.stories import (
    Story,
    StoryArticle,
    cluster_stories,
    link_developing,
    signature,
    story_id_for,
)

ROOT = Path(__file__).resolve().parents[1]
DUC_DOCS = ROOT.parent / "shared" / "bench" / "duc2006" / "docs"
MONDAY = datetime(2021, 10, 18, 9, 0, tzinfo=UTC)


def _day(n: int, hour: int = 0) -> datetime:
    return MONDAY + timedelta(days=n, hours=hour)


CSTO = [
    StoryArticle(
        "reuters-csto", "Russian-led CSTO troops begin drills in Tajikistan near Afghan border",
        "Troops from the Russian-led Collective Security Treaty Organization began military exercises in "
        "Tajikistan on Monday, a few kilometres from the border with Afghanistan, the Russian defence ministry "
        "said. About 4,000 servicemen from Russia, Tajikistan, Kyrgyzstan and Kazakhstan are taking part in the "
        "Rubezh-2021 drills at the Harb-Maidon training range in Khatlon province. The exercises rehearse "
        "repelling an incursion by militants crossing from Afghanistan after the Taliban takeover.",
        _day(0), frozenset({"org:csto", "place:tajikistan", "place:afghanistan", "event:rubezh"})),
    StoryArticle(
        "tass-csto", "Rubezh-2021 CSTO exercise continues at Harb-Maidon range",
        "The active phase of the Rubezh-2021 exercise of the CSTO Collective Rapid Deployment Forces continued "
        "on Tuesday at the Harb-Maidon range in the Khatlon region of Tajikistan. Motor rifle units of the 201st "
        "Russian military base, Tajik and Kyrgyz troops practised destroying a simulated group of militants that "
        "had crossed the Tajik-Afghan border, the press service of the Central Military District reported. "
        "Su-25 attack aircraft and helicopters supported the ground units during the drills.",
        _day(1), frozenset({"org:csto", "place:tajikistan", "place:afghanistan", "event:rubezh"})),
    StoryArticle(
        "eurasianet-csto", "Moscow stages war games on Tajik-Afghan frontier",
        "Moscow is showing its allies that it means business. Russian and allied CSTO troops this week staged "
        "war games at the Harb-Maidon range in Tajikistan's Khatlon province, close to the Afghan frontier. "
        "The Rubezh-2021 drills, involving thousands of soldiers, armour and aircraft, simulated an attack by "
        "militants from Afghanistan. Analysts said the exercise was a message to the Taliban.",
        _day(2), frozenset({"org:csto", "place:tajikistan", "place:afghanistan", "event:rubezh"})),
]
BORDER = [
    StoryArticle(
        "akipress-border", "Kyrgyz and Tajik border guards exchange fire in Batken",
        "Border guards of Kyrgyzstan and Tajikistan exchanged fire on Wednesday near the village of Kok-Tash "
        "in Kyrgyzstan's Batken region, the Kyrgyz border service said. Two Kyrgyz servicemen were wounded. "
        "The shooting began after a dispute over water distribution at a canal on a disputed section of the "
        "border, where villagers from both sides threw stones at each other.",
        _day(2, 6), frozenset({"place:kyrgyzstan", "place:tajikistan", "place:batken"})),
    StoryArticle(
        "asiaplus-border", "Ceasefire agreed after deadly clash on Kyrgyzstan-Tajikistan border",
        "Tajikistan and Kyrgyzstan agreed a ceasefire on Thursday after a clash between their border guards "
        "near Kok-Tash left one Tajik civilian dead and several people wounded, the Tajik state committee for "
        "national security said. The dispute over a water canal on the undemarcated border in the Batken area "
        "flared again; both sides pulled back their troops and promised to investigate the shooting.",
        _day(3), frozenset({"place:kyrgyzstan", "place:tajikistan", "place:batken"})),
]
WHEAT = StoryArticle(
    "kazinform-wheat", "Kazakhstan raises wheat export forecast after record harvest",
    "Kazakhstan's agriculture ministry raised its forecast for grain exports this season to 8 million tonnes "
    "after farmers in the northern provinces brought in a record harvest. Flour mills expect lower prices, and "
    "traders said demand from buyers in Iran and Afghanistan remained strong.",
    _day(1, 3), frozenset({"place:kazakhstan"}))
WEEK = [*CSTO, *BORDER, WHEAT]


def _memberships(stories: list[Story]) -> set[frozenset[str]]:
    return {frozenset(s.article_ids) for s in stories}


def test_constructed_week_forms_three_stories():
    stories = cluster_stories(WEEK)
    assert _memberships(stories) == {frozenset(a.article_id for a in CSTO), frozenset(a.article_id for a in BORDER),
                                     frozenset({WHEAT.article_id})}
    for story in stories:
        assert story.label.strip()
        assert 1 <= len(story.keywords) <= 6
        assert all(isinstance(k, str) and k for k in story.keywords)
    csto = next(s for s in stories if "reuters-csto" in s.article_ids)
    assert csto.article_ids == ["reuters-csto", "tass-csto", "eurasianet-csto"]  # time order
    assert csto.continues is None


def test_articles_weeks_apart_need_more_similarity():
    late = replace(CSTO[2], published=_day(32))  # same report, a month later: the damping splits it off
    stories = cluster_stories([*CSTO[:2], late, *BORDER, WHEAT])
    assert frozenset({"reuters-csto", "tass-csto"}) in _memberships(stories)
    assert frozenset({"eurasianet-csto"}) in _memberships(stories)


def test_story_ids_are_stable_across_runs_and_input_order():
    first = cluster_stories(WEEK)
    for seed in range(5):
        shuffled = WEEK[:]
        random.Random(seed).shuffle(shuffled)
        again = cluster_stories(shuffled)
        assert [(s.story_id, s.article_ids, s.label, s.keywords) for s in again] == \
            [(s.story_id, s.article_ids, s.label, s.keywords) for s in first]
    csto = next(s for s in first if "reuters-csto" in s.article_ids)
    assert csto.story_id == story_id_for("reuters-csto")  # the earliest member names the story


def test_story_is_constructible_positionally_and_signature_selects_members():
    story = Story("s-earlier", ["tass-csto"], "", [])
    sig = signature(story, WEEK)  # other articles in the list are ignored
    assert sig.story_id == "s-earlier"
    assert sig.terms and dict(sig.terms).get("harb")
    assert sig.first_published == sig.last_published == _day(1)
    assert signature(Story("s-none", ["missing"], "", []), WEEK).terms == ()


def test_label_falls_back_to_lead_without_titles():
    untitled = [StoryArticle(a.article_id, None, a.body, a.published) for a in BORDER]
    (story,) = cluster_stories(untitled)
    assert story.label.startswith(("Border guards", "Tajikistan and Kyrgyzstan"))


def test_developing_links_to_earlier_week_and_not_for_unrelated():
    earlier_articles = [
        StoryArticle("tass-announce", "CSTO to hold Rubezh-2021 exercise in Tajikistan near Afghan border",
                     "The Collective Security Treaty Organization will hold the Rubezh-2021 exercise at the "
                     "Harb-Maidon range in Tajikistan's Khatlon region next week, with troops from Russia, "
                     "Kyrgyzstan and Kazakhstan rehearsing a response to militants crossing from Afghanistan, "
                     "the CSTO joint staff said.", _day(-6)),
        StoryArticle("fergana-cotton", "Uzbekistan completes cotton harvest",
                     "Uzbek farmers have finished picking cotton in the Fergana valley, the agriculture ministry "
                     "said, reporting higher yields and rising exports of yarn to China and Turkey.", _day(-5)),
    ]
    earlier = [signature(Story("s-csto-announce", ["tass-announce"], "", []), earlier_articles),
               signature(Story("s-cotton", ["fergana-cotton"], "", []), earlier_articles)]
    stories = cluster_stories(WEEK)
    signatures = [signature(s, WEEK) for s in stories]
    linked = link_developing(stories, signatures, earlier)
    by_member = {a: s for s in linked for a in s.article_ids}
    assert by_member["reuters-csto"].continues == "s-csto-announce"
    assert by_member["akipress-border"].continues is None
    assert by_member["kazinform-wheat"].continues is None
    assert [s.story_id for s in linked] == [s.story_id for s in stories]
    assert link_developing(stories, signatures, []) == stories


def test_developing_prefers_the_most_recent_of_equally_good_matches():
    text = CSTO[0].body
    older = StoryArticle("a-old", CSTO[0].title, text, _day(-14))
    newer = StoryArticle("a-new", CSTO[0].title, text, _day(-7))
    earlier = [signature(Story("s-old", ["a-old"], "", []), [older]),
               signature(Story("s-new", ["a-new"], "", []), [newer])]
    stories = cluster_stories(CSTO)
    linked = link_developing(stories, [signature(s, CSTO) for s in stories], earlier)
    assert linked[0].continues == "s-new"


RUSSIAN = [
    StoryArticle("ria-ru", "Учения ОДКБ «Рубеж-2021» начались в Таджикистане",
                 "Учения сил Организации Договора о коллективной безопасности «Рубеж-2021» начались на полигоне "
                 "Харб-Майдон в Хатлонской области Таджикистана вблизи границы с Афганистаном. В маневрах "
                 "участвуют около четырех тысяч военнослужащих из России, Таджикистана, Киргизии и Казахстана.",
                 _day(0)),
    StoryArticle("interfax-ru", "На полигоне Харб-Майдон продолжаются учения ОДКБ",
                 "Военнослужащие российской 201-й военной базы, таджикские и киргизские подразделения "
                 "отработали уничтожение условных боевиков, прорвавшихся через таджикско-афганскую границу, "
                 "сообщили в пресс-службе Центрального военного округа. Учения ОДКБ на полигоне Харб-Майдон "
                 "поддерживала штурмовая авиация.", _day(1)),
    StoryArticle("kazinform-ru", "Казахстан повысил прогноз экспорта пшеницы",
                 "Министерство сельского хозяйства Казахстана повысило прогноз экспорта зерна до восьми "
                 "миллионов тонн после рекордного урожая в северных областях. Мукомольные предприятия ожидают "
                 "снижения цен.", _day(1)),
]


def test_russian_articles_cluster_with_each_other():
    stories = cluster_stories([*RUSSIAN, WHEAT, BORDER[0]])
    memberships = _memberships(stories)
    assert frozenset({"ria-ru", "interfax-ru"}) in memberships
    assert frozenset({"kazinform-ru"}) in memberships
    assert all(s.label for s in stories)


def test_empty_and_single_inputs():
    assert cluster_stories([]) == []
    (story,) = cluster_stories([WHEAT])
    assert story.article_ids == [WHEAT.article_id] and story.label == WHEAT.title
    undated = StoryArticle("x", "Undated piece about Tajik border", "Guards patrol the Tajik border.", None)
    assert [s.article_ids for s in cluster_stories([undated, WHEAT])] == [[WHEAT.article_id], ["x"]]


@pytest.mark.skipif(not DUC_DOCS.is_dir(), reason="../shared DUC 2006 documents not available")
def test_duc_event_sets_cluster_into_their_stories():
    sys.path.insert(0, str(ROOT / "bench"))
    from stories import bcubed, read_sets, week_task  # bench/stories.py

    sets = read_sets(DUC_DOCS, ["D0616G", "D0617H", "D0640D"])  # Chechnya, EgyptAir 990, Kursk submarine
    for largest_only, floor in ((True, 0.7), (False, 0.5)):
        articles, gold = week_task(sets, largest_only=largest_only)
        story_of = {a: s.story_id for s in cluster_stories(articles) for a in s.article_ids}
        precision, recall, f1 = bcubed(gold, [story_of[a.article_id] for a in articles])
        assert f1 >= floor, (largest_only, precision, recall, f1)
