"""newsdigest.parse_speedups changes nothing but speed in trafilatura's page loading.

The control-character test answers exactly as trafilatura's regex on random and real text; the C-level class
lookup gives every node the class lxml.html's lookup gives, except the five form-related tags, whose extra
attributes no extraction touches (tripwire classes record any access during real extractions and find none);
install() is guarded, idempotent and undone by uninstall(). Identical extraction output on the benchmark pages is
checked with the speed-ups installed by tests/test_extract_equivalence.py.
"""

from __future__ import annotations

import gzip
import inspect
import random
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura
from lxml import etree
from lxml.html import FormElement, HtmlElement, HtmlElementClassLookup
from trafilatura import utils

from newsdigest import parse_speedups as ps
from newsdigest.extract import extract_document
from newsdigest.models import RawDocument

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark pages not found at {BENCH}")
REGEX = re.compile(ps.INVALID_XML_CHARS)


@pytest.fixture(autouse=True)
def _installed_as_in_production() -> Iterator[None]:
    """Every test starts and ends with the speed-ups installed, as newsdigest.html_extract leaves them."""
    assert ps.install()
    yield
    ps.uninstall()
    assert ps.install()


def _bench_html() -> list[str]:
    files = sorted((BENCH / "extraction" / "html").glob("*.html.gz")) + sorted((BENCH / "dates" / "html").glob("*.gz"))
    return [gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in files]


# ---------------------------------------------------------------- control characters

def _special_texts(rng: random.Random) -> list[str]:
    singles = [chr(c) for c in range(0x21)] + ["\x7f", "\x85", "\ufffd", "\ufffe", "\uffff", "\ud800", "\udfff",
                                               "\U0001fffe", "\U0010ffff", "\u00e9", "\u0416"]
    texts = ["", "plain ascii", "tab\tlf\ncr\r", "é and ж", *singles]
    alphabet = singles + list("ab <>")
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    return texts


def test_control_chars_match_the_regex_on_random_text() -> None:
    pattern = ps.ControlChars(REGEX)
    for text in _special_texts(random.Random(2)):
        assert ps.has_control_chars(text) == bool(REGEX.search(text)), repr(text)
        assert pattern.sub("", text) == REGEX.sub("", text), repr(text)


@needs_bench
def test_control_chars_match_the_regex_on_benchmark_pages() -> None:
    pattern = ps.ControlChars(REGEX)
    rng = random.Random(4)
    pages = _bench_html()
    assert len(pages) == 341
    for html in pages:
        assert ps.has_control_chars(html) == bool(REGEX.search(html))
        assert pattern.sub("", html) == REGEX.sub("", html)
        at = rng.randrange(len(html) + 1)
        dirty = html[:at] + rng.choice(["\x00", "\x0b", "\x1f", "\ufffe", "\uffff"]) + html[at:]
        assert ps.has_control_chars(dirty)
        assert pattern.sub("", dirty) == REGEX.sub("", dirty) == html


def test_control_chars_delegate_everything_else() -> None:
    pattern = ps.ControlChars(REGEX)
    assert pattern.pattern == REGEX.pattern and pattern.flags == REGEX.flags
    assert pattern.sub("", "a\x00b\x01c", count=1) == "ab\x01c"
    with pytest.raises(TypeError):
        pattern.sub("", b"bytes")  # as the str pattern itself does
    assert utils.repair_faulty_html("<html>\x00x</html>", "<html>") == "<html>x</html>"


# ---------------------------------------------------------------- class lookup

def test_nodes_get_the_same_classes_except_the_form_tags() -> None:
    markup = ("<!doctype html><html><head><title>t</title><!-- c --><?pi x?></head><body><form><input name=a>"
              "<select><option>o</select><textarea>t</textarea><label for=a>l</label></form><p>&amp; p</p>"
              "<div><span>s</span><FORM></FORM></div></body></html>")
    slow = lxml.html.HTMLParser()
    fast = lxml.html.HTMLParser()
    fast.set_element_class_lookup(ps._FAST_LOOKUP)
    trees = [etree.fromstring(markup, parser) for parser in (slow, fast)]
    for tree in trees:  # node types the HTML parser does not make from markup, moved into its documents
        tree[1].append(etree.ProcessingInstruction("pi", "x"))
        tree[1].append(etree.Entity("amp"))
    pairs = list(zip(trees[0].iter(), trees[1].iter(), strict=True))
    assert {type(a).__name__ for a, _ in pairs} >= {"HtmlComment", "HtmlProcessingInstruction", "HtmlEntity",
                                                    "FormElement", "InputElement", "SelectElement",
                                                    "TextareaElement", "LabelElement", "HtmlElement"}
    for a, b in pairs:
        expected = HtmlElement if isinstance(a.tag, str) and a.tag in ps.SUBCLASS_ONLY else type(a)
        assert type(b) is expected, (a.tag, type(a), type(b))


def test_installed_parser_makes_plain_html_elements() -> None:
    tree = utils.load_html("<html><body><form><input name=q></form><p>x</p></body></html>")
    assert type(tree.find(".//form")) is HtmlElement
    assert type(tree.find(".//input")) is HtmlElement
    ps.uninstall()
    tree = utils.load_html("<html><body><form><input name=q></form><p>x</p></body></html>")
    assert type(tree.find(".//form")) is FormElement


class _Tripwire:
    """A class attribute that records every use, then behaves as the attribute it shadows."""

    def __init__(self, owner: type, name: str, log: list[str]) -> None:
        self.owner, self.name, self.log = owner, name, log
        self.original = inspect.getattr_static(owner, name)

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        self.log.append(f"{self.owner.__name__}.{self.name}")
        getter = getattr(type(self.original), "__get__", None)
        return getter(self.original, obj, objtype) if getter else self.original

    def __set__(self, obj: Any, value: Any) -> None:
        self.log.append(f"{self.owner.__name__}.{self.name} =")
        type(self.original).__set__(self.original, obj, value)


def _tripwire_lookup(log: list[str]) -> HtmlElementClassLookup:
    classes = {}
    for tag, (cls, names) in ps.SUBCLASS_ONLY.items():
        attrs = {name: _Tripwire(cls, name, log) for name in names}
        classes[tag] = type(f"Tripwire{cls.__name__}", (cls,), attrs)
    return HtmlElementClassLookup(classes=classes)


def test_tripwire_records() -> None:
    log: list[str] = []
    utils.HTML_PARSER.set_element_class_lookup(_tripwire_lookup(log))
    tree = utils.load_html("<html><body><form action='/s'><input name=q value=v></form><p>x</p></body></html>")
    form, field = tree.find(".//form"), tree.find(".//input")
    assert isinstance(form, FormElement) and form.action == "/s"
    assert field.value == "v" and "InputElement" in repr(field)
    field.value = "w"
    assert field.get("value") == "w"
    assert log[:2] == ["FormElement.action", "InputElement.value"]
    assert "InputElement.__repr__" in log  # (which reads .name, .type ... in turn)
    assert "InputElement.value =" in log


@needs_bench
def test_no_extraction_uses_the_form_element_classes() -> None:
    """Real extractions (ours, and trafilatura's defaults with its recall and fallback paths) on the benchmark
    pages holding form elements never touch what the five subclasses add to HtmlElement."""
    pages = [html for html in _bench_html() if re.search(r"<(?:form|input|select|textarea|label)\b", html, re.I)]
    assert len(pages) > 250
    log: list[str] = []
    utils.HTML_PARSER.set_element_class_lookup(_tripwire_lookup(log))
    form_elements = 0
    for i, html in enumerate(pages):
        tree = utils.load_html(html)
        if tree is not None:
            form_elements += len(tree.xpath("//form | //input | //select | //textarea | //label"))
        doc = RawDocument("bench", f"p{i}", html.encode("utf-8"), "text/html", datetime(2024, 1, 1),
                          url=f"https://example.com/news/p{i}")
        extract_document(doc, 50 * 1024 * 1024)
        if i % 5 == 0:
            trafilatura.extract(html, include_comments=True)
            trafilatura.bare_extraction(html, fast=False, favor_recall=True)
    assert form_elements > 4_000  # 4,880 when written
    assert log == []


# ---------------------------------------------------------------- install / uninstall / guard

def test_install_is_idempotent_and_uninstall_restores() -> None:
    original = utils.INVALID_XML_CHARS
    assert isinstance(original, ps.ControlChars) and ps.installed()
    assert ps.install()
    assert utils.INVALID_XML_CHARS is original  # not wrapped twice
    ps.uninstall()
    assert not ps.installed()
    assert utils.INVALID_XML_CHARS is original.pattern_object
    assert type(utils.HTML_PARSER.makeelement("form")) is FormElement
    ps.uninstall()  # harmless twice
    assert ps.install() and ps.installed()


def test_install_refuses_another_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    ps.uninstall()
    monkeypatch.setattr(trafilatura, "__version__", "2.3.2")
    assert ps.install() is False
    assert not ps.installed() and type(utils.HTML_PARSER.makeelement("form")) is FormElement


def test_install_refuses_an_edited_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    ps.uninstall()
    monkeypatch.setattr(utils, "INVALID_XML_CHARS", re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]"))
    assert ps.install() is False
    assert isinstance(utils.INVALID_XML_CHARS, re.Pattern)


def test_install_refuses_changed_lxml_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    ps.uninstall()
    monkeypatch.setattr(FormElement, "text_content", lambda self: "", raising=False)
    assert ps.install() is False
    monkeypatch.undo()
    monkeypatch.setitem(HtmlElementClassLookup._default_element_classes, "button", FormElement)
    assert ps.install() is False
