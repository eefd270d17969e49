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
