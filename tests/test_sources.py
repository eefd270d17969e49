import re
from pathlib import Path

import pytest

from newsdigest.sources import SourceConfigError, load_sources
from tests.conftest import ROOT


def test_default_sources_file_is_the_seeds_folder():
    [source] = load_sources(ROOT / "sources.toml")
    assert source.name == "seeds" and source.kind == "folder"
    assert source.path == ROOT / "seeds"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "one or more [[sources]]"),
        ("[[sources]]\nname = 'Bad Name'\nkind = 'folder'\npath = 'x'\n", "'name' must be lowercase"),
        ("[[sources]]\nname = 'a'\nkind = 'ftp'\n", "'kind' must be one of"),
        ("[[sources]]\nname = 'a'\nkind = 'folder'\n", "need 'path'"),
        ("[[sources]]\nname = 'a'\nkind = 'folder'\npath = 'x'\ncolour = 1\n", "unknown keys ['colour']"),
        ("[[sources]]\nname = 'a'\nkind = 'folder'\npath = 'x'\n" * 2, "repeated: a"),
        ("[[sources]\n", "not valid TOML"),
    ],
)
def test_invalid_sources_give_actionable_errors(tmp_path: Path, body: str, message: str):
    path = tmp_path / "sources.toml"
    path.write_text(body)
    with pytest.raises(SourceConfigError) as err:
        load_sources(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(SourceConfigError, match="not found"):
        load_sources(tmp_path / "nope.toml")


def test_example_sources_file_is_valid_and_offline_by_default():
    sources = load_sources(ROOT / "sources.example.toml")
    kinds = {s.kind for s in sources}
    assert {"folder", "feed", "sitemap", "urls", "homepage"} <= kinds
    assert [s.name for s in sources if s.enabled] == ["seeds"]  # web examples stay off until someone opts in


def test_web_sources_parse_with_limits(tmp_path: Path):
    (tmp_path / "list.txt").write_text("# picks\nhttps://a.example/1\n\nhttps://a.example/2  # second\n")
    path = tmp_path / "sources.toml"
    path.write_text(
        "[[sources]]\nname='f'\nkind='feed'\nurl='https://a.example/rss'\nmax_items=50\nper_host_delay=2\n"
        "[[sources]]\nname='u'\nkind='urls'\nurls=['https://b.example/x']\nurls_file='list.txt'\n"
    )
    feed, urls = load_sources(path)
    assert feed.url == "https://a.example/rss" and feed.options == {"max_items": 50, "per_host_delay": 2.0}
    assert urls.urls == ("https://b.example/x", "https://a.example/1", "https://a.example/2")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[sources]]\nname='f'\nkind='feed'\n", "needs 'url'"),
        ("[[sources]]\nname='f'\nkind='feed'\nurl='ftp://x/rss'\n", "http:// or https://"),
        ("[[sources]]\nname='f'\nkind='feed'\nurl='https://x/rss'\nmax_items=0\n", "positive number"),
        ("[[sources]]\nname='f'\nkind='feed'\nurl='https://x/rss'\npath='x'\n", "unknown keys ['path']"),
        ("[[sources]]\nname='u'\nkind='urls'\n", "need 'urls'"),
        ("[[sources]]\nname='u'\nkind='urls'\nurls_file='missing.txt'\n", "cannot read urls_file"),
    ],
)
def test_invalid_web_sources(tmp_path: Path, body: str, message: str):
    path = tmp_path / "sources.toml"
    path.write_text(body)
    with pytest.raises(SourceConfigError, match=re.escape(message)):
        load_sources(path)
