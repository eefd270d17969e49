import pytest

from newsdigest.decode import decode_bytes
from newsdigest.models import ExtractionError

RUSSIAN = "Министр обороны России Сергей Шойгу заявил, что Россия поможет Таджикистану укрепить границу. " * 5


def test_utf8_and_bom():
    assert decode_bytes("Душанбе".encode()).text == "Душанбе"
    assert decode_bytes(b"\xef\xbb\xbfhello").text == "hello"


def test_invalid_utf8_is_decoded_by_detection_with_a_note():
    decoded = decode_bytes(RUSSIAN.encode("cp1251"))
    assert decoded.text == RUSSIAN
    assert decoded.note and "invalid UTF-8" in decoded.note


def test_html_meta_charset_is_honoured():
    page = f'<html><head><meta charset="windows-1251"></head><body><p>{RUSSIAN}</p></body></html>'
    assert RUSSIAN in decode_bytes(page.encode("cp1251"), "text/html").text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty document"),
        (b"  \n\t ", "empty document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        (bytes(range(1, 32)) * 50, "binary content"),
    ],
)
def test_non_text_is_refused_with_a_reason(data: bytes, reason: str):
    with pytest.raises(ExtractionError, match=reason):
        decode_bytes(data)


def test_declared_charset_from_the_server_is_used_first():
    text = "Граница Таджикистана и Афганистана усилена."
    data = text.encode("cp1251")
    assert decode_bytes(data, "text/html", declared="windows-1251").text == text


def test_a_wrong_declared_charset_is_ignored():
    data = "Café in Almaty".encode("cp1252")
    decoded = decode_bytes(data, "text/html", declared="utf-8")
    assert "Almaty" in decoded.text and decoded.encoding != "utf-8"
    assert decode_bytes(b"plain ascii text", "text/html", declared="no-such-charset").text == "plain ascii text"
