from datetime import datetime

from newsdigest.listing import ListingItem, first_sentence, render_listing
from newsdigest.markdown_safe import md_link, md_text
from newsdigest.weeks import last_complete_week, parse_week, resolve_week, week_of


def _item(**kw) -> ListingItem:
    base = dict(article_id="a", title="Title", published_at=None, date_source="none", outlet=None, agency=None,
                url=None, uri="x.txt", source="seeds", body="First sentence here. Second one.", copies=1,
                week="2021-W27")
    base.update(kw)
    return ListingItem(**base)


def test_weeks():
    assert parse_week("2021-W27") == (datetime(2021, 7, 5).date(), datetime(2021, 7, 12).date())
    assert week_of(datetime(2021, 7, 11, 23, 59)) == "2021-W27"
    assert last_complete_week(datetime(2026, 11, 22)) == "2026-W46"
    assert resolve_week(None, datetime(2026, 11, 22)) == "2026-W47"
    assert resolve_week("2021-W27", datetime(2026, 11, 22)) == "2021-W27"


def test_first_sentence():
    assert first_sentence("MOSCOW. July 5 (Interfax) - Putin spoke. Then more.") == \
        "MOSCOW. July 5 (Interfax) - Putin spoke."
    assert first_sentence("«We are ready,» Shoigu said. Next.\n\nOther") == "«We are ready,» Shoigu said."


def test_hostile_web_text_cannot_inject_markup():
    evil = '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>'
    out = md_text(evil)
    assert "<" not in out and ">" not in out
    assert "](" not in out
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("x", "https://example.com/a") == "[x](<https://example.com/a>)"


def test_listing_shows_undated_and_late_arrivals():
    text = render_listing(
        "2026-W47",
        [_item(title="<b>Undated</b> story")],
        [_item(article_id="b", title="Old", published_at=datetime(2021, 7, 5), date_source="dateline",
               outlet="Interfax", copies=2)],
        datetime(2026, 11, 22, 10, 0),
    )
    assert "undated (none)" in text and "&lt;b&gt;Undated&lt;/b&gt; story" in text
    assert "Late arrivals" in text and "2021\\-07\\-05" not in text and "2021-07-05 (dateline)" in text
    assert "2 copies" in text


def test_sentence_splitter_keeps_datelines_initials_and_abbreviations():
    from newsdigest.sentences import split_sentences

    text = ("MOSCOW. July 5 (Interfax) - The U.S. exit worries Gen. Ivanov. «We are ready,» he said. "
            "Troops moved at 5 a.m. Monday. Then?")
    assert split_sentences(text) == [
        "MOSCOW. July 5 (Interfax) - The U.S. exit worries Gen. Ivanov.",
        "«We are ready,» he said.",
        "Troops moved at 5 a.m. Monday.",
        "Then?",
    ]
