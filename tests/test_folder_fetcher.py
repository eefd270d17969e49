import gzip
from pathlib import Path

import pytest

from newsdigest.fetch.base import FetchFailure
from newsdigest.fetch.folder import FolderFetcher, media_type_for
from newsdigest.gzipped import gunzip_capped
from newsdigest.models import RawDocument
from newsdigest.sources import Source


def test_media_types_look_through_gzip():
    assert media_type_for("a.TXT") == "text/plain"
    assert media_type_for("a.htm.gz") == "text/html"
    assert media_type_for("a.pdf") is None


def test_reads_supported_files_in_stable_order_and_reports_the_rest(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("plain")
    (tmp_path / "sub" / "a.html.gz").write_bytes(gzip.compress(b"<html></html>"))
    (tmp_path / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "big.txt").write_bytes(b"x" * 101)
    results = list(FolderFetcher(max_bytes=100).fetch(Source("s", "folder", path=tmp_path)))
    docs = [r for r in results if isinstance(r, RawDocument)]
    failures = {r.uri: r.error_class for r in results if isinstance(r, FetchFailure)}
    assert [(d.uri, d.media_type) for d in docs] == [("b.txt", "text/plain"), ("sub/a.html.gz", "text/html")]
    assert docs[1].content[:2] == b"\x1f\x8b"  # archived exactly as read
    assert failures == {"big.txt": "DocumentTooLarge", "c.pdf": "UnsupportedFileType"}


def test_missing_folder_is_a_failure_not_a_crash(tmp_path: Path):
    [failure] = FolderFetcher(100).fetch(Source("s", "folder", path=tmp_path / "nope"))
    assert isinstance(failure, FetchFailure) and failure.error_class == "SourceMissing"


def test_gzip_bomb_is_stopped():
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(ValueError, match="expands past"):
        gunzip_capped(bomb, 1_000_000)
