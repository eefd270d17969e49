"""Cleaning plain-text scrapes: each seed (the first customers), then the same rules on other sites' shapes."""

from __future__ import annotations

from datetime import datetime

import pytest

from newsdigest.textclean import clean_text_scrape
from newsdigest.textdates import find_dates

SEED_EXPECTATIONS = {
    "000_7cfd1a385b78c9bd.txt": dict(
        title=None, first="Russia has agreed to assist Tajikistan in modernizing its armed forces",
        last="if Kyrgyz authorities initiate the issue.", paragraphs=11, site=None, agency=None),
    "001_0acae4aa53c38f04.txt": dict(
        title="Russia promises Tajikistan gratuitous arms supplies",
        first="Russia will provide military assistance to Tajikistan",
        last="Its presence has been extended until 2042.", paragraphs=11, site=None, agency="Interfax"),
    "002_814f9eb546266c95.txt": dict(
        title="Moscow: We are taking the necessary measures to prevent the invasion of Tajikistan",
        first="Russia’s Deputy Foreign Minister stressed that Moscow maintains constant contact",
        last="on July 16 in a joint statement in Tashkent.", paragraphs=10, site="News i", agency=None),
    "003_bbbd152a2ce05057.txt": dict(
        title="Putin assures Rahmon of Russia's readiness to help Tajikistan amid border tensions both "
              "bilaterally and at CSTO level - Kremlin",
        first="MOSCOW. July 5 (Interfax) - Russian President Vladimir Putin",
        last="the Tajik presidential press service reported on Monday evening.", paragraphs=11, site=None,
        agency="Interfax"),
    "004_017209d9a1e91163.txt": dict(
        title="Russia pledges help for Tajikistan amid growing Afghan insecurity",
        first="Russia said on Thursday it was ready to help Tajikistan deal with any fallout",
        last="Kamchybek Tashiev was quoted as saying by Interfax news agency.", paragraphs=4,
        site="Devdiscourse", agency="Reuters"),
}
BOILERPLATE = ["USD 86.45", "EUR 92.47", "RUB 1.00", "Leave a Reply", "Your email address", "TRENDING",
               "Latest News", "Connect us on", "info@devdiscourse.com", "Phone:", "© Copyright", "Disclaimer",
               "has not been edited", "Country:", "Left Menu", "Health News Roundup", "DevShots", "Give Feedback"]


@pytest.mark.parametrize("name", sorted(SEED_EXPECTATIONS))
def test_seed_cleaning(name: str, seed_texts: dict[str, str]):
    want = SEED_EXPECTATIONS[name]
    got = clean_text_scrape(seed_texts[name])
    assert got.title == want["title"]
    assert got.paragraphs[0].startswith(want["first"])
    assert got.paragraphs[-1].endswith(want["last"])
    assert len(got.paragraphs) == want["paragraphs"]
    assert (got.site, got.agency, got.language) == (want["site"], want["agency"], "en")
    for junk in BOILERPLATE:
        assert junk not in got.text, junk
    assert len(set(got.paragraphs)) == len(got.paragraphs), "each paragraph once"
    if got.title:
        assert got.title not in got.paragraphs


def test_seed_dates_are_stated_never_invented(seed_texts: dict[str, str]):
    dates = {name: clean_text_scrape(text).published for name, text in seed_texts.items()}
    assert dates["003_bbbd152a2ce05057.txt"].value == datetime(2021, 7, 5, 21, 32)
    assert dates["003_bbbd152a2ce05057.txt"].has_time
    # "date 2021-07-08" above the headline; the byline's "Created: 08-07-2021 19:25 IST" gives the time (UTC)
    assert dates["004_017209d9a1e91163.txt"].value == datetime(2021, 7, 8, 13, 55)
    assert {d.source for d in dates.values()} == {"dateline", "none"}
    for undated in ("000_7cfd1a385b78c9bd.txt", "001_0acae4aa53c38f04.txt", "002_814f9eb546266c95.txt"):
        assert dates[undated].value is None and dates[undated].source == "none", undated


def test_caption_and_standfirst_dropped_but_short_quotes_kept(seed_texts: dict[str, str]):
    shoigu = clean_text_scrape(seed_texts["001_0acae4aa53c38f04.txt"])
    assert "Sergei Shoigu" not in shoigu.paragraphs
    assert any(p.startswith("The head of the Ministry of Defense") for p in shoigu.paragraphs)
    kremlin = clean_text_scrape(seed_texts["003_bbbd152a2ce05057.txt"])
    assert '"They agreed to continue contacts at different levels," it said.' in kremlin.paragraphs
    reuters = clean_text_scrape(seed_texts["004_017209d9a1e91163.txt"])
    assert sum("it was ready to help Tajikistan" in p for p in reuters.paragraphs) == 1


@pytest.mark.parametrize("text", ["formed in 2004", "on July 16 in Tashkent", "07/08/2021", "31 Feb 2021",
                                  "FY2021-22 results", "in the 1990s", "5 Jul 1850"])
def test_partial_ambiguous_or_impossible_dates_are_not_dates(text: str):
    assert find_dates(text) == []


@pytest.mark.parametrize(("text", "expected", "has_time"), [
    ("5 Jul 2021 21:32", datetime(2021, 7, 5, 21, 32), True),
    ("July 5, 2021 at 9:32 pm MSK", datetime(2021, 7, 5, 18, 32), True),
    ("08.07.2021", datetime(2021, 7, 8), False),
    ("5 июля 2021 г.", datetime(2021, 7, 5), False),
    ("2021-07-08T10:00:00+03:00", datetime(2021, 7, 8, 7, 0), True),
])
def test_complete_dates_parse(text: str, expected: datetime, has_time: bool):
    (found,) = find_dates(text)
    assert (found.value, found.has_time) == (expected, has_time)


OTHER_SITE = """Home | World | Asia | Business
Kazakhstan hosts CSTO drills near Almaty as border worries grow
By Aida Karimova
Published: 12 March 2022 09:15 ALMT
ALMATY, March 12 (Reuters) - Troops from five countries of the Collective Security Treaty Organization began \
exercises near Almaty on Saturday, the defence ministry said.
Photo: Kazakh soldiers at a training ground. Reuters
The drills involve about 3,000 service members and will last a week, officials said, adding that Russian \
aircraft from the Kant air base in Kyrgyzstan were taking part.
Border security in focus
Officials in Astana said the exercise rehearsed a response to militants crossing from Afghanistan into \
Tajikistan, a scenario planners have drilled since 2021.
Read also: Uzbekistan buys Russian helicopters
Share this article
Most read
Uzbekistan and Russia sign arms deal
Tajik border guards detain smugglers
© 2022 Steppe Herald. All rights reserved.
"""


def test_general_rules_on_another_sites_scrape():
    got = clean_text_scrape(OTHER_SITE)
    assert got.title == "Kazakhstan hosts CSTO drills near Almaty as border worries grow"
    assert got.published.value == datetime(2022, 3, 12, 3, 15) and got.published.source == "dateline"
    assert got.agency == "Reuters"
    assert got.site == "Steppe Herald"
    assert got.paragraphs == [
        OTHER_SITE.splitlines()[4],
        OTHER_SITE.splitlines()[6],
        "Border security in focus",
        OTHER_SITE.splitlines()[8],
    ]


def test_update_stamps_are_not_publication_dates():
    text = "Russia and Uzbekistan agree air defence deal\nUpdated: 3 May 2023\n" + ("Word " * 30).strip() + "."
    assert clean_text_scrape(text).published.value is None


def test_text_without_prose_yields_no_paragraphs():
    assert clean_text_scrape("Home\nMenu\nLogin\n© 2021").paragraphs == []
