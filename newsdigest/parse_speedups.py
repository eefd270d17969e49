"""Two proven-equivalent shortcuts in trafilatura's page loading (`trafilatura.utils.load_html`), installed at import.

Why: every page is parsed by `load_html` with trafilatura's module-level `HTML_PARSER`, and two parts of that path
cost far more than their result needs. Measured on 300 pages of the pipeline benchmark corpus (single process,
CPU time, A/B interleaved in one process on a shared 2-core machine): the class lookup saves 0.7-1.0 ms of the
~20 ms `extract_document` takes per page; the control-character scan alone goes 0.83 -> 0.18 ms/page (0.3-0.8 ms
in place, measurements being noisy at that size).

1. Element class lookup. `lxml.html.HTMLParser` installs `HtmlElementClassLookup`, a *Python* callback lxml runs
   for every element proxy it creates (about 3,000 per page during an extraction: trafilatura walks and copies the
   tree several times); it returns `HtmlElement`, except `FormElement`, `InputElement`, `SelectElement`,
   `TextareaElement` and `LabelElement` for those five tags. `install()` gives that parser lxml's C-level
   `ElementDefaultClassLookup` with the lxml.html classes (HtmlElement, HtmlComment, HtmlProcessingInstruction,
   HtmlEntity): every proxy gets the same class as before except those five tags, which become plain
   `HtmlElement` (0.6 -> 0.28 us per proxy). (lxml's C `ElementNamespaceClassLookup` could keep the five
   subclasses too, but measured only half the saving: it builds a Python string per proxy to look the tag up.)
   The five subclasses differ from `HtmlElement` only by the attributes in `SUBCLASS_ONLY` (form helpers such as
   `.value`, `.inputs`, `.for_element`, and `InputMixin.__repr__`); no code on the extraction path uses any of
   them: none in trafilatura 2.3.1, htmldate, justext or newsdigest (audited by grep), and
   tests/test_parse_speedups.py runs extractions with tripwire subclasses that record any such access and finds
   none; tests/test_extract_equivalence.py checks identical output. Nothing there tests an element's exact class
   either (only `isinstance(x, HtmlElement)`, true for all of them). Only this parser changes: htmldate's and
   justext's own parsers make ~30 proxies per page, not worth a patch.
2. Control-character scan. `repair_faulty_html` runs `INVALID_XML_CHARS.sub("", html)`, a regex pass over the
   whole page (~190,000 characters, ~0.8 ms) that almost never finds anything. `ControlChars.sub` first decides
   with one vectorised pass whether the page holds any of those characters; when it holds none it returns the
   page unchanged (what `sub` returns when nothing matches), otherwise it calls the original pattern. The test
   is exact: the page is encoded as UTF-16LE (surrogates passed through), where a code unit below 0x20 is
   exactly a character below U+0020, a unit 0xFFFE/0xFFFF exactly U+FFFE/U+FFFF, and every other character
   (astral ones as surrogate pairs D800-DFFF) gives units outside both ranges; the pattern's class is those
   characters minus tab, LF and CR.

Version guard: `install()` changes nothing and returns False unless trafilatura is exactly `TRAFILATURA_VERSION`,
its `INVALID_XML_CHARS` is the pattern audited here, its parser still yields the lxml.html classes (probed with
`makeelement`), and lxml.html's five subclasses add exactly the attributes in `SUBCLASS_ONLY` (a newer lxml that
added behaviour to them would need a new audit). `uninstall()` restores both (tests, benchmarks).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
from lxml import etree
from lxml.html import (
    FormElement,
    HtmlComment,
    HtmlElement,
    HtmlElementClassLookup,
    HtmlEntity,
    HtmlProcessingInstruction,
    InputElement,
    LabelElement,
    SelectElement,
    TextareaElement,
)

from newsdigest.trafilatura_speedups import installed_trafilatura_version as _version

__all__ = ["SUBCLASS_ONLY", "TRAFILATURA_VERSION", "ControlChars", "has_control_chars", "install", "installed",
           "uninstall"]

LOGGER = logging.getLogger(__name__)

TRAFILATURA_VERSION = "2.3.1"
INVALID_XML_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"  # trafilatura/utils.py, as audited

# tag -> (lxml.html class, what it adds to HtmlElement: names on the class or its mixins, not on HtmlElement)
SUBCLASS_ONLY: dict[str, tuple[type, frozenset[str]]] = {
    "form": (FormElement, frozenset({"_name", "action", "fields", "form_values", "inputs", "method"})),
    "input": (InputElement, frozenset({"__repr__", "checkable", "checked", "name", "type", "value"})),
    "label": (LabelElement, frozenset({"for_element"})),
    "select": (SelectElement, frozenset({"__repr__", "multiple", "name", "value", "value_options"})),
    "textarea": (TextareaElement, frozenset({"__repr__", "name", "value"})),
}
_IGNORED_NAMES = frozenset({"__module__", "__doc__", "__dict__", "__weakref__", "__qualname__"})

_FAST_LOOKUP = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity)
_TAB, _LF, _CR = 0x09, 0x0A, 0x0D


def added_names(cls: type) -> frozenset[str]:
    """Attributes a subclass of HtmlElement defines itself (on it or a mixin between it and HtmlElement)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is HtmlElement or issubclass(HtmlElement, klass):
            continue  # HtmlElement and everything it inherits
        names.update(klass.__dict__)
    return frozenset(names - _IGNORED_NAMES)


def has_control_chars(text: str) -> bool:
    """Whether `text` holds a character of trafilatura's INVALID_XML_CHARS (see the module docstring)."""
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")
    low = units[units < 0x20]
    if low.size and not np.all((low == _TAB) | (low == _LF) | (low == _CR)):
        return True
    return bool((units >= 0xFFFE).any())


class ControlChars:
    """Stands in for trafilatura's `INVALID_XML_CHARS` pattern: `sub` skips the regex pass when the text has
    nothing to remove; everything else is the original pattern's (kept as `.pattern_object`)."""

    __slots__ = ("pattern_object",)

    def __init__(self, pattern_object: re.Pattern[str]) -> None:
        self.pattern_object = pattern_object

    def sub(self, repl: Any, string: Any, count: int = 0) -> Any:
        if isinstance(string, str) and not has_control_chars(string):
            return string  # = pattern.sub(...) when nothing matches
        return self.pattern_object.sub(repl, string, count)

    def __getattr__(self, attr: str) -> Any:
        if attr == "pattern_object":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(attr)
        return getattr(self.pattern_object, attr)

    def __repr__(self) -> str:
        return f"<ControlChars for {self.pattern_object!r}>"


def _pattern(current: Any) -> Any:
    return current.pattern_object if isinstance(current, ControlChars) else current


def _audited() -> str | None:
    """Why install() must refuse, or None when everything is as audited."""
    if _version() != TRAFILATURA_VERSION:
        return f"trafilatura {_version()} is not {TRAFILATURA_VERSION}"
    from trafilatura import utils

    pattern = _pattern(getattr(utils, "INVALID_XML_CHARS", None))
    if not isinstance(pattern, re.Pattern) or pattern.pattern != INVALID_XML_CHARS or pattern.flags != re.UNICODE:
        return "trafilatura.utils.INVALID_XML_CHARS changed"
    if dict(HtmlElementClassLookup._default_element_classes) != {t: c for t, (c, _) in SUBCLASS_ONLY.items()}:
        return "lxml.html's element classes changed"
    for cls, names in SUBCLASS_ONLY.values():
        if added_names(cls) != names:
            return f"lxml.html.{cls.__name__} changed: {sorted(added_names(cls) ^ names)}"
    parser = getattr(utils, "HTML_PARSER", None)
    if not isinstance(parser, etree.HTMLParser):
        return "trafilatura.utils.HTML_PARSER changed"
    if type(parser.makeelement("div")) is not HtmlElement:
        return "trafilatura's parser does not make lxml.html elements"
    return None


def install() -> bool:
    """Give trafilatura's parser the C-level class lookup and wrap its control-character pattern. Idempotent.
    Returns False, and changes nothing, when trafilatura or lxml.html is not as audited."""
    reason = _audited()
    if reason is not None:
        LOGGER.warning("%s: keeping trafilatura's page loading as it is", reason)
        return False
    from trafilatura import utils

    utils.HTML_PARSER.set_element_class_lookup(_FAST_LOOKUP)
    if not isinstance(utils.INVALID_XML_CHARS, ControlChars):
        utils.INVALID_XML_CHARS = ControlChars(utils.INVALID_XML_CHARS)
    return True


def uninstall() -> None:
    """trafilatura's own lookup and pattern again."""
    try:
        from trafilatura import utils
    except ImportError:
        return
    parser = getattr(utils, "HTML_PARSER", None)
    if isinstance(parser, etree.HTMLParser):
        parser.set_element_class_lookup(HtmlElementClassLookup())
    if isinstance(getattr(utils, "INVALID_XML_CHARS", None), ControlChars):
        utils.INVALID_XML_CHARS = utils.INVALID_XML_CHARS.pattern_object


def installed() -> bool:
    """Whether both shortcuts are in place."""
    try:
        from trafilatura import utils
    except ImportError:
        return False
    parser = getattr(utils, "HTML_PARSER", None)
    return (isinstance(parser, etree.HTMLParser) and type(parser.makeelement("form")) is HtmlElement
            and isinstance(getattr(utils, "INVALID_XML_CHARS", None), ControlChars))
