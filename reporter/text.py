"""Text that displays differently from what it is: finding it, showing it, and telling look-alikes apart.

Record text is printed into letters and briefings, so a character that changes how text
*looks* without being seen is a way to make a document say one thing and show another:

- bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the
  invisible direction marks (U+200E, U+200F, U+061C) reorder what is displayed ("Trojan
  Source", CVE-2021-42574);
- zero-width and other invisible characters (U+200B–U+200D, U+2060–U+2064, U+180E, U+FEFF
  inside text) and the invisible tag characters (U+E0000–U+E007F, which can carry a hidden
  message) are not seen at all.

These are *hidden* characters: validation warns about each field that holds one (they have
honest uses: a zero-width joiner in Persian or in an emoji sequence), and :func:`reveal` makes
them visible wherever record text is printed.

*Control* characters are refused: C0 controls other than tab, line feed and carriage return
(NUL, written ``"\\0"`` or ``"\\u0000"``, among them), DEL and the C1 controls (U+0080–U+009F),
and lone surrogates (U+D800–U+DFFF, which are not characters and cannot be written as UTF-8).
No document can show them, and some outputs cannot hold them at all.

:func:`skeleton` is for telling look-alike names apart: a subset of the confusable skeletons
of Unicode TR39 (see its docstring).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

_CONTROL_CLASS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
_HIDDEN_CLASS = ("\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
                 "\U000e0000-\U000e007f")

CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
"""A character validation refuses in any text."""
HIDDEN = re.compile(f"[{_HIDDEN_CLASS}]")
"""A character validation warns about: it makes text display differently from what it is."""
FLAGGED = re.compile(f"[{_CONTROL_CLASS}{_HIDDEN_CLASS}]")
"""Either kind: what :func:`reveal` marks."""

CONTROL_JSON_PATTERN = "[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\ud800-\\udfff]"
"""The characters of :data:`CONTROL` as a JSON Schema (ECMA-262) pattern: a string it matches is refused.
(``\\ud800-\\udfff`` matches lone surrogates only, with the ``u`` flag JSON Schema asks for, and in Python.)"""

# -- finding them in a file's bytes, before any field is looked at ---------------------------------
#
# The bytes of a file show whether any string read from it can hold a flagged character: its
# UTF-8 form is in the file, or an escape that makes one (YAML's \0 \a \b \e \f \v \x \u \U \N,
# JSON's \b \f \u). Raw C0 controls are refused by both readers before any string is built
# (libyaml refuses raw C1 controls and DEL too; JSON takes them). In a file that is not all ASCII
# the multi-byte forms are looked for among its non-ASCII bytes alone: UTF-8 sequences stay whole
# when the ASCII bytes between them are taken out, and are a small part of any record file.
_ESCAPE = re.compile(rb"\\[0abefvxuUN]")
_ASCII = bytes(range(0x80))
_MULTI_BYTE = re.compile(rb"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0-\xa4\xa6-\xa9]|\xef\xbb\xbf|\xd8\x9c|"
                         rb"\xe1\xa0\x8e|\xf3\xa0[\x80\x81]|\xc2[\x80-\x9f]")


def may_hold_flagged(raw: bytes) -> bool:
    """Whether strings read from these bytes (a YAML or JSON file) may hold a control or hidden
    character. False is certain; True means "look at every string" (:func:`flagged_strings`)."""
    if b"\x7f" in raw or b"\\" in raw and _ESCAPE.search(raw):
        return True
    return not raw.isascii() and _MULTI_BYTE.search(raw.translate(None, _ASCII)) is not None


# -- naming them -----------------------------------------------------------------------------------

def code_point(char: str) -> str:
    """``U+202E``."""
    return f"U+{ord(char):04X}"


def describe(char: str) -> str:
    """``a right-to-left override (U+202E)``, ``a NUL character (U+0000)``."""
    number = ord(char)
    if number == 0:
        name = "NUL character"
    elif 0xD800 <= number <= 0xDFFF:
        name = "lone surrogate"
    elif 0xE0000 <= number <= 0xE007F:
        name = "invisible tag character"
    elif CONTROL.match(char):
        name = "control character"
    else:
        name = unicodedata.name(char, "invisible character").lower()
    article = "an" if name[0] in "aeiou" else "a"
    return f"{article} {name} ({code_point(char)})"


def _holds(found: list[str]) -> str:
    first = describe(found[0])
    more = len(found) - 1
    if not more:
        return f"holds {first}"
    return f"holds {first} and {more} more such character{'s' if more > 1 else ''}"


def control_message(text: str) -> str | None:
    """The error for text holding a control character (see the module docstring), or None."""
    found = CONTROL.findall(text)
    if not found:
        return None
    return _holds(found) + (", which no document can show; remove it" if len(found) == 1 else
                            ", which no document can show; remove them")


def hidden_message(text: str) -> str | None:
    """The warning for text holding a hidden character (see the module docstring), or None."""
    found = HIDDEN.findall(text)
    if not found:
        return None
    verb = "makes" if len(found) == 1 else "make"
    return _holds(found) + f", which {verb} text display differently from what it is"


def flagged_strings(data: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], bool, str]]:
    """Every string in plain data (keys too) that holds a flagged character, as (key path,
    whether it is the key, the string): one pattern search per string."""
    search = FLAGGED.search
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, prefix)]
    while stack:
        value, path = stack.pop()
        kind = type(value)
        if kind is str:
            if search(value):
                yield path, False, value
        elif kind is dict:
            for key, item in value.items():
                if type(key) is str and search(key):
                    yield (*path, key), True, key
                stack.append((item, (*path, key)))
        elif kind is list:
            stack.extend((item, (*path, index)) for index, item in enumerate(value))


# -- showing them ----------------------------------------------------------------------------------

def _marker(match: re.Match[str]) -> str:
    return f"\u27e8{code_point(match.group())}\u27e9"


def reveal(text: str) -> str:
    """``text`` with every control and hidden character replaced by a visible marker such as
    ``⟨U+202E⟩`` (tab, line feed and carriage return are kept). Apply it wherever record text
    is printed: text without such characters is returned as it is."""
    if not FLAGGED.search(text):
        return text
    return FLAGGED.sub(_marker, text)


# -- look-alikes -----------------------------------------------------------------------------------

# Characters that look like a Latin letter or digit in common fonts, each mapped to that letter,
# as Unicode's confusables.txt (TR39) maps them: Cyrillic, Greek and Armenian look-alikes, and
# the Latin ones TR39 folds together (I, 1 and | look like l; 0 like O).
_LOOKALIKES = str.maketrans({
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "Ү": "Y", "Ѕ": "S", "І": "l", "Ӏ": "l", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Һ": "H",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "ү": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a", "ο": "o", "ν": "v", "ρ": "p", "ι": "i", "υ": "u",
    "ϲ": "c", "ϳ": "j", "Ϲ": "C",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "Ս": "U", "Օ": "O",
    # Latin letters and digits TR39 takes for others
    "ı": "i", "ȷ": "j", "ɑ": "a", "ǀ": "l", "I": "l", "1": "l", "|": "l", "0": "O",
})
# Invisible in text and dropped by the skeleton: the hidden characters, a soft hyphen, the
# combining grapheme joiner and the variation selectors.
_IGNORABLE = re.compile(f"[{_HIDDEN_CLASS}\u00ad\u034f\u180b-\u180d\ufe00-\ufe0f]")


@functools.lru_cache(maxsize=4096)
def skeleton(text: str) -> str:
    """A key under which texts that look alike are equal: a subset of the confusable skeleton
    of Unicode TR39 ("Confusable Detection"), with its own table of the common look-alikes.

    The text is put in NFKC form (fullwidth, mathematical and other compatibility forms become
    plain letters), invisible characters are dropped, runs of whitespace become one space, and
    each character in :data:`_LOOKALIKES` becomes the Latin letter it looks like (Cyrillic
    "А" is Latin "A", "I" and "1" are "l"). Like TR39's skeleton it keeps letter case and
    accents, and it is a key to compare, never text to show. Unlike TR39 it maps only the
    Cyrillic, Greek, Armenian and Latin look-alikes listed, not every confusable of Unicode.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _IGNORABLE.sub("", text)
    return " ".join(text.translate(_LOOKALIKES).split())


def same_looking(a: str, b: str) -> bool:
    """Whether two texts look alike: their skeletons are equal, or those of their case-folded forms."""
    return skeleton(a) == skeleton(b) or skeleton(a.casefold()) == skeleton(b.casefold())
